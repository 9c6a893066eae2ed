"""法人番号 (corporate number) and 適格請求書発行事業者登録番号 (invoice registration number).

A 法人番号 is 13 digits: a leading check digit, then a 12-digit base. The National Tax
Agency rule (houjin-bangou.nta.go.jp, checkdigit.pdf): with P_n the n-th base digit counted
from the right (n = 1..12) and Q_n = 1 for odd n, 2 for even n,

    check digit = 9 - (Σ P_n × Q_n  mod 9)

so it is always 1..9. An invoice registration number is "T" followed by 13 digits; for a
corporation the digits are its 法人番号. The check digit only filters typos: whether a number
is actually assigned is answered by the NTA's public lookup, not here.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "check_digit",
    "corporate_number_error",
    "invoice_registration_number_error",
    "is_valid_corporate_number",
    "is_valid_invoice_registration_number",
]

_DIGITS: Final = frozenset("0123456789")
CORPORATE_NUMBER_LENGTH: Final = 13
INVOICE_PREFIX: Final = "T"


def _first_non_digit(text: str) -> str | None:
    # str.isdigit() accepts full-width and other Unicode digits; a 法人番号 is ASCII only.
    return next((char for char in text if char not in _DIGITS), None)


def check_digit(base12: str) -> int:
    """The check digit (1..9) for a 12-digit 法人番号 base."""
    if len(base12) != CORPORATE_NUMBER_LENGTH - 1 or _first_non_digit(base12) is not None:
        raise ValueError(f"a 法人番号 base is 12 digits 0-9, got {base12!r}")
    total = sum(
        int(digit) * (1 if n % 2 == 1 else 2) for n, digit in enumerate(reversed(base12), start=1)
    )
    return 9 - total % 9


def corporate_number_error(number: str) -> str | None:
    """Why `number` is not a valid 法人番号, or None when it is."""
    bad = _first_non_digit(number)
    if bad is not None:
        return f"must contain only the digits 0-9, found {bad!r}"
    if len(number) != CORPORATE_NUMBER_LENGTH:
        return f"must be 13 digits, got {len(number)}"
    expected = check_digit(number[1:])
    if int(number[0]) != expected:
        return f"check digit mismatch: got {number[0]}, expected {expected}"
    return None


def is_valid_corporate_number(number: str) -> bool:
    return corporate_number_error(number) is None


def invoice_registration_number_error(number: str) -> str | None:
    """Why `number` is not a valid 登録番号 ("T" + 13 digits), or None when it is."""
    if not number.startswith(INVOICE_PREFIX):
        return 'must start with "T" followed by 13 digits'
    return corporate_number_error(number[len(INVOICE_PREFIX) :])


def is_valid_invoice_registration_number(number: str) -> bool:
    return invoice_registration_number_error(number) is None
