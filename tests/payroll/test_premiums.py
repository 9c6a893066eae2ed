"""Rounding, split, ages (day-before-birthday rule) and premium months (§1.4, §1.6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from daiko.payroll.premiums import (
    PremiumLine,
    add_months,
    care_due,
    charged_insurance_months,
    employment_insurance,
    health_due,
    pension_due,
    premium_months,
    round_50sen,
    split,
)

D = dt.date


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", 0),
        ("10", 10),
        ("10.49", 10),
        ("10.5", 10),
        ("10.50", 10),
        ("10.500001", 11),
        ("10.51", 11),
        ("10.99", 11),
    ],
)
def test_round_50sen(amount: str, expected: int) -> None:
    assert round_50sen(Decimal(amount)) == expected


def test_round_50sen_refuses_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        round_50sen(Decimal("-1"))


def test_split_spec_example_health_and_care() -> None:
    # §1.4: 410,000 × 11.47 % = 47,027 → 23,513.5 → employee 23,513, employer 23,514
    assert split(410_000, Decimal("11.47")) == PremiumLine(23_513, 23_514)


def test_split_spec_example_levy() -> None:
    # §1.4: 410,000 × 0.23 % = 943 → 471.5 → employee 471, employer 472
    assert split(410_000, Decimal("0.23")) == PremiumLine(471, 472)


def test_split_levy_above_half() -> None:
    # 58,000 × 0.23 % = 133.4 → 66.7 → 67; employer 133 − 67 = 66
    assert split(58_000, Decimal("0.23")) == PremiumLine(67, 66)


def test_split_pension_half_yen_on_an_odd_bonus() -> None:
    # 1,001,000 × 18.3 % = 183,183 → 91,591.5 → 91,591; employer 91,592
    assert split(1_001_000, Decimal("18.3")) == PremiumLine(91_591, 91_592)


def test_split_x51_goes_up_and_the_employer_takes_the_rest() -> None:
    # 300,000 × 9.85034 % = 29,551.02 → half 14,775.51 → 14,776; employer 29,551 − 14,776
    assert split(300_000, Decimal("9.85034")) == PremiumLine(14_776, 14_775)


def test_split_with_explicit_employee_rate() -> None:
    assert split(300_000, Decimal("9.00"), Decimal("4.20")) == PremiumLine(12_600, 14_400)


@pytest.mark.parametrize(
    ("wages", "employee", "employer"),
    [(300_000, 1_500, 2_550), (300_100, 1_500, 2_550), (300_102, 1_501, 2_550), (0, 0, 0)],
)
def test_employment_insurance_rounding(wages: int, employee: int, employer: int) -> None:
    # §1.8: 300,100 × 5/1000 = 1,500.5 → 1,500; 300,102 → 1,500.51 → 1,501
    assert employment_insurance(wages, Decimal("5"), Decimal("8.5")) == PremiumLine(
        employee, employer
    )


def test_add_months() -> None:
    assert add_months(D(2026, 1, 1), -1) == D(2025, 12, 1)
    assert add_months(D(2026, 12, 1), 1) == D(2027, 1, 1)
    assert add_months(D(2026, 5, 1), 14) == D(2027, 7, 1)


# --- ages: the day before the birthday decides --------------------------------------------


def test_care_starts_in_the_month_of_the_day_before_the_40th_birthday() -> None:
    # born 1 May: 40 is reached on 30 April → April is a care month
    assert not care_due(D(1986, 5, 1), D(2026, 3, 1))
    assert care_due(D(1986, 5, 1), D(2026, 4, 1))
    # born 2 May: reached on 1 May → care from May
    assert not care_due(D(1986, 5, 2), D(2026, 4, 1))
    assert care_due(D(1986, 5, 2), D(2026, 5, 1))


def test_care_ends_before_the_month_of_the_day_before_the_65th_birthday() -> None:
    # born 1 May 1961: 65 reached 30 April 2026 → last care month March
    assert care_due(D(1961, 5, 1), D(2026, 3, 1))
    assert not care_due(D(1961, 5, 1), D(2026, 4, 1))
    # born 2 May 1961: reached 1 May → April still a care month, May not
    assert care_due(D(1961, 5, 2), D(2026, 4, 1))
    assert not care_due(D(1961, 5, 2), D(2026, 5, 1))


def test_pension_ends_at_70_by_the_day_before_the_birthday() -> None:
    assert pension_due(D(1956, 5, 1), D(2026, 3, 1))
    assert not pension_due(D(1956, 5, 1), D(2026, 4, 1))
    assert pension_due(D(1956, 5, 2), D(2026, 4, 1))
    assert not pension_due(D(1956, 5, 2), D(2026, 5, 1))


def test_health_ends_at_75_on_the_birthday_itself() -> None:
    # 後期高齢者医療 from the 75th birthday: born 1 May → May not charged, April charged
    assert health_due(D(1951, 5, 1), D(2026, 4, 1))
    assert not health_due(D(1951, 5, 1), D(2026, 5, 1))
    assert health_due(D(1951, 5, 2), D(2026, 4, 1))
    assert not health_due(D(1951, 5, 2), D(2026, 5, 1))


def test_born_on_29_february() -> None:
    # 40th birthday falls in a leap year: reached on 28 February → February
    assert not care_due(D(1984, 2, 29), D(2024, 1, 1))
    assert care_due(D(1984, 2, 29), D(2024, 2, 1))
    # 65th in a common year: birthday counted as 1 March, reached 28 February 2025
    assert care_due(D(1960, 2, 29), D(2025, 1, 1))
    assert not care_due(D(1960, 2, 29), D(2025, 2, 1))
    # 75th in a common year (2027): 後期高齢者 from 1 March → February still charged
    assert health_due(D(1952, 2, 29), D(2027, 2, 1))
    assert not health_due(D(1952, 2, 29), D(2027, 3, 1))


# --- premium months (§1.6) ----------------------------------------------------------------


def test_premium_months() -> None:
    assert premium_months(D(2026, 4, 10), None) == (D(2026, 4, 1), None)
    assert premium_months(D(2026, 4, 10), D(2026, 7, 1)) == (D(2026, 4, 1), D(2026, 6, 1))
    assert premium_months(D(2026, 4, 10), D(2026, 6, 30)) == (D(2026, 4, 1), D(2026, 5, 1))
    # acquisition and loss in the same month: that month is charged
    assert premium_months(D(2026, 4, 10), D(2026, 4, 20)) == (D(2026, 4, 1), D(2026, 4, 1))
    with pytest.raises(ValueError, match="before hire"):
        premium_months(D(2026, 4, 10), D(2026, 4, 9))


def test_leaving_on_30_june_charges_may_and_june_on_the_last_pay() -> None:
    months = charged_insurance_months(
        insurance_month=D(2026, 5, 1),
        hire_date=D(2020, 4, 1),
        loss_date=D(2026, 7, 1),
        final_pay=True,
    )
    assert months == (D(2026, 5, 1), D(2026, 6, 1))


def test_leaving_on_29_june_charges_only_may() -> None:
    months = charged_insurance_months(
        insurance_month=D(2026, 5, 1),
        hire_date=D(2020, 4, 1),
        loss_date=D(2026, 6, 30),
        final_pay=True,
    )
    assert months == (D(2026, 5, 1),)


def test_not_final_pay_charges_only_its_own_month() -> None:
    assert charged_insurance_months(
        insurance_month=D(2026, 5, 1), hire_date=D(2020, 4, 1), loss_date=D(2026, 7, 1)
    ) == (D(2026, 5, 1),)
    # a July pay after leaving on 30 June still collects June
    assert charged_insurance_months(
        insurance_month=D(2026, 6, 1), hire_date=D(2020, 4, 1), loss_date=D(2026, 7, 1)
    ) == (D(2026, 6, 1),)
    # ... but after leaving on 29 June, June is not a premium month
    assert (
        charged_insurance_months(
            insurance_month=D(2026, 6, 1), hire_date=D(2020, 4, 1), loss_date=D(2026, 6, 30)
        )
        == ()
    )


def test_join_month() -> None:
    # hired 10 April: the April pay (insurance month March) charges nothing, May pay April
    assert charged_insurance_months(insurance_month=D(2026, 3, 1), hire_date=D(2026, 4, 10)) == ()
    assert charged_insurance_months(insurance_month=D(2026, 4, 1), hire_date=D(2026, 4, 10)) == (
        D(2026, 4, 1),
    )


def test_join_and_leave_in_one_month_on_the_only_pay() -> None:
    months = charged_insurance_months(
        insurance_month=D(2026, 5, 1),
        hire_date=D(2026, 6, 1),
        loss_date=D(2026, 7, 1),
        final_pay=True,
    )
    assert months == (D(2026, 6, 1),)


def test_childcare_leave_months_are_exempt() -> None:
    months = charged_insurance_months(
        insurance_month=D(2026, 5, 1),
        hire_date=D(2020, 4, 1),
        exempt_months=(D(2026, 5, 1),),
    )
    assert months == ()
    months = charged_insurance_months(
        insurance_month=D(2026, 5, 1),
        hire_date=D(2020, 4, 1),
        loss_date=D(2026, 7, 1),
        final_pay=True,
        exempt_months=(D(2026, 6, 15),),
    )
    assert months == (D(2026, 5, 1),)
