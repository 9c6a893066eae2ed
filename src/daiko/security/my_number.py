"""個人番号 (My Number): normalisation and the check digit (検査用数字).

12 digits: an 11-digit base and a check digit. With P_n the n-th digit of the base
counted from the right (n = 1…11) and Q_n = n + 1 for n ≤ 6, n − 5 for n ≥ 7:
check = 11 − (Σ P_n × Q_n mod 11), or 0 when Σ mod 11 ≤ 1 (算式 under 番号法施行令's
ministerial ordinance; see shared/domain/japan-2026.md §4.1). A valid check digit only
catches typos; it does not make a number genuine (本人確認 still applies).
"""

from __future__ import annotations

import unicodedata


def normalize_my_number(value: str) -> str:
    """Full-width digits to ASCII, spaces and hyphens removed (`１２３４-５６７８…`)."""
    text = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in text if ch not in " -\u2010\u2212\u30fc\t")


def my_number_check_digit(base: str) -> int:
    """The check digit for an 11-digit base."""
    if len(base) != 11 or not base.isascii() or not base.isdigit():
        raise ValueError("the base of a My Number is 11 digits")
    total = 0
    for n, digit in enumerate(reversed(base), start=1):
        q = n + 1 if n <= 6 else n - 5
        total += int(digit) * q
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_valid_my_number(value: str) -> bool:
    """12 digits (after `normalize_my_number`) whose last digit is the check digit."""
    digits = normalize_my_number(value)
    if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
        return False
    return my_number_check_digit(digits[:11]) == int(digits[11])
