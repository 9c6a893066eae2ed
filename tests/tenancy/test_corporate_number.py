"""法人番号 and invoice registration numbers: the NTA check-digit rule, exactly."""

from __future__ import annotations

import pytest

from daiko.tenancy.corporate_number import (
    check_digit,
    corporate_number_error,
    invoice_registration_number_error,
    is_valid_corporate_number,
    is_valid_invoice_registration_number,
)

# Published numbers of real corporations (国税庁法人番号公表サイト).
REAL_NUMBERS = [
    pytest.param("7000012050002", id="国税庁"),
    pytest.param("1180301018771", id="トヨタ自動車"),
    pytest.param("5010401067252", id="ソニーグループ"),
    pytest.param("7120001168421", id="domain-spec-example"),
]


@pytest.mark.parametrize("number", REAL_NUMBERS)
def test_real_corporate_numbers_are_valid(number: str) -> None:
    assert corporate_number_error(number) is None
    assert is_valid_corporate_number(number)
    assert check_digit(number[1:]) == int(number[0])


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        # 国税庁: Σ = 2·1 + 5·1 + 2·1 + 1·2 = 11; 11 mod 9 = 2; 9 - 2 = 7
        ("000012050002", 7),
        # Toyota: Σ = 1 + 7·2 + 7 + 8·2 + 1 + 0 + 1 + 0 + 3 + 0 + 8 + 1·2 = 53; 53 mod 9 = 8
        ("180301018771", 1),
        # Σ = 2 + 1·2 + 0 + 9·2 + 8 + 7·2 + 6 + 5·2 + 4 + 3·2 + 2 + 1·2 = 74; 74 mod 9 = 2
        ("123456789012", 7),
        ("000000000000", 9),  # Σ = 0 -> 9: the check digit is never 0
        ("000000000001", 8),  # the rightmost digit has weight 1
        ("000000000010", 7),  # the next one weight 2
        ("100000000000", 7),  # the leftmost (12th, even) digit weight 2
        ("000000000009", 9),  # 9 mod 9 = 0
        ("999999999999", 9),  # 9·(6·1 + 6·2) = 162 = 18·9
    ],
)
def test_check_digit(base: str, expected: int) -> None:
    assert check_digit(base) == expected
    assert is_valid_corporate_number(f"{expected}{base}")


@pytest.mark.parametrize(
    "base", ["12345678901", "1234567890123", "12345678901a", "12345678901２", ""]
)
def test_check_digit_rejects_a_base_that_is_not_12_ascii_digits(base: str) -> None:
    with pytest.raises(ValueError, match="a 法人番号 base is 12 digits 0-9"):
        check_digit(base)


def test_exactly_one_leading_digit_is_valid_for_any_base() -> None:
    for seed in range(0, 10**12, 7_919_000_003):
        base = f"{seed:012d}"
        valid = [d for d in range(10) if is_valid_corporate_number(f"{d}{base}")]
        assert valid == [check_digit(base)]
        assert valid != [0]


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("8000012050002", "check digit mismatch: got 8, expected 7"),
        ("0000012050002", "check digit mismatch: got 0, expected 7"),
        ("2180301018771", "check digit mismatch: got 2, expected 1"),
        ("7000012050003", "check digit mismatch: got 7, expected 6"),
        ("700001205000", "must be 13 digits, got 12"),
        ("70000120500021", "must be 13 digits, got 14"),
        ("", "must be 13 digits, got 0"),
        ("7000-0120-50002", "must contain only the digits 0-9, found '-'"),
        ("７000012050002", "must contain only the digits 0-9, found '７'"),
        (" 7000012050002", "must contain only the digits 0-9, found ' '"),
        ("T7000012050002", "must contain only the digits 0-9, found 'T'"),
    ],
)
def test_invalid_corporate_numbers_say_why(number: str, reason: str) -> None:
    assert corporate_number_error(number) == reason
    assert not is_valid_corporate_number(number)


@pytest.mark.parametrize("number", ["T7120001168421", "T7000012050002", "T1180301018771"])
def test_invoice_registration_numbers_of_corporations_are_valid(number: str) -> None:
    assert invoice_registration_number_error(number) is None
    assert is_valid_invoice_registration_number(number)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("7120001168421", 'must start with "T" followed by 13 digits'),
        ("t7120001168421", 'must start with "T" followed by 13 digits'),
        ("", 'must start with "T" followed by 13 digits'),
        ("T8120001168421", "check digit mismatch: got 8, expected 7"),
        ("T712000116842", "must be 13 digits, got 12"),
        ("T 7120001168421", "must contain only the digits 0-9, found ' '"),
        ("TT7120001168421", "must contain only the digits 0-9, found 'T'"),
    ],
)
def test_invalid_invoice_registration_numbers_say_why(number: str, reason: str) -> None:
    assert invoice_registration_number_error(number) == reason
    assert not is_valid_invoice_registration_number(number)
