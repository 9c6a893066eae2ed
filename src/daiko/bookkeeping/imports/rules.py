"""Categorisation rules (仕訳ルール), matched in memory. Pure, no I/O.

Text is compared after NFKC and case folding, so ﾄｳｷﾖｳﾃﾞﾝﾘﾖｸ (half-width, as banks print
kana) matches トウキヨウデンリヨク, and ＡＭＡＺＯＮ matches amazon. Rules are tried
highest priority first; among equals the oldest (smallest id, ids are UUIDv7) wins.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """The form both patterns and statement text are compared in."""
    return unicodedata.normalize("NFKC", text).casefold().replace(" ", "")


@dataclass(frozen=True)
class Rule:
    id: uuid.UUID
    match_field: str  # counterparty | description | any
    match_kind: str  # contains | prefix | exact
    pattern: str
    direction: str  # any | in | out
    account_code: str
    tax_category: str
    priority: int

    @property
    def folded(self) -> str:
        return fold(self.pattern)


MEMO_LIMIT = 100_000


class RuleSet:
    """Rules in the order they are tried; `match` returns the first that fits."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        ordered = sorted(rules, key=lambda r: (-r.priority, r.id))
        self._rules = [(r, r.folded) for r in ordered]
        self._memo: dict[tuple[str, str, bool], Rule | None] = {}

    def __bool__(self) -> bool:
        return bool(self._rules)

    def match(self, description: str, counterparty: str, amount: int) -> Rule | None:
        if not self._rules:
            return None
        # Statements repeat their texts (the same utility, the same customer every
        # month): remember each answer, bounded.
        key = (description, counterparty, amount >= 0)
        try:
            return self._memo[key]
        except KeyError:
            pass
        if len(self._memo) >= MEMO_LIMIT:
            self._memo.clear()
        found = self._memo[key] = self._match(description, counterparty, amount)
        return found

    def _match(self, description: str, counterparty: str, amount: int) -> Rule | None:
        desc = fold(description)
        party = fold(counterparty)
        for rule, pattern in self._rules:
            if rule.direction == "in" and amount < 0:
                continue
            if rule.direction == "out" and amount >= 0:
                continue
            if rule.match_field == "counterparty":
                texts: tuple[str, ...] = (party,)
            elif rule.match_field == "description":
                texts = (desc,)
            else:
                texts = (party, desc)
            for value in texts:
                if rule.match_kind == "exact":
                    hit = value == pattern
                elif rule.match_kind == "prefix":
                    hit = value.startswith(pattern)
                else:
                    hit = pattern in value
                if hit:
                    return rule
        return None


def suggest(description: str, counterparty: str, amount: int) -> tuple[str, str, str]:
    """The rule to offer after an operator categorises a line by hand:
    (match_field, pattern, direction). The counterparty when the bank gave one (it is
    what recurs), else the description; the direction of this line."""
    if counterparty.strip():
        field, pattern = "counterparty", counterparty.strip()
    else:
        field, pattern = "description", description.strip()
    return field, pattern, "in" if amount >= 0 else "out"
