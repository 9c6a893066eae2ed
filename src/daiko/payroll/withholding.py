"""源泉徴収税額: income tax withheld from salary (月額表) and bonus (賞与の算出率の表).

Pure functions over effective-dated data in ``data/withholding/`` (one YAML + CSVs per
calendar year). The year is chosen by the **payment date** (支払日): pay dated
2026-12-25 uses 令和8年分, pay dated 2027-01-05 uses 令和9年分 even when it is for
December work.

Inputs are integer yen. ``amount`` is その月の社会保険料等控除後の給与等の金額 (taxable pay
minus the social insurance deducted on the same payslip). Rates are Decimals read from
quoted strings; nothing here touches a float.

Methods:

* ``"table"`` — the printed 月額表 (row lookup; at and above 740,000 base + rate on the
  excess, yen truncated).
* ``"formula"`` — 電算機計算の特例 (告示第116号): 甲欄 only; 乙欄 always uses the table.

``dependents`` is 扶養親族等の数 for 甲欄. For 乙欄 it is the number of people on a
従たる給与についての扶養控除等申告書 (normally 0): each reduces the tax by 1,610 yen.
"""

from __future__ import annotations

import csv
import functools
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from daiko.errors import InvalidInput

Column = Literal["kou", "otsu"]
Method = Literal["table", "formula"]
Confidence = Literal["V2", "V1", "U"]

DATA_DIR = Path(__file__).resolve().parent / "data" / "withholding"
KOU_COLUMNS = 8  # 0人 … 7人 (the bonus table's last column is 7人以上)
_ONE = Decimal(1)
_TEN = Decimal(10)
_THOUSAND = 1000


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def _round_to_ten(value: Decimal) -> int:
    """10円未満四捨五入."""
    return int((value / _TEN).to_integral_value(rounding=ROUND_HALF_UP)) * 10


@dataclass(frozen=True, slots=True)
class KouSegment:
    """甲欄 at and above 740,000: ``base[dependents] + (amount − start) × rate``."""

    start: int
    rate: Decimal
    base: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class OtsuSegment:
    start: int
    rate: Decimal
    base: int


@dataclass(frozen=True, slots=True)
class MonthlyTable:
    """給与所得の源泉徴収税額表 月額表 for one year."""

    lower_bounds: tuple[int, ...]  # each row's 以上 bound, ascending
    table_max: int  # 未満 bound of the last row (740,000)
    kou: tuple[tuple[int, ...], ...]  # per row: 甲 0人 … 7人
    otsu: tuple[int, ...]  # per row: 乙
    kou_segments: tuple[KouSegment, ...]
    otsu_segments: tuple[OtsuSegment, ...]
    otsu_below_first_row_rate: Decimal
    per_extra_dependent: int
    confidence: Confidence
    source: str
    kou_segment_starts: tuple[int, ...] = field(init=False)
    otsu_segment_starts: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kou_segment_starts", tuple(s.start for s in self.kou_segments))
        object.__setattr__(self, "otsu_segment_starts", tuple(s.start for s in self.otsu_segments))

    @property
    def first_row(self) -> int:
        return self.lower_bounds[0]

    def kou_tax(self, amount: int, dependents: int) -> int:
        col = min(dependents, KOU_COLUMNS - 1)
        if amount < self.first_row:
            tax = 0
        elif amount < self.table_max:
            tax = self.kou[bisect_right(self.lower_bounds, amount) - 1][col]
        else:
            seg = self.kou_segments[bisect_right(self.kou_segment_starts, amount) - 1]
            tax = seg.base[col] + _floor((amount - seg.start) * seg.rate)
        extra = dependents - col
        return max(0, tax - extra * self.per_extra_dependent)

    def otsu_tax(self, amount: int, declared: int = 0) -> int:
        if amount < self.first_row:
            tax = _floor(amount * self.otsu_below_first_row_rate)
        elif amount < self.table_max:
            tax = self.otsu[bisect_right(self.lower_bounds, amount) - 1]
        else:
            seg = self.otsu_segments[bisect_right(self.otsu_segment_starts, amount) - 1]
            tax = seg.base + _floor((amount - seg.start) * seg.rate)
        return max(0, tax - declared * self.per_extra_dependent)


@dataclass(frozen=True, slots=True)
class DeductionBand:
    """別表第一 band: ``fixed`` or ``amount × rate + add`` (yen below 1 rounded up)."""

    upto: int | None  # inclusive; None = no upper limit
    fixed: int | None
    rate: Decimal
    add: int


@dataclass(frozen=True, slots=True)
class BasicBand:
    upto: int | None
    amount: int


@dataclass(frozen=True, slots=True)
class TaxBracket:
    upto: int | None
    rate: Decimal
    subtract: int


_Band = TypeVar("_Band", DeductionBand, BasicBand, TaxBracket)


def _band_for(bands: tuple[_Band, ...], value: int) -> _Band:
    for band in bands:
        if band.upto is None or value <= band.upto:
            return band
    raise AssertionError("the last band has no upper limit")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class FormulaParams:
    """電算機計算の特例 (別表第一〜第四) for one year. 甲欄 only."""

    employment_income_deduction: tuple[DeductionBand, ...]
    dependent_deduction: int
    basic_deduction: tuple[BasicBand, ...]
    tax_brackets: tuple[TaxBracket, ...]
    confidence: Confidence
    source: str

    def taxable(self, amount: int, dependents: int) -> int:
        """B = A − 別表第一 − 別表第二 − 別表第三, not below 0."""
        band = _band_for(self.employment_income_deduction, amount)
        fixed = band.fixed
        employment = fixed if fixed is not None else _ceil(amount * band.rate) + band.add
        basic = _band_for(self.basic_deduction, amount).amount
        return max(0, amount - employment - dependents * self.dependent_deduction - basic)

    def tax(self, amount: int, dependents: int) -> int:
        b = self.taxable(amount, dependents)
        bracket = _band_for(self.tax_brackets, b)
        return max(0, _round_to_ten(b * bracket.rate - bracket.subtract))


@dataclass(frozen=True, slots=True)
class BonusTable:
    """賞与に対する源泉徴収税額の算出率の表. Bounds are 以上 bounds in 千円 of the
    previous month's after-insurance pay; ``confidence`` "U" means the figures are not
    verified for this year (callers should warn)."""

    rates: tuple[Decimal, ...]  # percent, e.g. Decimal("2.042")
    kou_bounds: tuple[tuple[int, ...], ...]  # per column 0 … 7人以上: lower bound per rate row
    otsu_rows: tuple[tuple[int, Decimal], ...]  # (lower bound 千円, percent)
    confidence: Confidence
    source: str
    note: str

    def rate_percent(self, previous_month: int, column: Column, dependents: int) -> Decimal:
        """The rate (in percent) for previous-month after-insurance pay ``previous_month``."""
        if column == "otsu":
            bounds = [b * _THOUSAND for b, _ in self.otsu_rows]
            return self.otsu_rows[bisect_right(bounds, previous_month) - 1][1]
        col = self.kou_bounds[min(dependents, KOU_COLUMNS - 1)]
        # A rate row can be empty for a column (its lower bound equals the next row's);
        # bisect_right then lands on the last row starting at or below the amount.
        idx = bisect_right([b * _THOUSAND for b in col], previous_month) - 1
        return self.rates[max(idx, 0)]


@dataclass(frozen=True, slots=True)
class WithholdingYear:
    """Everything withholding needs for pay dated ``valid_from`` … ``valid_to``."""

    year: int
    label: str
    valid_from: date
    valid_to: date
    confidence: Confidence
    monthly: MonthlyTable
    formula: FormulaParams
    bonus: BonusTable

    def covers(self, pay_date: date) -> bool:
        return self.valid_from <= pay_date <= self.valid_to


# --- loading -------------------------------------------------------------------------


def _dec(value: Any, where: str) -> Decimal:
    if not isinstance(value, str):
        raise ValueError(f"{where}: rates must be quoted strings, got {value!r}")
    return Decimal(value)


def _conf(value: Any, where: str) -> Confidence:
    if value not in ("V2", "V1", "U"):
        raise ValueError(f"{where}: confidence must be V2, V1 or U, got {value!r}")
    conf: Confidence = value
    return conf


def _read_csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load_monthly_csv(name: str) -> list[tuple[int, ...]]:
    """Rows of ``min,max,kou0..kou7,otsu`` as int tuples (also used by the diff tests)."""
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        if header != ["min", "max", *(f"kou{i}" for i in range(KOU_COLUMNS)), "otsu"]:
            raise ValueError(f"{name}: unexpected header {header}")
        return [tuple(int(v) for v in row) for row in reader]


def _monthly(spec: dict[str, Any]) -> MonthlyTable:
    rows = load_monthly_csv(spec["table"])
    for prev, row in pairwise(rows):
        if prev[1] != row[0]:
            raise ValueError(f"{spec['table']}: gap between rows at {prev[1]} / {row[0]}")
    kou_segments = tuple(
        KouSegment(int(s["from"]), _dec(s["rate"], "kou_segments"), tuple(s["base"]))
        for s in spec["kou_segments"]
    )
    otsu_segments = tuple(
        OtsuSegment(int(s["from"]), _dec(s["rate"], "otsu_segments"), int(s["base"]))
        for s in spec["otsu_segments"]
    )
    table_max = rows[-1][1]
    if kou_segments[0].start != table_max or otsu_segments[0].start != table_max:
        raise ValueError(f"{spec['table']}: segments must start where the table ends")
    if any(len(s.base) != KOU_COLUMNS for s in kou_segments):
        raise ValueError("kou_segments: one base per 甲欄 column")
    return MonthlyTable(
        lower_bounds=tuple(r[0] for r in rows),
        table_max=table_max,
        kou=tuple(r[2 : 2 + KOU_COLUMNS] for r in rows),
        otsu=tuple(r[2 + KOU_COLUMNS] for r in rows),
        kou_segments=kou_segments,
        otsu_segments=otsu_segments,
        otsu_below_first_row_rate=_dec(spec["otsu_below_first_row_rate"], "otsu rate"),
        per_extra_dependent=int(spec["per_extra_dependent"]),
        confidence=_conf(spec["confidence"], "monthly"),
        source=str(spec["source"]).strip(),
    )


def _formula(spec: dict[str, Any]) -> FormulaParams:
    return FormulaParams(
        employment_income_deduction=tuple(
            DeductionBand(
                upto=b["upto"],
                fixed=b.get("fixed"),
                rate=_dec(b.get("rate", "0"), "別表第一"),
                add=int(b.get("add", 0)),
            )
            for b in spec["employment_income_deduction"]
        ),
        dependent_deduction=int(spec["dependent_deduction"]),
        basic_deduction=tuple(
            BasicBand(b["upto"], int(b["amount"])) for b in spec["basic_deduction"]
        ),
        tax_brackets=tuple(
            TaxBracket(b["upto"], _dec(b["rate"], "別表第四"), int(b["subtract"]))
            for b in spec["tax_brackets"]
        ),
        confidence=_conf(spec["confidence"], "formula"),
        source=str(spec["source"]).strip(),
    )


def _bonus(spec: dict[str, Any]) -> BonusTable:
    rows = _read_csv(spec["table"])
    rates = tuple(_dec(r["rate"], "bonus rate") for r in rows)
    kou_bounds = tuple(tuple(int(r[f"kou{i}"]) for r in rows) for i in range(KOU_COLUMNS))
    for i, col in enumerate(kou_bounds):
        if list(col) != sorted(col) or col[0] != 0:
            raise ValueError(f"{spec['table']}: kou{i} bounds must start at 0 and ascend")
    otsu_rows = tuple(
        (int(r["otsu"]), rate) for r, rate in zip(rows, rates, strict=True) if r["otsu"]
    )
    if not otsu_rows or otsu_rows[0][0] != 0:
        raise ValueError(f"{spec['table']}: the first 乙欄 band must start at 0")
    return BonusTable(
        rates=rates,
        kou_bounds=kou_bounds,
        otsu_rows=otsu_rows,
        confidence=_conf(spec["confidence"], "bonus"),
        source=str(spec["source"]).strip(),
        note=str(spec.get("note", "")).strip(),
    )


def _load_year(path: Path) -> WithholdingYear:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    return WithholdingYear(
        year=int(spec["year"]),
        label=str(spec["label"]),
        valid_from=spec["valid_from"],
        valid_to=spec["valid_to"],
        confidence=_conf(spec["confidence"], path.name),
        monthly=_monthly(spec["monthly"]),
        formula=_formula(spec["formula"]),
        bonus=_bonus(spec["bonus"]),
    )


@functools.cache
def all_years() -> tuple[WithholdingYear, ...]:
    """Every packaged year, oldest first (loaded once per process)."""
    years = tuple(
        sorted((_load_year(p) for p in DATA_DIR.glob("year-*.yaml")), key=lambda y: y.valid_from)
    )
    for prev, nxt in pairwise(years):
        if prev.valid_to >= nxt.valid_from:
            raise ValueError(f"withholding years {prev.year} and {nxt.year} overlap")
    return years


def tables_for(pay_date: date) -> WithholdingYear:
    """The withholding data for pay dated ``pay_date``."""
    for year in all_years():
        if year.covers(pay_date):
            return year
    covered = ", ".join(f"{y.valid_from}..{y.valid_to}" for y in all_years())
    raise InvalidInput.field(
        "pay_date", f"no withholding table covers {pay_date.isoformat()} (packaged: {covered})"
    )


# --- calculation ---------------------------------------------------------------------


def _check(amount: int, name: str, dependents: int, column: str, method: str) -> None:
    if amount < 0:
        raise InvalidInput.field(name, "must be 0 or more")
    if dependents < 0:
        raise InvalidInput.field("dependents", "must be 0 or more")
    if column not in ("kou", "otsu"):
        raise InvalidInput.field("column", "must be kou or otsu")
    if method not in ("table", "formula"):
        raise InvalidInput.field("method", "must be table or formula")


def _monthly_for(
    year: WithholdingYear, amount: int, column: Column, dependents: int, method: Method
) -> int:
    if column == "otsu":
        return year.monthly.otsu_tax(amount, dependents)
    if method == "formula":
        return year.formula.tax(amount, dependents)
    return year.monthly.kou_tax(amount, dependents)


def monthly_tax(
    pay_date: date,
    amount: int,
    *,
    column: Column,
    dependents: int,
    method: Method = "table",
) -> int:
    """Tax withheld from one month's pay. ``amount`` = 社会保険料等控除後の給与等の金額."""
    _check(amount, "amount", dependents, column, method)
    return _monthly_for(tables_for(pay_date), amount, column, dependents, method)


def bonus_rate(
    pay_date: date,
    previous_month_after_insurance: int,
    *,
    column: Column,
    dependents: int,
) -> Decimal:
    """The 算出率 (percent, e.g. ``Decimal("2.042")``) for the previous month's pay."""
    return tables_for(pay_date).bonus.rate_percent(
        previous_month_after_insurance, column, dependents
    )


def bonus_tax(
    pay_date: date,
    bonus_after_insurance: int,
    *,
    previous_month_after_insurance: int | None,
    column: Column,
    dependents: int,
    method: Method = "table",
    months_covered: int = 6,
) -> int:
    """Tax withheld from a bonus (NTA タックスアンサー No.2523).

    Normally floor(bonus_after_insurance × rate), the rate found by the previous month's
    after-insurance pay P. When there was no pay last month (None or P ≤ 0) or the bonus
    exceeds 10 × P, the 月額表 is used instead on X = bonus ÷ 6 (÷ 12 when the bonus
    covers more than 6 months), with ``method`` deciding table or formula for those
    lookups.
    """
    _check(bonus_after_insurance, "bonus_after_insurance", dependents, column, method)
    if months_covered < 1:
        raise InvalidInput.field("months_covered", "must be 1 or more")
    year = tables_for(pay_date)
    if bonus_after_insurance == 0:
        return 0
    divisor = 12 if months_covered > 6 else 6
    p = previous_month_after_insurance
    if p is None or p <= 0:
        x = bonus_after_insurance // divisor
        return _monthly_for(year, x, column, dependents, method) * divisor
    if bonus_after_insurance > 10 * p:
        x = bonus_after_insurance // divisor
        with_bonus = _monthly_for(year, p + x, column, dependents, method)
        without = _monthly_for(year, p, column, dependents, method)
        return max(0, with_bonus - without) * divisor
    rate = year.bonus.rate_percent(p, column, dependents)
    return _floor(bonus_after_insurance * rate / 100)
