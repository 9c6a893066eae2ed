"""Social-insurance and employment-insurance premiums: rounding, ages, premium months.

Rounding (japan-2026.md §1.4):
- employee share deducted from pay, every line on its own (health+care combined, the
  child-support levy, pension, employment insurance): fraction ≤ 50 銭 dropped,
  > 50 銭 rounded up (`round_50sen`);
- employer share = full premium with the sub-yen part truncated − the employee share,
  so the employer absorbs the half yen (`split`);
- employment insurance employer share = wages × employer rate, truncated;
- 子ども・子育て拠出金 (employer only) truncated.

Ages use the day-before-birthday rule (年齢計算ニ関スル法律: an age is reached on the day
before the birthday) and are evaluated for the insurance month:
- 介護保険 (40–64): from the month containing the day before the 40th birthday, up to the
  month before the month containing the day before the 65th birthday;
- 厚生年金 ends at 70: loss date = the day before the 70th birthday, so the last premium
  month is the month before the month containing that day;
- 健康保険 ends at 75: 後期高齢者医療 starts ON the 75th birthday (高齢者医療確保法 §52; the
  practice of 協会けんぽ and 日本年金機構), so the last premium month is the month before
  the month containing the birthday. (For 75 we do not use the day before.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import lru_cache

__all__ = [
    "PremiumLine",
    "add_months",
    "care_due",
    "charged_insurance_months",
    "employment_insurance",
    "health_due",
    "month_of",
    "pension_due",
    "premium_months",
    "round_50sen",
    "split",
    "truncate_yen",
]

_HUNDRED = Decimal(100)
_THOUSAND = Decimal(1000)
_HALF = Decimal("0.5")


def round_50sen(amount: Decimal) -> int:
    """Employee share deducted from pay: ≤ 0.50 yen dropped, > 0.50 yen rounded up."""
    if amount < 0:
        raise ValueError("premium must not be negative")
    whole = int(amount.to_integral_value(rounding=ROUND_DOWN))
    return whole + 1 if amount - whole > _HALF else whole


def truncate_yen(amount: Decimal) -> int:
    """Sub-yen part dropped (non-negative amounts)."""
    return int(amount.to_integral_value(rounding=ROUND_DOWN))


def round_half_up(amount: Decimal) -> int:
    """Half a yen and up rounded up (通貨の単位及び貨幣の発行等に関する法律 §3)."""
    return int(amount.to_integral_value(rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class PremiumLine:
    """One premium: the employee's deduction and the employer's share."""

    employee: int
    employer: int


def split(
    base: int, rate_percent: Decimal, employee_rate_percent: Decimal | None = None
) -> PremiumLine:
    """Premium of `base` at a full rate (percent): the employee pays `employee_rate_percent`
    (default half the full rate) rounded by the 50-銭 rule; the employer pays the full
    premium (sub-yen truncated) minus that."""
    full = Decimal(base) * rate_percent / _HUNDRED
    if employee_rate_percent is None:
        employee_exact = full / 2
    else:
        employee_exact = Decimal(base) * employee_rate_percent / _HUNDRED
    employee = round_50sen(employee_exact)
    return PremiumLine(employee, truncate_yen(full) - employee)


def employment_insurance(
    wages: int, worker_per_mille: Decimal, employer_per_mille: Decimal
) -> PremiumLine:
    """雇用保険 on the actual wages: worker share by the 50-銭 rule, employer truncated."""
    base = Decimal(wages)
    return PremiumLine(
        round_50sen(base * worker_per_mille / _THOUSAND),
        truncate_yen(base * employer_per_mille / _THOUSAND),
    )


# --- months and ages ---------------------------------------------------------------------


def month_of(day: dt.date) -> dt.date:
    """The month containing a date, as its first day."""
    return day if day.day == 1 else dt.date(day.year, day.month, 1)


def add_months(month: dt.date, count: int) -> dt.date:
    """The first day of the month `count` months after (or before) `month`."""
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def _birthday(birth_date: dt.date, age: int) -> dt.date:
    year = birth_date.year + age
    if birth_date.month == 2 and birth_date.day == 29:
        # Born 29 February: the day before the birthday is 28 February in common years
        # (age reached at the end of 28 Feb); use 1 March as the birthday then.
        try:
            return dt.date(year, 2, 29)
        except ValueError:
            return dt.date(year, 3, 1)
    return birth_date.replace(year=year)


@lru_cache(maxsize=65_536)
def _age_reached_month(birth_date: dt.date, age: int) -> dt.date:
    """The month containing the day an age is reached (the day before the birthday)."""
    return month_of(_birthday(birth_date, age) - dt.timedelta(days=1))


def care_due(birth_date: dt.date, insurance_month: dt.date) -> bool:
    """介護保険第2号被保険者 in this insurance month (age 40–64)."""
    month = month_of(insurance_month)
    return _age_reached_month(birth_date, 40) <= month < _age_reached_month(birth_date, 65)


def pension_due(birth_date: dt.date, insurance_month: dt.date) -> bool:
    """Still in 厚生年金 for this insurance month (leaves on the day before turning 70)."""
    return month_of(insurance_month) < _age_reached_month(birth_date, 70)


def health_due(birth_date: dt.date, insurance_month: dt.date) -> bool:
    """Still in 健康保険 for this insurance month (後期高齢者医療 from the 75th birthday)."""
    return month_of(insurance_month) < month_of(_birthday(birth_date, 75))


def premium_months(hire_date: dt.date, loss_date: dt.date | None) -> tuple[dt.date, dt.date | None]:
    """First and last premium month (inclusive; last None while employed) of a coverage
    that starts on `hire_date` (資格取得日) and ends on `loss_date` (資格喪失日 = the day
    after the last day of employment). §1.6: the month of acquisition is charged; the
    last charged month is the month before the month containing the loss date, except
    that acquisition and loss in the same month charges that month."""
    first = month_of(hire_date)
    if loss_date is None:
        return first, None
    if loss_date < hire_date:
        raise ValueError("loss date before hire date")
    last = add_months(month_of(loss_date), -1)
    return first, max(first, last)


def charged_insurance_months(
    *,
    insurance_month: dt.date,
    hire_date: dt.date,
    loss_date: dt.date | None = None,
    final_pay: bool = False,
    exempt_months: Collection[dt.date] = (),
) -> tuple[dt.date, ...]:
    """Which insurance months this payslip deducts premiums for.

    Normally the pay's own insurance month if it is a premium month. On the employee's
    final pay (`final_pay=True`) every premium month from the pay's insurance month up to
    the last premium month is deducted too — leaving on 30 June (loss 1 July) with the
    last pay in June (insurance month May) deducts May and June; leaving on 29 June
    (loss 30 June) deducts May only. `exempt_months` (months on the 1st) are left out:
    産前産後休業 / 育児休業 months with an accepted 申出書 waive both shares of every
    social-insurance line (employment insurance is not waived; it follows the pay).
    """
    exempt = {month_of(m) for m in exempt_months}
    return tuple(
        m for m in _charged(insurance_month, hire_date, loss_date, final_pay) if m not in exempt
    )


def _charged(
    insurance_month: dt.date, hire_date: dt.date, loss_date: dt.date | None, final_pay: bool
) -> tuple[dt.date, ...]:
    month = month_of(insurance_month)
    first, last = premium_months(hire_date, loss_date)
    if not final_pay or last is None:
        in_coverage = first <= month and (last is None or month <= last)
        return (month,) if in_coverage else ()
    month = max(month, first)
    months = []
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return tuple(months)
