"""TOTP (RFC 6238) verification with a pinned clock, and recovery codes."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone

import pyotp
import pytest

from daiko.auth import totp
from daiko.auth.totp import (
    current_step,
    hash_recovery_code,
    match_recovery_code,
    new_recovery_codes,
    new_secret,
    normalise_recovery_code,
    provisioning_uri,
    verify,
)

# RFC 6238 Appendix B: the SHA1 seed is the ASCII string "12345678901234567890".
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode("ascii")
JST = timezone(timedelta(hours=9))


def at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, tz=UTC)


# The RFC lists 8-digit values; a 6-digit code is the same number mod 10^6.
RFC_VECTORS = [
    # (unix time, step T, 8-digit TOTP from the RFC)
    (59, 1, "94287082"),
    (1111111109, 37037036, "07081804"),
    (1111111111, 37037037, "14050471"),
    (1234567890, 41152263, "89005924"),
    (2000000000, 66666666, "69279037"),
    (20000000000, 666666666, "65353130"),
]


def test_rfc_secret_is_the_appendix_b_seed() -> None:
    assert RFC_SECRET == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@pytest.mark.parametrize(("unix", "step", "rfc_code"), RFC_VECTORS)
def test_rfc6238_vectors_verify_at_their_exact_step(unix: int, step: int, rfc_code: str) -> None:
    assert current_step(at(unix)) == step
    assert verify(RFC_SECRET, rfc_code[-6:], at=at(unix), last_used_step=None) == step


@pytest.mark.parametrize(("unix", "step", "rfc_code"), RFC_VECTORS)
def test_rfc6238_codes_are_refused_two_steps_later(unix: int, step: int, rfc_code: str) -> None:
    assert verify(RFC_SECRET, rfc_code[-6:], at=at(unix + 60), last_used_step=None) is None


def test_previous_and_next_step_are_accepted_and_named() -> None:
    moment = at(1111111111)  # step 37037037
    code_before = pyotp.TOTP(RFC_SECRET).generate_otp(37037036)
    code_after = pyotp.TOTP(RFC_SECRET).generate_otp(37037038)

    assert verify(RFC_SECRET, code_before, at=moment, last_used_step=None) == 37037036
    assert verify(RFC_SECRET, code_after, at=moment, last_used_step=None) == 37037038


def test_code_two_steps_away_is_refused() -> None:
    moment = at(1111111111)
    too_old = pyotp.TOTP(RFC_SECRET).generate_otp(37037035)
    too_new = pyotp.TOTP(RFC_SECRET).generate_otp(37037039)

    assert verify(RFC_SECRET, too_old, at=moment, last_used_step=None) is None
    assert verify(RFC_SECRET, too_new, at=moment, last_used_step=None) is None


def test_window_edges_follow_the_30_second_boundaries() -> None:
    code = "081804"  # step 37037036 = [1111111080, 1111111110)
    assert verify(RFC_SECRET, code, at=at(1111111080 - 30), last_used_step=None) == 37037036
    assert verify(RFC_SECRET, code, at=at(1111111080 - 31), last_used_step=None) is None
    assert verify(RFC_SECRET, code, at=at(1111111110 + 29), last_used_step=None) == 37037036
    assert verify(RFC_SECRET, code, at=at(1111111110 + 30), last_used_step=None) is None


def test_used_step_cannot_be_replayed() -> None:
    moment = at(1111111111)

    step = verify(RFC_SECRET, "050471", at=moment, last_used_step=None)
    assert step == 37037037
    assert verify(RFC_SECRET, "050471", at=moment, last_used_step=step) is None
    # Still inside the window 20 seconds later, still refused.
    assert (
        verify(RFC_SECRET, "050471", at=moment + timedelta(seconds=20), last_used_step=step) is None
    )


def test_code_older_than_the_last_used_step_is_refused() -> None:
    moment = at(1111111111)
    # Someone used the step-37037037 code; the (still in-window) previous code is now stale.
    assert verify(RFC_SECRET, "081804", at=moment, last_used_step=37037037) is None


def test_next_step_after_the_used_one_is_accepted() -> None:
    moment = at(1111111111)
    assert verify(RFC_SECRET, "050471", at=moment, last_used_step=37037036) == 37037037


def test_time_zone_of_at_does_not_matter() -> None:
    moment = at(1111111111).astimezone(JST)
    assert verify(RFC_SECRET, "050471", at=moment, last_used_step=None) == 37037037


def test_naive_datetime_is_refused() -> None:
    naive = datetime(2025, 4, 1, 9, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        verify(RFC_SECRET, "050471", at=naive, last_used_step=None)
    with pytest.raises(ValueError, match="timezone-aware"):
        current_step(naive)


@pytest.mark.parametrize("typed", ["050 471", " 050471 ", "０５０４７１", "０５０　４７１"])
def test_spaces_and_full_width_digits_are_accepted(typed: str) -> None:
    assert verify(RFC_SECRET, typed, at=at(1111111111), last_used_step=None) == 37037037


@pytest.mark.parametrize("typed", ["", "05047", "0504711", "05047a", "050-471", "٠٥٠٤٧١", "+50471"])
def test_anything_but_six_ascii_digits_is_refused(typed: str) -> None:
    assert verify(RFC_SECRET, typed, at=at(1111111111), last_used_step=None) is None


def test_wrong_code_is_refused() -> None:
    assert verify(RFC_SECRET, "123456", at=at(1111111111), last_used_step=None) is None


def test_new_secret_is_160_bits_of_base32_and_fresh() -> None:
    first, second = new_secret(), new_secret()

    assert re.fullmatch(r"[A-Z2-7]{32}", first)
    assert len(base64.b32decode(first)) == 20
    assert first != second


def test_new_secret_round_trips_through_verify() -> None:
    secret = new_secret()
    moment = datetime(2025, 4, 1, 9, 0, 15, tzinfo=UTC)
    code = pyotp.TOTP(secret).at(moment)

    assert verify(secret, code, at=moment, last_used_step=None) == current_step(moment)


def test_provisioning_uri_is_what_authenticator_apps_expect() -> None:
    assert provisioning_uri(RFC_SECRET, "taro@example.jp") == (
        "otpauth://totp/Daiko:taro%40example.jp?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        "&issuer=Daiko"
    )


def test_provisioning_uri_parses_back_to_the_same_parameters() -> None:
    parsed = pyotp.parse_uri(provisioning_uri(RFC_SECRET, "山田 太郎", issuer="Daiko 代行"))

    assert isinstance(parsed, pyotp.TOTP)
    assert (parsed.secret, parsed.name, parsed.issuer) == (RFC_SECRET, "山田 太郎", "Daiko 代行")
    assert (parsed.digits, parsed.interval) == (6, 30)


# --- recovery codes ------------------------------------------------------------------


def test_new_recovery_codes_have_the_documented_shape() -> None:
    codes = new_recovery_codes()

    assert len(codes) == 10
    assert len(set(codes)) == 10
    alphabet = re.escape(totp.RECOVERY_CODE_ALPHABET)
    for code in codes:
        assert re.fullmatch(rf"[{alphabet}]{{4}}-[{alphabet}]{{4}}-[{alphabet}]{{4}}", code)


def test_recovery_code_alphabet_has_32_unambiguous_symbols() -> None:
    alphabet = totp.RECOVERY_CODE_ALPHABET
    assert len(alphabet) == len(set(alphabet)) == 32
    assert not set(alphabet) & set("ilou")


def test_new_recovery_codes_count_is_configurable() -> None:
    assert len(new_recovery_codes(3)) == 3
    with pytest.raises(ValueError, match="positive"):
        new_recovery_codes(0)


def test_recovery_code_hash_is_sha256_hex_of_the_normalised_code() -> None:
    assert hash_recovery_code("7K2M-X9QD-4HRT") == hashlib.sha256(b"7k2mx9qd4hrt").hexdigest()


def test_match_recovery_code_returns_the_index() -> None:
    codes = ["7k2m-x9qd-4hrt", "abcd-efgh-jkmn", "0000-1111-2222"]
    hashes = [hash_recovery_code(c) for c in codes]

    assert match_recovery_code("abcd-efgh-jkmn", hashes) == 1
    assert match_recovery_code("0000-1111-2222", hashes) == 2
    assert match_recovery_code("zzzz-zzzz-zzzz", hashes) is None


@pytest.mark.parametrize(
    "typed",
    [
        "ABCD-EFGH-JKMN",
        "abcdefghjkmn",
        "abcd efgh jkmn",
        " abcd-efgh-jkmn\n",
        "ＡＢＣＤ－ＥＦＧＨ－ＪＫＭＮ",  # full-width from an IME
        "abcd—efgh—jkmn",  # em dash from a word processor
    ],
)
def test_match_ignores_case_dashes_spaces_and_width(typed: str) -> None:
    hashes = [hash_recovery_code("0000-1111-2222"), hash_recovery_code("abcd-efgh-jkmn")]
    assert match_recovery_code(typed, hashes) == 1


def test_lookalike_letters_read_as_digits() -> None:
    hashes = [hash_recovery_code("0000-1111-2222")]
    assert match_recovery_code("oooo-iiii-2222", hashes) == 0
    assert match_recovery_code("OOOO-LLLL-2222", hashes) == 0


def test_used_slots_are_skipped_and_indices_stay_stable() -> None:
    hashes: list[str | None] = [None, hash_recovery_code("abcd-efgh-jkmn")]

    assert match_recovery_code("abcd-efgh-jkmn", hashes) == 1
    hashes[1] = None
    assert match_recovery_code("abcd-efgh-jkmn", hashes) is None


@pytest.mark.parametrize(
    "typed", ["", "abcd-efgh", "abcd-efgh-jkmn-p", "abcd-efgh-jkmu", "ab!d-efgh-jkmn"]
)
def test_malformed_recovery_codes_never_match(typed: str) -> None:
    hashes = [hash_recovery_code("abcd-efgh-jkmn")]
    assert normalise_recovery_code(typed) is None
    assert match_recovery_code(typed, hashes) is None


def test_hashing_a_malformed_code_raises() -> None:
    with pytest.raises(ValueError, match="not a recovery code"):
        hash_recovery_code("abcd")


def test_generated_codes_match_their_own_hashes() -> None:
    codes = new_recovery_codes()
    hashes = [hash_recovery_code(c) for c in codes]

    assert [match_recovery_code(c.upper(), hashes) for c in codes] == list(range(10))
