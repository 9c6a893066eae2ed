"""calculate_month / calculate_bonus to the yen against japan-2026.md §1.4, §1.5, §1.8, §1.10."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from daiko.errors import InvalidInput
from daiko.payroll import withholding
from daiko.payroll.calc import (
    BonusInput,
    EmployerShare,
    Insurer,
    MonthInput,
    calculate_bonus,
    calculate_month,
    insurance_month_for,
)

D = dt.date
AGE_46 = D(1980, 1, 15)
AGE_36 = D(1990, 1, 15)
AGE_30 = D(1996, 1, 15)


def month(**kw: Any) -> MonthInput:
    base: dict[str, Any] = {
        "pay_date": D(2026, 5, 25),
        "birth_date": AGE_46,
        "standard_monthly_remuneration": 300_000,
        "taxable_pay": 300_000,
        "prefecture": "東京都",
        "withholding_column": "otsu",
    }
    base.update(kw)
    return MonthInput(**base)


def bonus(**kw: Any) -> BonusInput:
    base: dict[str, Any] = {
        "pay_date": D(2026, 6, 25),
        "birth_date": AGE_30,
        "bonus_amount": 1_234_567,
        "prefecture": "13",
        "previous_month_after_insurance": 255_930,
        "withholding_column": "otsu",
    }
    base.update(kw)
    return BonusInput(**base)


# --- §1.8 payslip rows ---------------------------------------------------------------------


def test_may_2026_age_46_with_care() -> None:
    r = calculate_month(month())
    assert (r.health_insurance, r.child_support_levy, r.pension, r.employment_insurance) == (
        17_205,
        345,
        27_450,
        1_500,
    )
    assert r.taxable_after_insurance == 253_500
    assert r.income_tax == 36_600
    assert r.employer == EmployerShare(
        health_insurance=17_205,
        child_support_levy=345,
        pension=27_450,
        employment_insurance=2_550,
        child_contribution=1_080,
    )
    assert r.total_deductions == 46_500 + 36_600
    assert r.net_pay == 300_000 - 83_100
    assert r.insurance_months == (D(2026, 4, 1),)
    assert r.nursing_care
    assert r.notes == ()


def test_may_2026_age_36_no_care() -> None:
    r = calculate_month(month(birth_date=AGE_36))
    assert (r.health_insurance, r.child_support_levy, r.pension, r.employment_insurance) == (
        14_775,
        345,
        27_450,
        1_500,
    )
    assert r.taxable_after_insurance == 255_930
    assert r.income_tax == 37_600
    assert r.employer.health_insurance == 14_775
    assert not r.nursing_care


def test_september_2026_wage_220000() -> None:
    r = calculate_month(
        month(
            pay_date=D(2026, 9, 25),
            birth_date=AGE_30,
            standard_monthly_remuneration=220_000,
            taxable_pay=220_000,
        )
    )
    assert (r.health_insurance, r.child_support_levy, r.pension, r.employment_insurance) == (
        10_835,
        253,
        20_130,
        1_100,
    )
    assert r.taxable_after_insurance == 187_682
    assert r.income_tax == 15_400
    assert r.employer == EmployerShare(
        health_insurance=10_835,
        child_support_levy=253,
        pension=20_130,
        employment_insurance=1_870,
        child_contribution=792,
    )


def test_april_2026_age_46_wage_410000_half_yen_to_the_employer() -> None:
    r = calculate_month(
        month(pay_date=D(2026, 4, 24), standard_monthly_remuneration=410_000, taxable_pay=410_000)
    )
    assert (r.health_insurance, r.child_support_levy, r.pension, r.employment_insurance) == (
        23_513,
        0,
        37_515,
        2_050,
    )
    assert r.employer.health_insurance == 23_514
    assert r.employer.child_support_levy == 0
    assert r.taxable_after_insurance == 346_922
    assert r.income_tax == 67_800


def test_may_2026_levy_at_410000_rounds_the_half_yen_down() -> None:
    r = calculate_month(month(standard_monthly_remuneration=410_000, taxable_pay=410_000))
    assert (r.child_support_levy, r.employer.child_support_levy) == (471, 472)


@pytest.mark.parametrize(("wage", "employee"), [(300_100, 1_500), (300_102, 1_501)])
def test_employment_insurance_rounding(wage: int, employee: int) -> None:
    assert calculate_month(month(taxable_pay=wage)).employment_insurance == employee


def test_employment_insurance_counts_non_taxable_pay_but_tax_does_not() -> None:
    r = calculate_month(month(taxable_pay=290_000, non_taxable_pay=10_000))
    assert r.employment_insurance == 1_500
    assert r.gross_pay == 300_000
    assert r.taxable_after_insurance == 290_000 - 46_500
    assert r.net_pay == 300_000 - r.total_deductions


# --- rounding edges on each line ------------------------------------------------------------


def test_health_x51_rounds_up_via_an_insurer_rate() -> None:
    insurer = Insurer(name="x", health_rate=Decimal("9.85034"), care_rate=Decimal(0))
    r = calculate_month(month(birth_date=AGE_30, insurer=insurer, prefecture=None))
    assert (r.health_insurance, r.employer.health_insurance) == (14_776, 14_775)


def test_levy_above_half_at_the_lowest_grade() -> None:
    # 58,000 × 0.23 % = 133.4 → 66.7 → 67 / employer 66; pension on 88,000
    r = calculate_month(
        month(birth_date=AGE_30, standard_monthly_remuneration=58_000, taxable_pay=60_000)
    )
    assert (r.child_support_levy, r.employer.child_support_levy) == (67, 66)
    # 58,000 × 9.85 % = 5,713 → 2,856.5 → 2,856 / employer 2,857
    assert (r.health_insurance, r.employer.health_insurance) == (2_856, 2_857)
    assert (r.pension, r.employer.pension) == (8_052, 8_052)
    assert r.employer.child_contribution == 316  # 88,000 × 0.36 % = 316.8


def test_bonus_pension_half_yen() -> None:
    r = calculate_bonus(bonus(bonus_amount=1_001_000))
    assert (r.pension, r.employer.pension) == (91_591, 91_592)


# --- ages, per insurance month ---------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "care"),
    [(D(1986, 5, 1), True), (D(1986, 5, 2), False), (D(1961, 5, 1), False), (D(1961, 5, 2), True)],
)
def test_age_40_and_65_months(birth: dt.date, care: bool) -> None:
    # May pay = April insurance month
    r = calculate_month(month(birth_date=birth))
    assert r.health_insurance == (17_205 if care else 14_775)
    assert r.nursing_care is care


def test_age_70_leaves_pension_and_child_contribution() -> None:
    r = calculate_month(month(birth_date=D(1956, 5, 1)))
    assert (r.pension, r.employer.pension, r.employer.child_contribution) == (0, 0, 0)
    assert r.health_insurance == 14_775
    r = calculate_month(month(birth_date=D(1956, 5, 2)))
    assert r.pension == 27_450


def test_age_75_leaves_health_and_levy() -> None:
    r = calculate_month(month(birth_date=D(1951, 4, 1)))  # 75 on 1 April: April not charged
    assert (r.health_insurance, r.child_support_levy, r.pension) == (0, 0, 0)
    assert r.employment_insurance == 1_500


# --- dates selecting rates ---------------------------------------------------------------


def test_insurance_month_rate_switch_february_vs_march_2026() -> None:
    # March pay = February insurance month: FY2025 Tokyo 9.91 + care 1.59 = 11.50 %
    feb = calculate_month(month(pay_date=D(2026, 3, 25), wage_closing_date=D(2026, 3, 15)))
    assert feb.health_insurance == 17_250
    assert feb.child_support_levy == 0
    assert feb.employment_insurance == 1_650  # FY2025 5.5/1000
    march = calculate_month(month(pay_date=D(2026, 4, 24)))
    assert march.health_insurance == 17_205
    assert march.child_support_levy == 0


def test_levy_march_vs_april_2026_insurance_month() -> None:
    assert calculate_month(month(insurance_month=D(2026, 3, 1))).child_support_levy == 0
    assert calculate_month(month(insurance_month=D(2026, 4, 1))).child_support_levy == 345


def test_current_month_collection_sees_changes_one_pay_earlier() -> None:
    r = calculate_month(month(pay_date=D(2026, 4, 24), premium_collection="current_month"))
    assert r.insurance_months == (D(2026, 4, 1),)
    assert r.child_support_levy == 345
    assert insurance_month_for(D(2026, 1, 25)) == D(2025, 12, 1)
    assert insurance_month_for(D(2026, 1, 25), "current_month") == D(2026, 1, 1)


def test_employment_insurance_year_follows_the_wage_closing_date() -> None:
    march_wage = calculate_month(month(pay_date=D(2026, 4, 10), wage_closing_date=D(2026, 3, 31)))
    assert (march_wage.employment_insurance, march_wage.employer.employment_insurance) == (
        1_650,
        2_700,
    )
    april_wage = calculate_month(month(pay_date=D(2026, 4, 30)))
    assert (april_wage.employment_insurance, april_wage.employer.employment_insurance) == (
        1_500,
        2_550,
    )


@pytest.mark.parametrize(
    ("industry", "employee", "employer"),
    [("agriculture", 1_800, 2_850), ("construction", 1_800, 3_150)],
)
def test_employment_insurance_industries(industry: Any, employee: int, employer: int) -> None:
    r = calculate_month(month(employment_insurance_industry=industry))
    assert (r.employment_insurance, r.employer.employment_insurance) == (employee, employer)


def test_another_prefecture_by_code_and_short_name() -> None:
    # Osaka FY2026 10.13 % + care 1.62 % = 11.75 % of 300,000 = 35,250 → 17,625
    assert calculate_month(month(prefecture="27")).health_insurance == 17_625
    assert calculate_month(month(prefecture="大阪")).health_insurance == 17_625


# --- health-insurance society ---------------------------------------------------------------


def test_insurer_rates_replace_kyoukai_and_levy_stays_national() -> None:
    insurer = Insurer(
        name="関東ITソフトウェア健保", health_rate=Decimal("9.00"), care_rate=Decimal("1.80")
    )
    r = calculate_month(month(insurer=insurer, prefecture=None))
    assert (r.health_insurance, r.employer.health_insurance) == (16_200, 16_200)
    assert r.child_support_levy == 345


def test_insurer_with_its_own_employee_split() -> None:
    insurer = Insurer(
        name="society",
        health_rate=Decimal("9.00"),
        care_rate=Decimal("1.80"),
        health_employee_rate=Decimal("4.20"),
        care_employee_rate=Decimal("0.80"),
    )
    young = calculate_month(month(birth_date=AGE_36, insurer=insurer))
    assert (young.health_insurance, young.employer.health_insurance) == (12_600, 14_400)
    older = calculate_month(month(insurer=insurer))  # 300,000 × 5.00 % / 10.80 %
    assert (older.health_insurance, older.employer.health_insurance) == (15_000, 17_400)


# --- join / leave and enrolment ---------------------------------------------------------


def test_last_pay_deducting_two_months() -> None:
    r = calculate_month(
        month(pay_date=D(2026, 6, 25), charged_insurance_months=(D(2026, 5, 1), D(2026, 6, 1)))
    )
    assert (r.health_insurance, r.child_support_levy, r.pension) == (34_410, 690, 54_900)
    assert r.employer.child_contribution == 2_160
    assert r.employment_insurance == 1_500
    assert r.taxable_after_insurance == 300_000 - 34_410 - 690 - 54_900 - 1_500


def test_two_months_across_a_rate_change_use_each_months_rates() -> None:
    # February 2026 month at 11.50 % (17,250) + March 2026 month at 11.47 % (17,205)
    r = calculate_month(
        month(pay_date=D(2026, 3, 25), charged_insurance_months=(D(2026, 2, 1), D(2026, 3, 1)))
    )
    assert r.health_insurance == 17_250 + 17_205
    assert r.employer.health_insurance == 17_250 + 17_205
    assert r.insurance_months == (D(2026, 2, 1), D(2026, 3, 1))


def test_no_charged_months_and_not_enrolled() -> None:
    r = calculate_month(month(charged_insurance_months=()))
    assert (r.health_insurance, r.pension, r.employer.total) == (0, 0, 2_550)
    r = calculate_month(
        month(social_insurance_enrolled=False, employment_insurance_enrolled=False, prefecture=None)
    )
    assert r.social_insurance_total == 0
    assert r.employer.total == 0
    assert r.taxable_after_insurance == 300_000


def test_workers_compensation_type_94_is_employer_only() -> None:
    # §1.8: 労災 (type 94, 3/1000) on 300,000 = 900
    r = calculate_month(month(workers_compensation_business_type="94"))
    assert r.employer.workers_compensation == 900
    assert r.total_deductions == 83_100
    assert calculate_month(month()).employer.workers_compensation == 0
    b = calculate_bonus(bonus(workers_compensation_business_type="94"))
    assert b.employer.workers_compensation == 3_703  # 1,234,567 × 3/1000 = 3,703.7
    with pytest.raises(InvalidInput) as err:
        calculate_month(month(workers_compensation_business_type="35"))
    assert err.value.errors[0]["field"] == "workers_compensation_business_type"


def test_kou_column_formula_and_other_deductions() -> None:
    r = calculate_month(
        month(
            withholding_column="kou",
            dependents=1,
            resident_tax=15_000,
            other_deductions=2_000,
        )
    )
    assert r.income_tax == 4_590  # 253,500 甲1 (§1.9.2)
    r2 = calculate_month(
        month(withholding_column="kou", dependents=1, withholding_method="formula")
    )
    assert r2.income_tax == 4_630  # §1.9.3
    assert r.total_deductions == 46_500 + 4_590 + 15_000 + 2_000
    assert r.net_pay == 300_000 - r.total_deductions


def test_explicit_pension_grade() -> None:
    r = calculate_month(month(pension_standard_monthly_remuneration=650_000))
    assert r.pension == 59_475
    assert r.employer.child_contribution == 2_340


def test_high_health_grade_caps_pension_at_650000() -> None:
    r = calculate_month(month(standard_monthly_remuneration=1_390_000, taxable_pay=1_400_000))
    assert r.pension == 59_475  # 650,000 × 9.15 %
    assert r.health_insurance == 79_716  # 1,390,000 × 11.47 % = 159,433 → 79,716.5 → 79,716


def test_future_month_notes_unverified_data() -> None:
    r = calculate_month(month(insurance_month=D(2027, 4, 1), pay_date=D(2026, 12, 25)))
    assert any("FY2027" in n for n in r.notes)
    assert any("支援金" in n for n in r.notes)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"standard_monthly_remuneration": 300_001}, "standard_monthly_remuneration"),
        (
            {"pension_standard_monthly_remuneration": 58_000},
            "pension_standard_monthly_remuneration",
        ),
        ({"prefecture": "Atlantis"}, "prefecture"),
        ({"prefecture": None}, "prefecture"),
        ({"taxable_pay": -1}, "taxable_pay"),
        ({"resident_tax": -1}, "resident_tax"),
        ({"insurance_month": D(2024, 4, 1)}, "insurance_month"),
        ({"wage_closing_date": D(2025, 3, 31)}, "wage_closing_date"),
        ({"employment_insurance_industry": "fishing"}, "employment_insurance_industry"),
    ],
)
def test_invalid_month_input_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        calculate_month(month(**changes))
    assert err.value.errors[0]["field"] == field


# --- bonus (§1.5, §1.10) -----------------------------------------------------------------


def test_bonus_spec_example_june_2026() -> None:
    r = calculate_bonus(bonus())
    assert r.standard_bonus_amount == 1_234_000
    assert (r.health_insurance, r.employer.health_insurance) == (60_774, 60_775)
    assert (r.child_support_levy, r.employer.child_support_levy) == (1_419, 1_419)
    assert (r.pension, r.employer.pension) == (112_911, 112_911)
    assert r.employment_insurance == 6_173
    assert r.bonus_after_insurance == 1_053_290
    assert r.income_tax == 215_081  # 乙欄 20.42 %, §1.10
    assert r.net_pay == 1_234_567 - r.total_deductions
    # the spec's 拠出金 and 雇用保険 lines add the same month's 300,000 salary
    salary = calculate_month(month(birth_date=AGE_30, pay_date=D(2026, 6, 25)))
    assert salary.employer.child_contribution + r.employer.child_contribution == 5_522
    assert salary.employment_insurance + r.employment_insurance == 7_673
    assert salary.employer.employment_insurance + r.employer.employment_insurance == 13_043


def test_bonus_pension_cap_per_month() -> None:
    r = calculate_bonus(bonus(bonus_amount=2_000_000))
    assert r.pension_standard_bonus == 1_500_000
    assert (r.pension, r.employer.pension) == (137_250, 137_250)
    assert r.employer.child_contribution == 5_400
    assert r.health_standard_bonus == 2_000_000
    assert r.health_insurance == 98_500  # 2,000,000 × 9.85 % / 2
    r2 = calculate_bonus(bonus(bonus_amount=800_000, pension_standard_bonus_this_month=1_000_000))
    assert r2.pension_standard_bonus == 500_000


def test_bonus_health_cap_per_fiscal_year() -> None:
    r = calculate_bonus(
        bonus(bonus_amount=1_000_000, health_standard_bonus_this_fiscal_year=5_000_000)
    )
    assert r.health_standard_bonus == 730_000
    assert r.health_insurance == 35_952  # 730,000 × 9.85 % = 71,905 → 35,952.5 → 35,952
    assert r.child_support_levy == 839  # 730,000 × 0.23 % = 1,679 → 839.5 → 839
    assert r.pension_standard_bonus == 1_000_000
    assert r.employment_insurance == 5_000
    full = calculate_bonus(bonus(health_standard_bonus_this_fiscal_year=5_730_000))
    assert (full.health_standard_bonus, full.health_insurance) == (0, 0)


def test_bonus_with_care_and_kou_rate() -> None:
    # §1.10: 500,000, age 45, 1 dependent, previous month 253,500 → 4.084 % → 17,254
    r = calculate_bonus(
        bonus(
            bonus_amount=500_000,
            birth_date=D(1981, 1, 15),
            withholding_column="kou",
            dependents=1,
            previous_month_after_insurance=253_500,
        )
    )
    assert (r.health_insurance, r.child_support_levy, r.pension, r.employment_insurance) == (
        28_675,
        575,
        45_750,
        2_500,
    )
    assert r.social_insurance_total == 77_500
    assert r.income_tax == 17_254
    assert r.nursing_care


def test_bonus_in_the_month_of_loss_bears_no_premium() -> None:
    r = calculate_bonus(bonus(pay_date=D(2026, 7, 10), loss_date=D(2026, 7, 5)))
    assert (r.health_insurance, r.pension, r.child_support_levy) == (0, 0, 0)
    assert r.health_standard_bonus == 1_234_000  # still counts toward the annual cap [U]
    assert r.pension_standard_bonus == 0
    assert r.employment_insurance == 6_173
    assert any("loss" in n for n in r.notes)
    after = calculate_bonus(bonus(pay_date=D(2026, 8, 10), loss_date=D(2026, 7, 5)))
    assert (after.health_standard_bonus, after.health_insurance) == (0, 0)


def test_bonus_ei_year_and_rate_month_follow_the_pay_date() -> None:
    r = calculate_bonus(bonus(pay_date=D(2026, 3, 25), previous_month_after_insurance=255_930))
    assert r.child_support_levy == 0  # March 2026 month: no levy yet
    assert r.employment_insurance == 6_790  # FY2025 5.5/1000 of 1,234,567 = 6,790.1


def test_bonus_without_previous_month_pay_uses_the_monthly_table() -> None:
    r = calculate_bonus(bonus(previous_month_after_insurance=None))
    x = 1_053_290 // 6
    assert (
        r.income_tax == withholding.monthly_tax(D(2026, 6, 25), x, column="otsu", dependents=0) * 6
    )
    assert r.income_tax > 0


def test_bonus_invalid_input() -> None:
    with pytest.raises(InvalidInput) as err:
        calculate_bonus(bonus(bonus_amount=-1))
    assert err.value.errors[0]["field"] == "bonus_amount"


def test_inputs_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        month().taxable_pay = 1  # type: ignore[misc]


def test_2027_salary_is_quiet_but_a_2027_bonus_says_its_table_is_unverified() -> None:
    salary = calculate_month(month(pay_date=D(2027, 1, 25), insurance_month=D(2026, 12, 1)))
    assert not any("withholding" in n for n in salary.notes)
    bonus = calculate_bonus(
        BonusInput(
            pay_date=D(2027, 1, 25),
            prefecture="13",
            birth_date=AGE_36,
            bonus_amount=500_000,
            previous_month_after_insurance=250_000,
        )
    )
    assert "withholding bonus rate table 令和9年分 unverified [U]" in bonus.notes
