"""Password hashing and the NIST-style password policy."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Literal

import argon2
import pytest
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError

from daiko.auth import passwords
from daiko.auth.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    PolicyCode,
    check_password_policy,
    dummy_verify,
    hash_password,
    is_common_password,
    needs_rehash,
    verify_password,
)

# Real parameters are 64 MiB x 3 passes; tests that hash often use a cheap hasher.
CHEAP = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


def codes(password: str, *, email: str | None = None, names: Sequence[str] = ()) -> list[str]:
    return [v.code.value for v in check_password_policy(password, email=email, names=names)]


# --- hashing -------------------------------------------------------------------------


def test_default_hasher_is_argon2id_with_rfc9106_low_memory_parameters() -> None:
    stored = hash_password("correct horse battery staple")

    params = argon2.extract_parameters(stored)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert (params.type, params.memory_cost, params.time_cost, params.parallelism) == (
        argon2.Type.ID,
        65536,
        3,
        4,
    )
    assert verify_password(stored, "correct horse battery staple") is True
    assert needs_rehash(stored) is False


def test_verify_answers_false_for_a_wrong_password() -> None:
    stored = hash_password("correct horse battery staple", hasher=CHEAP)

    assert verify_password(stored, "correct horse battery stapler", hasher=CHEAP) is False
    assert verify_password(stored, "", hasher=CHEAP) is False


def test_same_password_hashes_differently_each_time() -> None:
    first = hash_password("correct horse battery staple", hasher=CHEAP)
    second = hash_password("correct horse battery staple", hasher=CHEAP)

    assert first != second  # random salt
    assert verify_password(second, "correct horse battery staple", hasher=CHEAP) is True


def test_full_width_input_verifies_against_half_width_password() -> None:
    # A Japanese IME left in full-width mode types ｐａｓｓ instead of pass.
    stored = hash_password("tsukimi dango 2025", hasher=CHEAP)

    assert verify_password(stored, "ｔｓｕｋｉｍｉ　ｄａｎｇｏ　２０２５", hasher=CHEAP) is True


def test_japanese_password_round_trips() -> None:
    stored = hash_password("月見団子を十五個たべた", hasher=CHEAP)

    assert verify_password(stored, "月見団子を十五個たべた", hasher=CHEAP) is True
    assert verify_password(stored, "月見団子を十四個たべた", hasher=CHEAP) is False


def test_needs_rehash_when_parameters_changed() -> None:
    stored = hash_password("correct horse battery staple", hasher=CHEAP)

    assert needs_rehash(stored, hasher=CHEAP) is False
    stronger = PasswordHasher(time_cost=2, memory_cost=64, parallelism=1)
    assert needs_rehash(stored, hasher=stronger) is True


def test_corrupt_stored_hash_raises_instead_of_answering_false() -> None:
    with pytest.raises(InvalidHashError):
        verify_password("not-a-hash", "whatever", hasher=CHEAP)


class RecordingHasher(PasswordHasher):
    """Records the parameters of every hash it is asked to verify against."""

    def __init__(self) -> None:
        super().__init__(time_cost=2, memory_cost=128, parallelism=1)
        self.verified: list[argon2.Parameters] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        text = hash if isinstance(hash, str) else hash.decode("ascii")
        self.verified.append(argon2.extract_parameters(text))
        return super().verify(hash, password)


def test_dummy_verify_runs_one_full_verification_with_the_hashers_parameters() -> None:
    hasher = RecordingHasher()

    dummy_verify("guess", hasher=hasher)
    dummy_verify("", hasher=hasher)

    expected = argon2.extract_parameters(hasher.hash("x"))
    assert hasher.verified == [expected, expected]


def test_dummy_verify_takes_about_as_long_as_a_real_failed_verify() -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    stored = hash_password("correct horse battery staple", hasher=hasher)
    dummy_verify(hasher=hasher)  # builds the cached dummy hash

    def median_seconds(call: Callable[[], object]) -> float:
        samples = []
        for _ in range(5):
            start = time.perf_counter()
            call()
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    real = median_seconds(lambda: verify_password(stored, "wrong guess", hasher=hasher))
    dummy = median_seconds(lambda: dummy_verify("wrong guess", hasher=hasher))

    # Loose bounds: this guards against "unknown user returns instantly", not jitter.
    assert real / 3 < dummy < real * 3


# --- policy: length ------------------------------------------------------------------


def test_policy_bounds() -> None:
    assert (MIN_LENGTH, MAX_LENGTH) == (12, 128)


def test_eleven_characters_is_too_short_and_twelve_is_enough() -> None:
    assert codes("quiet-lynx7") == ["too_short"]
    assert codes("quiet-lynx7q") == []


def test_too_short_message_names_the_numbers() -> None:
    (violation,) = check_password_policy("tiny")

    assert violation.code is PolicyCode.TOO_SHORT
    assert violation.message.startswith("Use at least 12 characters (this one has 4).")


def test_length_counts_code_points_not_bytes() -> None:
    # 11 kanji/kana are 33 UTF-8 bytes but 11 characters.
    assert codes("月見団子を十五個たべた") == ["too_short"]
    assert codes("月見団子を十五個たべたい") == []


def test_length_is_measured_after_nfkc_normalisation() -> None:
    # ㍻ (one code point) normalises to 平成 (two).
    assert codes("㍻の夏は暑くてうなぎを食べた") == []
    assert len("㍻の夏は暑くてうなぎを食べた") == 14


def test_128_characters_is_allowed_and_129_is_too_long() -> None:
    words = "river stone maple cloud "  # 24 characters, not repetitive on its own terms
    long_ok = (words * 6)[:128]
    assert len(long_ok) == 128
    assert codes(long_ok) == []

    too_long = long_ok + "x"
    assert [(v.code, v.message) for v in check_password_policy(too_long)] == [
        (PolicyCode.TOO_LONG, "Use at most 128 characters (this one has 129).")
    ]


def test_a_too_long_password_reports_only_its_length() -> None:
    assert codes("password" * 20) == ["too_long"]


def test_no_composition_rules() -> None:
    # All lowercase, no digits, no symbols: fine if long and not common.
    assert codes("lanterns drift over the bay") == []
    assert codes("ALLCAPSNOSPACESWHATSOEVER") == []


# --- policy: blocklist ---------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "password1234",
        "PASSWORD1234",
        "Password2024!!",
        "sakura19981231",
        "Doraemon2030!",
        "pokemon!!!!!!",
        "qwertyuiop123",
        "1qaz2wsx3edc",
        "1q2w3e4r5t6y",
        "123456789012",
        "iloveyou12345",
        "letmein.....!",
        "p@ssw0rd12345",  # leetspeak folded back
        "l3tm31n!!!!!",
        "Ｐａｓｓｗｏｒｄ１２３４",  # full-width
    ],
)
def test_common_passwords_are_refused(password: str) -> None:
    assert codes(password) == ["common_password"]


def test_common_password_shorter_than_minimum_reports_both_reasons() -> None:
    assert codes("password") == ["too_short", "common_password"]


def test_common_word_inside_a_longer_passphrase_is_fine() -> None:
    # Only the whole password (or its stem) is compared, not substrings.
    assert codes("sakura blooms near the old mill") == []
    assert is_common_password("sakura blooms near the old mill") is False


def test_is_common_password_strips_only_trailing_noise() -> None:
    assert is_common_password("sakura2024") is True
    assert is_common_password("2024sakura") is False


def test_bundled_list_is_large_lowercase_and_unique() -> None:
    text = (
        resources.files("daiko.auth")
        .joinpath("data/common-passwords.txt")
        .read_text(encoding="utf-8")
    )
    entries = [line for line in text.splitlines() if line and not line.startswith("#")]

    assert len(entries) >= 1000
    assert len(entries) == len(set(entries))
    assert all(entry == entry.lower() and entry == entry.strip() for entry in entries)
    for expected in ("password", "123456", "qwerty", "iloveyou", "letmein", "admin", "welcome"):
        assert expected in entries
    for expected in ("sakura", "doraemon", "pokemon", "password1950", "sakura2030"):
        assert expected in entries


# --- policy: repetitive and sequential -----------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaa",
        "abcabcabcabc",
        "xyzwxyzwxyzw",
        "abcdefghijklm",
        "zyxwvutsrqpo",
        "345678901234",
    ],
)
def test_repetitive_or_sequential_passwords_are_refused(password: str) -> None:
    assert codes(password) == ["repetitive_or_sequential"]


def test_a_repeated_unit_longer_than_four_is_not_flagged() -> None:
    assert codes("tanuki-tanuki-tanuki") == []


def test_japanese_kana_run_is_sequential() -> None:
    # ぁあぃいぅう... are consecutive code points.
    assert codes("".join(chr(c) for c in range(ord("ぁ"), ord("ぁ") + 12))) == [
        "repetitive_or_sequential"
    ]


# --- policy: context-specific words --------------------------------------------------


def test_email_local_part_is_refused_case_insensitively() -> None:
    assert codes("my TaroYamada password!", email="taroyamada@example.jp") == ["contains_email"]


def test_email_subaddress_tag_is_ignored_when_matching() -> None:
    assert codes("I am hanako-sato at work", email="hanako-sato+daiko@example.jp") == [
        "contains_email"
    ]


def test_pieces_of_a_dotted_local_part_are_refused() -> None:
    assert codes("yamada keeps bees", email="taro.yamada@example.jp") == ["contains_email"]


def test_email_check_ignores_the_domain_and_short_pieces() -> None:
    assert codes("example dot jp rules", email="ta.yo@example.jp") == []


def test_very_short_local_part_is_not_checked() -> None:
    assert codes("a quiet lantern glow", email="a@example.jp") == []


def test_no_email_given_means_no_email_check() -> None:
    assert codes("taroyamada forever") == []


def test_names_are_refused_including_joined_and_full_width_spaced() -> None:
    assert codes("suzuki goes fishing", names=["Ichiro Suzuki"]) == ["contains_name"]
    assert codes("ICHIROSUZUKI goes on", names=["Ichiro Suzuki"]) == ["contains_name"]
    assert codes("山田太郎の好きな犬はポチ", names=["山田　太郎"]) == ["contains_name"]


def test_two_character_japanese_surname_counts_but_two_letter_latin_does_not() -> None:
    assert codes("田中さんの庭にある柿の木", names=["田中 一郎"]) == ["contains_name"]
    assert codes("hello lighthouse keeper", names=["Li Na"]) == []


def test_service_name_is_refused() -> None:
    assert codes("my Daiko portal secret") == ["contains_service_name"]
    assert codes("代行サービスの秘密の合言葉") == ["contains_service_name"]


def test_several_violations_are_reported_in_a_stable_order() -> None:
    assert codes("taro daiko", email="taro@example.jp", names=["Taro"]) == [
        "too_short",
        "contains_email",
        "contains_name",
        "contains_service_name",
    ]


def test_every_code_has_a_distinct_stable_value() -> None:
    assert {c.value for c in PolicyCode} == {
        "too_short",
        "too_long",
        "common_password",
        "repetitive_or_sequential",
        "contains_email",
        "contains_name",
        "contains_service_name",
    }


def test_messages_are_english_sentences() -> None:
    violations = check_password_policy(
        "taro daiko", email="taro@example.jp", names=["Taro"]
    ) + check_password_policy("password1234")
    for violation in violations:
        assert violation.message.isascii()
        assert violation.message.endswith(".")


def test_module_exports_what_sign_in_needs() -> None:
    for name in ("hash_password", "verify_password", "needs_rehash", "dummy_verify"):
        assert name in passwords.__all__
