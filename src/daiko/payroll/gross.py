"""Gross pay from attendance (勤怠 → 総支給額), 労働基準法 §37 (japan-2026.md §1.13).

Pay basis: monthly (月給), daily (日給) or hourly (時給).

Hourly base (1時間あたりの賃金, 労基則 §19):
- monthly: (base salary + allowances that count) ÷ average monthly scheduled hours
  (1年間における1月平均所定労働時間数);
- daily: daily wage ÷ scheduled hours per day, plus allowances that count ÷ average
  monthly scheduled hours;
- hourly: hourly wage, plus allowances that count ÷ average monthly scheduled hours.
Allowances that do not count (除外賃金, 労基則 §21): 家族手当, 通勤手当, 別居手当, 子女教育手当,
住宅手当, 臨時に支払われた賃金, 1か月を超える期間ごとに支払われる賃金 — decided by the allowance's
name unless `counts_for_overtime` says otherwise (a 住宅手当 paid at a flat rate does count:
set it explicitly). The hourly base is kept exact (not rounded).

Premiums (statutory minimums; a company may pay more via `PremiumRates`): 時間外 25 %,
時間外 beyond 60 h in the month 50 %, 法定休日 35 %, 深夜 +25 % on top of whatever else applies.
Overtime and rest-day lines pay the whole hour (1.25 / 1.50 / 1.35 × base); the late-night
line pays only the premium (0.25 × base) because those hours are already paid by another
line or the salary.

Absence and lateness (欠勤・遅刻早退控除, monthly basis only; the common rule of work rules):
one day = (base + allowances that count) ÷ this month's scheduled days; one late hour =
the hourly base.

Rounding rule chosen: **each line is rounded to the yen separately, half a yen up**
(¥0.5 and up → ¥1; 通貨の単位及び貨幣の発行等に関する法律 §3, §1.13 last paragraph), after
multiplying the exact hourly base by the exact hours. Hours are decimal hours; use
`round_monthly_overtime` for the administrative 30-minute monthly rounding if the client
applies it.

Commuting allowance: non-taxable up to its limit (public transport ¥150,000/month from
`data/insurance/commuting.toml`, or the limit given for car commuters); the excess is
taxable pay. It never counts for overtime. It does count for employment insurance
(callers pass `non_taxable_pay` to `calc.MonthInput`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Literal

from daiko.errors import InvalidInput
from daiko.payroll import rates

__all__ = [
    "EXCLUDED_ALLOWANCE_NAMES",
    "STATUTORY_PREMIUMS",
    "Allowance",
    "Attendance",
    "GrossResult",
    "PayBasis",
    "PayLine",
    "PremiumRates",
    "calculate_gross",
    "round_monthly_overtime",
]

PayBasis = Literal["monthly", "daily", "hourly"]

EXCLUDED_ALLOWANCE_NAMES: Final = (
    "家族手当",
    "扶養手当",
    "通勤手当",
    "別居手当",
    "単身赴任手当",
    "子女教育手当",
    "住宅手当",
    "臨時",
)
"""Name fragments of 除外賃金 (労基則 §21): an allowance whose name contains one of these
is left out of the hourly base unless `counts_for_overtime` is set."""

_ZERO = Decimal(0)
_SIXTY = Decimal(60)


@dataclass(frozen=True, slots=True, kw_only=True)
class PremiumRates:
    """割増率 as fractions; the defaults are the statutory minimums (§1.13)."""

    overtime: Decimal = Decimal("0.25")
    overtime_beyond_60h: Decimal = Decimal("0.50")
    statutory_rest_day: Decimal = Decimal("0.35")
    late_night: Decimal = Decimal("0.25")


STATUTORY_PREMIUMS: Final = PremiumRates()


@dataclass(frozen=True, slots=True, kw_only=True)
class Allowance:
    """A monthly allowance (手当). `counts_for_overtime` None = decided by the name."""

    name: str
    amount: int
    taxable: bool = True
    counts_for_overtime: bool | None = None

    @property
    def in_hourly_base(self) -> bool:
        if self.counts_for_overtime is not None:
            return self.counts_for_overtime
        return not any(fragment in self.name for fragment in EXCLUDED_ALLOWANCE_NAMES)


@dataclass(frozen=True, slots=True, kw_only=True)
class Attendance:
    """One employee's month of attendance and pay terms.

    `base_rate` is the monthly salary, the daily wage or the hourly wage by `pay_basis`.
    Hours are decimal hours (7.5 = 7 h 30 min). `overtime_hours` is all 法定時間外 work of
    the month (the part beyond 60 h gets the higher rate); `statutory_rest_day_hours` is
    work on the 法定休日 (no separate 時間外 on top); `late_night_hours` counts every hour
    worked 22:00–05:00 whatever its kind.
    """

    pay_date: dt.date
    pay_basis: PayBasis
    base_rate: int
    average_monthly_scheduled_hours: Decimal | None = None
    scheduled_daily_hours: Decimal | None = None
    scheduled_days: Decimal | None = None
    days_worked: Decimal = _ZERO
    hours_worked: Decimal = _ZERO
    allowances: tuple[Allowance, ...] = ()
    commuting_allowance: int = 0
    commuting_non_taxable_limit: int | None = None
    overtime_hours: Decimal = _ZERO
    statutory_rest_day_hours: Decimal = _ZERO
    late_night_hours: Decimal = _ZERO
    absence_days: Decimal = _ZERO
    lateness_hours: Decimal = _ZERO
    premiums: PremiumRates = STATUTORY_PREMIUMS


@dataclass(frozen=True, slots=True)
class PayLine:
    """One line of the payslip's 支給 part; deductions (欠勤控除) are negative."""

    name: str
    amount: int
    taxable: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class GrossResult:
    """Gross pay split into taxable and non-taxable parts, with its lines."""

    lines: tuple[PayLine, ...]
    hourly_base: Decimal
    taxable_pay: int
    non_taxable_pay: int

    @property
    def gross_pay(self) -> int:
        return self.taxable_pay + self.non_taxable_pay

    def line(self, name: str) -> int:
        """The amount of a line by name (0 when absent)."""
        return sum(line.amount for line in self.lines if line.name == name)


def round_half_up(amount: Decimal) -> int:
    """To the yen, ¥0.5 and up rounded up (for negative amounts: away from zero)."""
    return int(amount.to_integral_value(rounding=ROUND_HALF_UP))


def round_monthly_overtime(hours: Decimal) -> Decimal:
    """The month's total overtime with under 30 minutes dropped and 30 minutes or more
    rounded up to the hour (the long-standing administrative notice; never per day)."""
    whole = int(hours)
    return Decimal(whole + 1 if hours - whole >= Decimal("0.5") else whole)


def _positive(name: str, value: Decimal | None) -> Decimal:
    if value is None or value <= 0:
        raise InvalidInput.field(name, "is required and must be more than 0")
    return value


def _hourly_base(att: Attendance, counted: int) -> Decimal:
    allowance_part = _ZERO
    if counted:
        hours = _positive("average_monthly_scheduled_hours", att.average_monthly_scheduled_hours)
        allowance_part = Decimal(counted) / hours
    if att.pay_basis == "monthly":
        hours = _positive("average_monthly_scheduled_hours", att.average_monthly_scheduled_hours)
        return Decimal(att.base_rate) / hours + allowance_part
    if att.pay_basis == "daily":
        per_day = _positive("scheduled_daily_hours", att.scheduled_daily_hours)
        return Decimal(att.base_rate) / per_day + allowance_part
    return Decimal(att.base_rate) + allowance_part


def _check(att: Attendance) -> None:
    if att.pay_basis not in ("monthly", "daily", "hourly"):
        raise InvalidInput.field("pay_basis", "must be monthly, daily or hourly")
    for name in ("base_rate", "commuting_allowance"):
        if getattr(att, name) < 0:
            raise InvalidInput.field(name, "must be 0 or more")
    for name in (
        "days_worked",
        "hours_worked",
        "overtime_hours",
        "statutory_rest_day_hours",
        "late_night_hours",
        "absence_days",
        "lateness_hours",
    ):
        if getattr(att, name) < 0:
            raise InvalidInput.field(name, "must be 0 or more")
    for allowance in att.allowances:
        if allowance.amount < 0:
            raise InvalidInput.field("allowances", f"{allowance.name}: must be 0 or more")


def calculate_gross(att: Attendance) -> GrossResult:
    """Gross pay of a month from attendance; see the module docstring for every rule."""
    _check(att)
    counted = sum(a.amount for a in att.allowances if a.in_hourly_base)
    hourly = _hourly_base(att, counted)
    p = att.premiums
    lines: list[PayLine] = []

    if att.pay_basis == "monthly":
        lines.append(PayLine("基本給", att.base_rate))
    elif att.pay_basis == "daily":
        lines.append(PayLine("基本給", round_half_up(Decimal(att.base_rate) * att.days_worked)))
    else:
        lines.append(PayLine("基本給", round_half_up(Decimal(att.base_rate) * att.hours_worked)))
    lines.extend(PayLine(a.name, a.amount, a.taxable) for a in att.allowances)

    within = min(att.overtime_hours, _SIXTY)
    beyond = max(att.overtime_hours - _SIXTY, _ZERO)
    premium_lines = (
        ("時間外手当", within, 1 + p.overtime),
        ("時間外手当(60時間超)", beyond, 1 + p.overtime_beyond_60h),
        ("休日出勤手当", att.statutory_rest_day_hours, 1 + p.statutory_rest_day),
        ("深夜手当", att.late_night_hours, p.late_night),
    )
    for name, hours, multiplier in premium_lines:
        if hours:
            lines.append(PayLine(name, round_half_up(hourly * multiplier * hours)))

    if att.pay_basis == "monthly":
        if att.absence_days:
            days = _positive("scheduled_days", att.scheduled_days)
            per_day = Decimal(att.base_rate + counted) / days
            lines.append(PayLine("欠勤控除", -round_half_up(per_day * att.absence_days)))
        if att.lateness_hours:
            lines.append(PayLine("遅刻早退控除", -round_half_up(hourly * att.lateness_hours)))

    if att.commuting_allowance:
        limit = att.commuting_non_taxable_limit
        if limit is None:
            limit = rates.commuting_public_transport_limit(att.pay_date)
        exempt = min(att.commuting_allowance, limit)
        lines.append(PayLine("通勤手当", exempt, taxable=False))
        if att.commuting_allowance > exempt:
            lines.append(PayLine("通勤手当(課税)", att.commuting_allowance - exempt))

    non_taxable = sum(line.amount for line in lines if not line.taxable)
    taxable = sum(line.amount for line in lines if line.taxable)
    if taxable < 0:
        raise InvalidInput.field("absence_days", "deductions exceed the month's pay")
    return GrossResult(
        lines=tuple(lines),
        hourly_base=hourly,
        taxable_pay=taxable,
        non_taxable_pay=non_taxable,
    )
