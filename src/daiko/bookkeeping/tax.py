"""Consumption tax (消費税) per journal line: categories, rates and rounding. Pure, no I/O.

A line's amount is read as tax-inclusive (内税) or tax-exclusive (外税) per the tenant's
`amount_basis`; the tax is rounded once per line with the tenant's rounding (切り捨て /
四捨五入 / 切り上げ). Integer yen throughout, `Decimal` for the one division.

Category codes mirror what 弥生, freee and MF offer (§3.3 of the domain notes); the
transitional deduction for purchases from unregistered suppliers (80 % to 2026-09-30,
70 % from 2026-10-01 under the 2026 reform — unconfirmed) is carried by the category.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Final, Literal

Side = Literal["sales", "purchase", "none"]
Rounding = Literal["floor", "round", "ceil"]
Basis = Literal["inclusive", "exclusive"]


@dataclass(frozen=True)
class TaxCategory:
    code: str
    label: str  # Japanese, as the packages name it
    side: Side
    rate: int  # percent: 10, 8 or 0
    deductible_percent: int = 100  # purchases: share of input tax deductible
    yayoi: str = "対象外"  # 弥生 税区分 (内税 input, invoice class)
    # freee 税区分 as freee names them (課対仕入（控80）10% for the transitional 80 %).
    freee: str = "対象外"
    # MF 税区分: the plain category; MF carries the invoice class (適格 / 80%控除) in its
    # own インボイス column (see `daiko.bookkeeping.exports`).
    mf: str = "対象外"


CATEGORIES: Final[tuple[TaxCategory, ...]] = (
    TaxCategory(
        "taxable_sales_10", "課税売上10%", "sales", 10, 100, "課税売上内10%", "課税売上10%",
        "課税売上 10%",
    ),
    TaxCategory(
        "taxable_sales_8r", "課税売上8%(軽)", "sales", 8, 100, "課税売上内軽減8%",
        "課税売上8%（軽）", "課税売上 (軽)8%",
    ),
    TaxCategory(
        "zero_rated_sales", "免税売上(輸出)", "sales", 0, 100, "輸出売上", "輸出売上",
        "輸出売上 0%",
    ),
    TaxCategory(
        "exempt_sales", "非課税売上", "sales", 0, 100, "非課売上", "非課売上", "非課税売上"
    ),
    TaxCategory(
        "taxable_purchase_10", "課税仕入10%", "purchase", 10, 100, "課対仕入内10%適格",
        "課対仕入10%", "課税仕入 10%",
    ),
    TaxCategory(
        "taxable_purchase_8r", "課税仕入8%(軽)", "purchase", 8, 100, "課対仕入内軽減8%適格",
        "課対仕入8%（軽）", "課税仕入 (軽)8%",
    ),
    TaxCategory(
        "taxable_purchase_10_80", "課税仕入10%(80%控除)", "purchase", 10, 80,
        "課対仕入内10%区分80%", "課対仕入（控80）10%", "課税仕入 10%",
    ),
    TaxCategory(
        "taxable_purchase_8r_80", "課税仕入8%(軽・80%控除)", "purchase", 8, 80,
        "課対仕入内軽減8%区分80%", "課対仕入（控80）8%（軽）", "課税仕入 (軽)8%",
    ),
    TaxCategory(
        "taxable_purchase_10_70", "課税仕入10%(70%控除)", "purchase", 10, 70,
        "課対仕入内10%区分70%", "課対仕入（控70）10%", "課税仕入 10%",
    ),
    TaxCategory(
        "taxable_purchase_8r_70", "課税仕入8%(軽・70%控除)", "purchase", 8, 70,
        "課対仕入内軽減8%区分70%", "課対仕入（控70）8%（軽）", "課税仕入 (軽)8%",
    ),
    TaxCategory(
        "exempt_purchase", "非課税仕入", "purchase", 0, 100, "非課仕入", "非課仕入", "非課税仕入"
    ),
    TaxCategory("non_taxable", "不課税", "none", 0, 100, "対象外", "不課税", "対象外"),
    TaxCategory("out_of_scope", "対象外", "none", 0, 100, "対象外", "対象外", "対象外"),
)  # fmt: skip

BY_CODE: Final[dict[str, TaxCategory]] = {c.code: c for c in CATEGORIES}


def category(code: str) -> TaxCategory:
    """The category named `code`; KeyError for an unknown one."""
    return BY_CODE[code]


def _round(value: Decimal, rounding: Rounding) -> int:
    mode = {"floor": ROUND_FLOOR, "round": ROUND_HALF_UP, "ceil": ROUND_CEILING}[rounding]
    return int(value.quantize(Decimal(1), rounding=mode))


@dataclass(frozen=True)
class TaxSplit:
    net: int  # 税抜金額
    tax: int  # 消費税額
    gross: int  # 税込金額


def split(amount: int, rate: int, basis: Basis, rounding: Rounding) -> TaxSplit:
    """Net, tax and gross of `amount` (yen) at `rate` %.

    inclusive: tax = amount × rate / (100 + rate), rounded; net = amount − tax.
    exclusive: tax = amount × rate / 100, rounded; gross = amount + tax.
    """
    if amount < 0:
        raise ValueError("amount must not be negative")
    if rate == 0:
        return TaxSplit(amount, 0, amount)
    if basis == "inclusive":
        tax = _round(Decimal(amount) * rate / (100 + rate), rounding)
        return TaxSplit(amount - tax, tax, amount)
    tax = _round(Decimal(amount) * rate / 100, rounding)
    return TaxSplit(amount, tax, amount + tax)


def deductible_tax(tax: int, deductible_percent: int, rounding: Rounding = "floor") -> int:
    """The deductible part of input tax under the transitional measure (80 % / 70 % …)."""
    return _round(Decimal(tax) * deductible_percent / 100, rounding)
