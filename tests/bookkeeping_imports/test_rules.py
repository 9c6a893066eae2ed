"""Rule matching: folded text (half-width kana, full-width letters), fields, kinds,
directions, priority order, and the rule offered after a manual choice."""

from __future__ import annotations

import uuid

from daiko.bookkeeping.imports.rules import Rule, RuleSet, suggest


def rule(
    pattern: str,
    *,
    field: str = "any",
    kind: str = "contains",
    direction: str = "any",
    priority: int = 100,
    account: str = "6174",
    n: int = 1,
) -> Rule:
    return Rule(
        uuid.UUID(int=n), field, kind, pattern, direction, account, "out_of_scope", priority
    )


def test_half_width_kana_and_full_width_letters_match() -> None:
    rules = RuleSet([rule("トウキヨウデンリヨク", n=1), rule("amazon", account="6173", n=2)])
    assert rules.match("口座振替", "ﾄｳｷﾖｳﾃﾞﾝﾘﾖｸ", -100) is not None
    hit = rules.match("ＡＭＡＺＯＮ．ＣＯ．ＪＰ", "", -100)
    assert hit is not None
    assert hit.account_code == "6173"
    assert rules.match("振込", "ﾔﾏﾀﾞ", -100) is None


def test_fields_kinds_and_directions() -> None:
    rules = RuleSet(
        [
            rule("ﾃｽｳﾘﾖｳ", field="description", kind="exact", direction="out", n=1),
            rule("ｶ)", field="counterparty", kind="prefix", direction="in", account="4110", n=2),
        ]
    )
    assert rules.match("ﾃｽｳﾘﾖｳ", "", -440) is not None
    assert rules.match("ﾃｽｳﾘﾖｳ", "", 440) is None  # direction
    assert rules.match("ﾃｽｳﾘﾖｳ ﾍﾝｷﾔｸ", "", -440) is None  # exact
    assert rules.match("", "ｶ)ｻﾝﾌﾟﾙ", 1000) is not None
    assert rules.match("", "ﾕ)ｶ)", 1000) is None  # prefix
    assert rules.match("ｶ)ｻﾝﾌﾟﾙ", "", 1000) is None  # field


def test_highest_priority_first_then_oldest() -> None:
    low = rule("NTT", priority=10, account="1", n=1)
    high = rule("NTT", priority=50, account="2", n=3)
    same = rule("NTT", priority=50, account="3", n=2)
    hit = RuleSet([low, high, same]).match("NTT ﾋｶﾞｼ", "", -1)
    assert hit is not None
    assert hit.account_code == "3"


def test_answers_are_remembered_and_stay_right() -> None:
    rules = RuleSet([rule("ﾃﾞﾝｷ", direction="out")])
    assert rules.match("ﾃﾞﾝｷ", "", -1) is not None
    assert rules.match("ﾃﾞﾝｷ", "", 1) is None
    assert rules.match("ﾃﾞﾝｷ", "", -5) is not None


def test_suggestion_prefers_the_counterparty() -> None:
    assert suggest("振込", "ｶ)ｻﾝﾌﾟﾙ", 5) == ("counterparty", "ｶ)ｻﾝﾌﾟﾙ", "in")
    assert suggest("ﾃｽｳﾘﾖｳ", " ", -440) == ("description", "ﾃｽｳﾘﾖｳ", "out")
