"""My Number check digits and masking (shared/domain/japan-2026.md §4.1)."""

from __future__ import annotations

import pytest

from daiko.security.masking import mask_account_number, mask_my_number
from daiko.security.my_number import is_valid_my_number, my_number_check_digit


def test_worked_example_from_the_domain_notes() -> None:
    # base 12345678901: Σ = 212, 212 mod 11 = 3, 11 − 3 = 8
    assert my_number_check_digit("12345678901") == 8
    assert is_valid_my_number("123456789018")


def test_second_published_example() -> None:
    # 54883652988: from the right 8·2+8·3+9·4+2·5+5·6+6·7+3·2+8·3+8·4+4·5+5·6 = 270,
    # 270 mod 11 = 6, 11 − 6 = 5
    assert my_number_check_digit("54883652988") == 5
    assert is_valid_my_number("548836529885")


def test_remainders_0_and_1_give_check_digit_0() -> None:
    # 00000000001: Σ = 1·2 = 2 → 11 − 2 = 9 (the ordinary case, for contrast)
    assert my_number_check_digit("00000000001") == 9
    # 00000000000: Σ = 0, remainder 0 → 0
    assert my_number_check_digit("00000000000") == 0
    # 00000000006: Σ = 6·2 = 12, remainder 1 → 0 (not 11 − 1 = 10)
    assert my_number_check_digit("00000000006") == 0
    assert is_valid_my_number("000000000060")
    assert not is_valid_my_number("000000000061")


def test_every_wrong_check_digit_is_refused() -> None:
    for d in "012345679":
        assert not is_valid_my_number("12345678901" + d)


@pytest.mark.parametrize(
    "value",
    ["1234 5678 9018", "1234-5678-9018", "１２３４５６７８９０１８"],
)
def test_typed_forms_are_normalised(value: str) -> None:
    assert is_valid_my_number(value)


@pytest.mark.parametrize("value", ["", "12345678901", "1234567890180", "12345678901a", "١٢٣"])
def test_not_twelve_digits_is_invalid(value: str) -> None:
    assert not is_valid_my_number(value)


def test_check_digit_needs_an_eleven_digit_base() -> None:
    with pytest.raises(ValueError, match="11 digits"):
        my_number_check_digit("1234567890")


def test_masks_are_exact() -> None:
    assert mask_my_number("123456789012") == "********9012"
    assert mask_my_number("1234-5678-9018") == "********9018"
    assert mask_account_number("1234567") == "***4567"
    assert mask_account_number("12345678") == "****5678"
    assert mask_account_number("１２３４５６７") == "***4567"
    assert mask_account_number("1234") == "****"
    with pytest.raises(ValueError, match="12 digits"):
        mask_my_number("12345")
    with pytest.raises(ValueError, match="digits only"):
        mask_account_number("12a4567")
