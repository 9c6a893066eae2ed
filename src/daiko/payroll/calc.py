"""Pure payroll calculation: one employee-month (給与) or one bonus (賞与) to net pay.

No I/O per call: rates come from `daiko.payroll.rates` (loaded once, cached). Money is
integer yen; rates are `Decimal` percentages. The rules are in
`/work/shared/domain/japan-2026.md` §1.1–§1.8, §1.10; the sub-yen rules in `premiums`.

Which date picks which rate (§1.1):
- health, care, child-support levy, pension: the **insurance month** (保険料の対象月),
  by default the month before the pay date (翌月徴収);
- employment insurance: the fiscal year of the **wage closing date** (賃金締切日);
- income tax: the **pay date** (via `daiko.payroll.withholding`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

__all__ = [
    "BonusInput",
    "BonusResult",
    "EmployerShare",
    "EmploymentInsuranceIndustry",
    "Insurer",
    "MonthInput",
    "MonthResult",
    "PremiumCollection",
    "WithholdingColumn",
    "WithholdingMethod",
    "calculate_bonus",
    "calculate_month",
]

EmploymentInsuranceIndustry = Literal["general", "agriculture", "construction"]
WithholdingColumn = Literal["kou", "otsu"]
WithholdingMethod = Literal["table", "formula"]
PremiumCollection = Literal["next_month", "current_month"]
"""翌月徴収 (pay deducts the previous month's premium; the law's rule) or 当月徴収."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Insurer:
    """A health-insurance society (健康保険組合) with its own rates, in percent.

    `health_rate` and `care_rate` are the full rates (both halves), e.g. Decimal("9.50").
    The employee rates default to half; a society that splits otherwise gives them. The
    子ども・子育て支援金 stays the national rate (§1.2).
    """

    name: str
    health_rate: Decimal
    care_rate: Decimal
    health_employee_rate: Decimal | None = None
    care_employee_rate: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MonthInput:
    """One employee's monthly pay (給与) to compute deductions for.

    `standard_monthly_remuneration` is the recorded health 標準報酬月額 (a grade amount,
    never recomputed from this month's pay); the pension amount defaults to the pension
    grade of that amount (¥88,000 floor, ¥650,000 cap). Give either `prefecture`
    (協会けんぽ branch: JIS code "13" or name "東京都"/"東京") or `insurer`.
    `charged_insurance_months` (see `premiums.charged_insurance_months`) overrides the
    single default insurance month: () charges no social insurance on this payslip, two
    months are charged on a leaver's last pay.
    """

    pay_date: dt.date
    birth_date: dt.date
    standard_monthly_remuneration: int
    taxable_pay: int
    insurance_month: dt.date | None = None
    wage_closing_date: dt.date | None = None
    prefecture: str | None = None
    insurer: Insurer | None = None
    pension_standard_monthly_remuneration: int | None = None
    employment_insurance_industry: EmploymentInsuranceIndustry = "general"
    non_taxable_pay: int = 0
    withholding_column: WithholdingColumn = "kou"
    dependents: int = 0
    withholding_method: WithholdingMethod = "table"
    resident_tax: int = 0
    other_deductions: int = 0
    charged_insurance_months: tuple[dt.date, ...] | None = None
    social_insurance_enrolled: bool = True
    employment_insurance_enrolled: bool = True
    premium_collection: PremiumCollection = "next_month"


@dataclass(frozen=True, slots=True, kw_only=True)
class EmployerShare:
    """事業主負担: full premium (sub-yen truncated) minus the employee's share, per line;
    `child_contribution` (子ども・子育て拠出金) is employer-only. Employment insurance is
    wages × employer rate, sub-yen truncated (the monthly accrual; 年度更新 settles it)."""

    health_insurance: int = 0
    child_support_levy: int = 0
    pension: int = 0
    employment_insurance: int = 0
    child_contribution: int = 0

    @property
    def total(self) -> int:
        return (
            self.health_insurance
            + self.child_support_levy
            + self.pension
            + self.employment_insurance
            + self.child_contribution
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MonthResult:
    """Deductions and net pay of one payslip; every figure integer yen.

    `health_insurance` includes 介護保険 when due. `taxable_after_insurance` is the income
    tax base (社会保険料等控除後の給与等の金額) — the next bonus needs it as the previous
    month's figure. `notes` flag unverified data that was used.
    """

    health_insurance: int
    child_support_levy: int
    pension: int
    employment_insurance: int
    income_tax: int
    resident_tax: int
    other_deductions: int
    total_deductions: int
    net_pay: int
    employer: EmployerShare
    gross_pay: int = 0
    social_insurance_total: int = 0
    taxable_after_insurance: int = 0
    insurance_months: tuple[dt.date, ...] = ()
    nursing_care: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class BonusInput:
    """One bonus (賞与) payment.

    Caps (§1.5): `health_standard_bonus_this_fiscal_year` is the 標準賞与額 already counted
    for health in this April–March year (cap ¥5,730,000); `pension_standard_bonus_this_month`
    is what earlier bonuses this calendar month counted for pension (cap ¥1,500,000).
    `previous_month_after_insurance` is last month's pay after its social insurance (None
    when there was no pay). A bonus paid in the month that contains `loss_date` (資格喪失日)
    bears no social insurance. `standard_monthly_remuneration` is only used to fill in the
    pension grade when `pension_standard_monthly_remuneration` is not given; neither is
    needed for bonus premiums.
    """

    pay_date: dt.date
    birth_date: dt.date
    bonus_amount: int
    prefecture: str | None = None
    insurer: Insurer | None = None
    employment_insurance_industry: EmploymentInsuranceIndustry = "general"
    health_standard_bonus_this_fiscal_year: int = 0
    pension_standard_bonus_this_month: int = 0
    previous_month_after_insurance: int | None = None
    withholding_column: WithholdingColumn = "kou"
    dependents: int = 0
    withholding_method: WithholdingMethod = "table"
    months_covered: int = 6
    other_deductions: int = 0
    loss_date: dt.date | None = None
    social_insurance_enrolled: bool = True
    employment_insurance_enrolled: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class BonusResult:
    """Deductions and net amount of one bonus; integer yen.

    `standard_bonus_amount` = the bonus truncated to ¥1,000 (標準賞与額);
    `health_standard_bonus` / `pension_standard_bonus` are the amounts after the caps —
    add them to the caller's running totals.
    """

    standard_bonus_amount: int
    health_standard_bonus: int
    pension_standard_bonus: int
    health_insurance: int
    child_support_levy: int
    pension: int
    employment_insurance: int
    income_tax: int
    other_deductions: int
    total_deductions: int
    net_pay: int
    employer: EmployerShare
    social_insurance_total: int = 0
    bonus_after_insurance: int = 0
    nursing_care: bool = False
    notes: tuple[str, ...] = field(default=())


def calculate_month(inp: MonthInput) -> MonthResult:
    """Deductions and net pay for one employee-month."""
    raise NotImplementedError


def calculate_bonus(inp: BonusInput) -> BonusResult:
    """Deductions and net amount for one bonus."""
    raise NotImplementedError
