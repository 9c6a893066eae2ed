"""Gross pay from attendance (§1.13): hourly base, premiums, deductions, commuting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from daiko.errors import InvalidInput
from daiko.payroll.gross import (
    Allowance,
    Attendance,
    PayLine,
    PremiumRates,
    calculate_gross,
    round_monthly_overtime,
)

PAY = dt.date(2026, 5, 25)


def monthly(**kw: Any) -> Attendance:
    base: dict[str, Any] = {
        "pay_date": PAY,
        "pay_basis": "monthly",
        "base_rate": 340_000,
        "average_monthly_scheduled_hours": Decimal(2040) / 12,
    }
    base.update(kw)
    return Attendance(**base)


def test_spec_example_340000_over_170_hours() -> None:
    # §1.13: 340,000 ÷ 170 = 2,000/h → 5 OT hours = 12,500; 1 night hour = +500
    r = calculate_gross(monthly(overtime_hours=Decimal(5), late_night_hours=Decimal(1)))
    assert r.hourly_base == 2_000
    assert r.line("時間外手当") == 12_500
    assert r.line("深夜手当") == 500
    assert r.taxable_pay == 353_000
    assert r.non_taxable_pay == 0


def test_excluded_allowances_stay_out_of_the_hourly_base() -> None:
    r = calculate_gross(
        monthly(
            base_rate=310_000,
            allowances=(
                Allowance(name="役職手当", amount=30_000),
                Allowance(name="家族手当", amount=20_000),
                Allowance(name="住宅手当", amount=10_000),
                Allowance(name="子女教育手当", amount=5_000),
            ),
            overtime_hours=Decimal(1),
        )
    )
    assert r.hourly_base == 2_000  # (310,000 + 30,000) ÷ 170
    assert r.line("時間外手当") == 2_500
    assert r.taxable_pay == 310_000 + 65_000 + 2_500


def test_flat_housing_allowance_can_be_counted_explicitly() -> None:
    r = calculate_gross(
        monthly(
            base_rate=330_000,
            allowances=(Allowance(name="住宅手当", amount=10_000, counts_for_overtime=True),),
        )
    )
    assert r.hourly_base == 2_000


def test_overtime_beyond_60_hours_and_rest_day() -> None:
    r = calculate_gross(monthly(overtime_hours=Decimal(70), statutory_rest_day_hours=Decimal(8)))
    assert r.line("時間外手当") == 150_000  # 60 × 2,500
    assert r.line("時間外手当(60時間超)") == 30_000  # 10 × 3,000
    assert r.line("休日出勤手当") == 21_600  # 8 × 2,700
    assert r.taxable_pay == 340_000 + 201_600


def test_each_line_rounds_half_a_yen_up() -> None:
    # 200,000 ÷ 160 = 1,250/h; 1 OT hour = 1,562.5 → 1,563; 1 night hour = 312.5 → 313
    r = calculate_gross(
        monthly(
            base_rate=200_000,
            average_monthly_scheduled_hours=Decimal(160),
            overtime_hours=Decimal(1),
            late_night_hours=Decimal(1),
            statutory_rest_day_hours=Decimal("0.5"),
        )
    )
    assert r.line("時間外手当") == 1_563
    assert r.line("深夜手当") == 313
    assert r.line("休日出勤手当") == 844  # 1,250 × 1.35 × 0.5 = 843.75
    # not rounded as a whole: 1,562.5 + 312.5 + 843.75 = 2,718.75 would give 2,719
    assert r.taxable_pay == 200_000 + 1_563 + 313 + 844


def test_below_half_yen_drops() -> None:
    # 250,000 ÷ 163 = 1,533.74…/h × 1.25 = 1,917.18 → 1,917
    r = calculate_gross(
        monthly(
            base_rate=250_000,
            average_monthly_scheduled_hours=Decimal(163),
            overtime_hours=Decimal(1),
        )
    )
    assert r.line("時間外手当") == 1_917


def test_absence_and_lateness() -> None:
    r = calculate_gross(
        monthly(
            base_rate=300_000,
            average_monthly_scheduled_hours=Decimal(160),
            scheduled_days=Decimal(20),
            absence_days=Decimal(2),
            lateness_hours=Decimal("1.5"),
        )
    )
    assert r.line("欠勤控除") == -30_000
    assert r.line("遅刻早退控除") == -2_813  # 1,875 × 1.5 = 2,812.5 → 2,813
    assert r.taxable_pay == 300_000 - 30_000 - 2_813


def test_absence_needs_the_scheduled_days() -> None:
    with pytest.raises(InvalidInput) as err:
        calculate_gross(monthly(absence_days=Decimal(1)))
    assert err.value.errors[0]["field"] == "scheduled_days"


def test_daily_basis() -> None:
    r = calculate_gross(
        Attendance(
            pay_date=PAY,
            pay_basis="daily",
            base_rate=10_000,
            scheduled_daily_hours=Decimal(8),
            days_worked=Decimal(20),
            overtime_hours=Decimal(2),
        )
    )
    assert r.hourly_base == 1_250
    assert r.line("基本給") == 200_000
    assert r.line("時間外手当") == 3_125


def test_hourly_basis_with_a_counting_allowance() -> None:
    r = calculate_gross(
        Attendance(
            pay_date=PAY,
            pay_basis="hourly",
            base_rate=1_200,
            hours_worked=Decimal(100),
            late_night_hours=Decimal(4),
            allowances=(Allowance(name="皆勤手当", amount=16_000),),
            average_monthly_scheduled_hours=Decimal(160),
            overtime_hours=Decimal(2),
        )
    )
    assert r.hourly_base == 1_300  # 1,200 + 16,000 ÷ 160
    assert r.line("基本給") == 120_000
    assert r.line("深夜手当") == 1_300  # 1,300 × 0.25 × 4
    assert r.line("時間外手当") == 3_250  # 1,300 × 1.25 × 2


def test_commuting_allowance_up_to_the_limit_is_non_taxable() -> None:
    r = calculate_gross(monthly(commuting_allowance=160_000))
    assert r.non_taxable_pay == 150_000
    assert r.line("通勤手当(課税)") == 10_000
    assert r.taxable_pay == 350_000
    assert r.hourly_base == 2_000
    car = calculate_gross(monthly(commuting_allowance=10_000, commuting_non_taxable_limit=7_100))
    assert (car.non_taxable_pay, car.taxable_pay) == (7_100, 342_900)
    assert car.gross_pay == 350_000


def test_non_taxable_allowance_and_company_rates() -> None:
    r = calculate_gross(
        monthly(
            allowances=(
                Allowance(name="出張日当", amount=5_000, taxable=False, counts_for_overtime=False),
            ),
            overtime_hours=Decimal(1),
            premiums=PremiumRates(overtime=Decimal("0.30")),
        )
    )
    assert r.non_taxable_pay == 5_000
    assert r.hourly_base == 2_000
    assert r.line("時間外手当") == 2_600  # company rate 30 %
    assert PayLine("出張日当", 5_000, taxable=False) in r.lines


@pytest.mark.parametrize(
    ("hours", "rounded"), [("10.49", 10), ("10.5", 11), ("10.25", 10), ("0.5", 1), ("0.4", 0)]
)
def test_round_monthly_overtime(hours: str, rounded: int) -> None:
    assert round_monthly_overtime(Decimal(hours)) == rounded


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"base_rate": -1}, "base_rate"),
        ({"overtime_hours": Decimal(-1)}, "overtime_hours"),
        ({"average_monthly_scheduled_hours": None}, "average_monthly_scheduled_hours"),
        ({"pay_basis": "weekly"}, "pay_basis"),
        ({"allowances": (Allowance(name="x", amount=-1),)}, "allowances"),
        (
            {"scheduled_days": Decimal(20), "absence_days": Decimal(30)},
            "absence_days",
        ),
    ],
)
def test_invalid_attendance(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        calculate_gross(monthly(**changes))
    assert err.value.errors[0]["field"] == field
