"""Masked display of sensitive numbers: only the last four digits are shown."""

from __future__ import annotations

import unicodedata

from daiko.security.my_number import normalize_my_number

VISIBLE = 4


def mask_my_number(value: str) -> str:
    """`123456789018` → `********9018`. Accepts the spaced or hyphenated and full-width
    forms people type; refuses anything that is not 12 digits."""
    digits = normalize_my_number(value)
    if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
        raise ValueError("a My Number has 12 digits")
    return "*" * 8 + digits[-VISIBLE:]


def mask_account_number(value: str) -> str:
    """Bank account number (口座番号, 7 digits; ゆうちょ 8) → `***4567`: the length
    stays, all but the last four digits become `*`. Shorter numbers show nothing."""
    digits = unicodedata.normalize("NFKC", value).replace("-", "").replace(" ", "")
    if not digits.isascii() or not digits.isdigit():
        raise ValueError("an account number is digits only")
    if len(digits) <= VISIBLE:
        return "*" * len(digits)
    return "*" * (len(digits) - VISIBLE) + digits[-VISIBLE:]
