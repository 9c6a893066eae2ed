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

from daiko.errors import InvalidInput
from daiko.payroll import rates, withholding
from daiko.payroll.premiums import (
    PremiumLine,
    add_months,
    care_due,
    employment_insurance,
    health_due,
    month_of,
    pension_due,
    split,
    truncate_yen,
)

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
    "insurance_month_for",
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
    workers_compensation_business_type: str | None = None
    """労災保険率表 number (only "94" その他の各種事業 is loaded); None leaves 労災 out."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EmployerShare:
    """事業主負担: full premium (sub-yen truncated) minus the employee's share, per line;
    `child_contribution` (子ども・子育て拠出金) is employer-only. Employment insurance is
    wages × employer rate, sub-yen truncated (the monthly accrual; 年度更新 settles it).
    `workers_compensation` (労災, employer only) is wages × the 労災保険率, truncated, and
    only computed when the input names a business type."""

    health_insurance: int = 0
    child_support_levy: int = 0
    pension: int = 0
    employment_insurance: int = 0
    child_contribution: int = 0
    workers_compensation: int = 0

    @property
    def total(self) -> int:
        return (
            self.health_insurance
            + self.child_support_levy
            + self.pension
            + self.employment_insurance
            + self.child_contribution
            + self.workers_compensation
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
    bears no social insurance (its 標準賞与額 still counts toward the health cap [U]); a
    bonus paid after that month counts nothing. Premium rates are those of the pay month
    taken as insurance month; employment insurance uses the pay date's fiscal year.
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
    workers_compensation_business_type: str | None = None


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


# --- calculation ---------------------------------------------------------------------

_HUNDRED = Decimal(100)
_NONE = PremiumLine(0, 0)


@dataclass(slots=True)
class _Totals:
    """Running sums of the social-insurance lines of one payslip or bonus."""

    health: PremiumLine = _NONE
    levy: PremiumLine = _NONE
    pension: PremiumLine = _NONE
    child_contribution: int = 0
    nursing_care: bool = False

    def add(self, health: PremiumLine, levy: PremiumLine, pension: PremiumLine) -> None:
        self.health = PremiumLine(
            self.health.employee + health.employee, self.health.employer + health.employer
        )
        self.levy = PremiumLine(
            self.levy.employee + levy.employee, self.levy.employer + levy.employer
        )
        self.pension = PremiumLine(
            self.pension.employee + pension.employee, self.pension.employer + pension.employer
        )

    @property
    def employee(self) -> int:
        return self.health.employee + self.levy.employee + self.pension.employee


def _require_non_negative(name: str, value: int) -> None:
    if value < 0:
        raise InvalidInput.field(name, "must be 0 or more")


def _prefecture_code(prefecture: str | None) -> str | None:
    if prefecture is None:
        return None
    try:
        return rates.resolve_prefecture(prefecture)
    except LookupError:
        raise InvalidInput.field("prefecture", f"unknown prefecture {prefecture!r}") from None


def _health_rates(
    prefecture_code: str | None,
    insurer: Insurer | None,
    month: dt.date,
    care: bool,
    notes: list[str],
) -> tuple[Decimal, Decimal | None]:
    """Full health(+care) rate and the employee's rate (None = half) for a month."""
    if insurer is not None:
        rate = insurer.health_rate + (insurer.care_rate if care else Decimal(0))
        if insurer.health_employee_rate is None and insurer.care_employee_rate is None:
            return rate, None
        employee = (
            insurer.health_employee_rate
            if insurer.health_employee_rate is not None
            else insurer.health_rate / 2
        )
        if care:
            employee += (
                insurer.care_employee_rate
                if insurer.care_employee_rate is not None
                else insurer.care_rate / 2
            )
        return rate, employee
    if prefecture_code is None:
        raise InvalidInput.field("prefecture", "give the prefecture (協会けんぽ) or an insurer")
    try:
        health = rates.kyoukai_health_rate(prefecture_code, month)
        care_rate = rates.care_rate(month) if care else None
    except rates.RateNotFound as exc:
        raise InvalidInput.field("insurance_month", str(exc)) from None
    _note(notes, health.note)
    rate = health.value
    if care_rate is not None:
        _note(notes, care_rate.note)
        rate += care_rate.value
    return rate, None


def _note(notes: list[str], note: str | None) -> None:
    if note is not None and note not in notes:
        notes.append(note)


def _rated(getter: rates.RateGetter, month: dt.date, notes: list[str]) -> Decimal:
    try:
        found = getter(month)
    except rates.RateNotFound as exc:
        raise InvalidInput.field("insurance_month", str(exc)) from None
    _note(notes, found.note)
    return found.value


def _social_insurance(
    totals: _Totals,
    *,
    month: dt.date,
    health_base: int,
    pension_base: int,
    birth_date: dt.date,
    prefecture_code: str | None,
    insurer: Insurer | None,
    notes: list[str],
) -> None:
    """Add one insurance month's (or one bonus's) premiums to `totals`."""
    health = levy = pension = PremiumLine(0, 0)
    if health_due(birth_date, month) and health_base > 0:
        care = care_due(birth_date, month)
        totals.nursing_care = totals.nursing_care or care
        rate, employee_rate = _health_rates(prefecture_code, insurer, month, care, notes)
        health = split(health_base, rate, employee_rate)
        levy = split(health_base, _rated(rates.child_support_rate, month, notes))
    if pension_due(birth_date, month) and pension_base > 0:
        pension = split(pension_base, _rated(rates.pension_rate, month, notes))
        contribution = _rated(rates.child_contribution_rate, month, notes)
        totals.child_contribution += truncate_yen(Decimal(pension_base) * contribution / _HUNDRED)
        _note(notes, rates.pension_grade_note(month))
    totals.add(health, levy, pension)


def _employment_insurance(
    industry: str, closing_date: dt.date, wages: int, notes: list[str]
) -> PremiumLine:
    try:
        rate = rates.employment_insurance_rate(industry, closing_date)
    except rates.RateNotFound as exc:
        field_name = (
            "employment_insurance_industry" if "industry" in str(exc) else "wage_closing_date"
        )
        raise InvalidInput.field(field_name, str(exc)) from None
    _note(notes, rate.note)
    return employment_insurance(wages, rate.worker_per_mille, rate.employer_per_mille)


def _workers_compensation(
    business_type: str | None, closing_date: dt.date, wages: int, notes: list[str]
) -> int:
    if business_type is None:
        return 0
    try:
        rate = rates.workers_compensation_rate(business_type, closing_date)
    except rates.RateNotFound as exc:
        raise InvalidInput.field("workers_compensation_business_type", str(exc)) from None
    _note(notes, rate.note)
    return truncate_yen(Decimal(wages) * rate.value / 1000)


def _withholding_note(pay_date: dt.date, notes: list[str], *, bonus: bool = False) -> None:
    """Say so on the payslip when the table this pay used is unverified: the monthly
    table for salary, the bonus rate table for a bonus (2027's is carried forward)."""
    year = withholding.tables_for(pay_date)
    table = year.bonus if bonus else year.monthly
    if table.confidence == "U":
        which = "bonus rate table" if bonus else "monthly table"
        _note(notes, f"withholding {which} {year.label} unverified [U]")


def insurance_month_for(pay_date: dt.date, collection: PremiumCollection = "next_month") -> dt.date:
    """The insurance month a pay deducts by default: the previous month (翌月徴収) or the
    pay's own month (当月徴収)."""
    month = month_of(pay_date)
    return add_months(month, -1) if collection == "next_month" else month


def calculate_month(inp: MonthInput) -> MonthResult:
    """Deductions and net pay for one employee-month.

    Social insurance for each charged insurance month (health+care rounded together,
    levy and pension on their own lines, 50-銭 rule), employment insurance on taxable +
    non-taxable pay, income tax on taxable pay − this payslip's social insurance, then
    resident tax and other deductions as given. Raises `InvalidInput` naming the field.
    """
    for name in (
        "taxable_pay",
        "non_taxable_pay",
        "resident_tax",
        "other_deductions",
        "dependents",
    ):
        _require_non_negative(name, getattr(inp, name))
    notes: list[str] = []
    default_month = (
        month_of(inp.insurance_month)
        if inp.insurance_month is not None
        else insurance_month_for(inp.pay_date, inp.premium_collection)
    )
    months: tuple[dt.date, ...] = ()
    if inp.social_insurance_enrolled:
        months = (
            tuple(month_of(m) for m in inp.charged_insurance_months)
            if inp.charged_insurance_months is not None
            else (default_month,)
        )
    prefecture_code = _prefecture_code(inp.prefecture)
    health_std = inp.standard_monthly_remuneration
    pension_std = inp.pension_standard_monthly_remuneration
    totals = _Totals()
    for month in months:
        if not rates.is_health_standard_amount(health_std, month):
            raise InvalidInput.field(
                "standard_monthly_remuneration", f"{health_std} is not a health grade amount"
            )
        if pension_std is not None and not rates.is_pension_standard_amount(pension_std, month):
            raise InvalidInput.field(
                "pension_standard_monthly_remuneration",
                f"{pension_std} is not a pension grade amount",
            )
        _social_insurance(
            totals,
            month=month,
            health_base=health_std,
            pension_base=(
                pension_std
                if pension_std is not None
                else rates.pension_standard_for_health_standard(health_std, month)
            ),
            birth_date=inp.birth_date,
            prefecture_code=prefecture_code,
            insurer=inp.insurer,
            notes=notes,
        )
    gross = inp.taxable_pay + inp.non_taxable_pay
    closing = inp.wage_closing_date or inp.pay_date
    ei = PremiumLine(0, 0)
    if inp.employment_insurance_enrolled:
        ei = _employment_insurance(inp.employment_insurance_industry, closing, gross, notes)
    workers_compensation = _workers_compensation(
        inp.workers_compensation_business_type, closing, gross, notes
    )
    social_total = totals.employee + ei.employee
    after_insurance = max(0, inp.taxable_pay - social_total)
    income_tax = withholding.monthly_tax(
        inp.pay_date,
        after_insurance,
        column=inp.withholding_column,
        dependents=inp.dependents,
        method=inp.withholding_method,
    )
    _withholding_note(inp.pay_date, notes)
    total = social_total + income_tax + inp.resident_tax + inp.other_deductions
    return MonthResult(
        health_insurance=totals.health.employee,
        child_support_levy=totals.levy.employee,
        pension=totals.pension.employee,
        employment_insurance=ei.employee,
        income_tax=income_tax,
        resident_tax=inp.resident_tax,
        other_deductions=inp.other_deductions,
        total_deductions=total,
        net_pay=gross - total,
        employer=EmployerShare(
            health_insurance=totals.health.employer,
            child_support_levy=totals.levy.employer,
            pension=totals.pension.employer,
            employment_insurance=ei.employer,
            child_contribution=totals.child_contribution,
            workers_compensation=workers_compensation,
        ),
        gross_pay=gross,
        social_insurance_total=social_total,
        taxable_after_insurance=after_insurance,
        insurance_months=months,
        nursing_care=totals.nursing_care,
        notes=tuple(notes),
    )


def calculate_bonus(inp: BonusInput) -> BonusResult:
    """Deductions and net amount for one bonus (§1.5, §1.10).

    標準賞与額 = bonus truncated to ¥1,000; health (with care and levy) capped by what is
    left of ¥5,730,000 this fiscal year, pension (with 拠出金) by what is left of
    ¥1,500,000 this month; rates of the pay month as insurance month; employment
    insurance on the actual bonus; income tax via `withholding.bonus_tax` with the
    previous month's after-insurance pay.
    """
    for name in (
        "bonus_amount",
        "health_standard_bonus_this_fiscal_year",
        "pension_standard_bonus_this_month",
        "other_deductions",
        "dependents",
    ):
        _require_non_negative(name, getattr(inp, name))
    notes: list[str] = []
    month = month_of(inp.pay_date)
    standard = inp.bonus_amount // 1000 * 1000
    prefecture_code = _prefecture_code(inp.prefecture)
    health_std = pension_std = 0
    totals = _Totals()
    insured = inp.loss_date is None or month <= month_of(inp.loss_date)
    if inp.social_insurance_enrolled and insured:
        try:
            caps = rates.bonus_caps(inp.pay_date)
        except rates.RateNotFound as exc:
            raise InvalidInput.field("pay_date", str(exc)) from None
        if health_due(inp.birth_date, month):
            room = max(0, caps.health_per_fiscal_year - inp.health_standard_bonus_this_fiscal_year)
            health_std = min(standard, room)
        premium_bearing = inp.loss_date is None or month < month_of(inp.loss_date)
        if premium_bearing and pension_due(inp.birth_date, month):
            room = max(0, caps.pension_per_month - inp.pension_standard_bonus_this_month)
            pension_std = min(standard, room)
        if premium_bearing:
            _social_insurance(
                totals,
                month=month,
                health_base=health_std,
                pension_base=pension_std,
                birth_date=inp.birth_date,
                prefecture_code=prefecture_code,
                insurer=inp.insurer,
                notes=notes,
            )
        elif health_std:
            _note(
                notes,
                "bonus in the month of loss of coverage: no premiums; counted toward the "
                "health annual cap [U]",
            )
    ei = PremiumLine(0, 0)
    if inp.employment_insurance_enrolled:
        ei = _employment_insurance(
            inp.employment_insurance_industry, inp.pay_date, inp.bonus_amount, notes
        )
    workers_compensation = _workers_compensation(
        inp.workers_compensation_business_type, inp.pay_date, inp.bonus_amount, notes
    )
    social_total = totals.employee + ei.employee
    after_insurance = max(0, inp.bonus_amount - social_total)
    income_tax = withholding.bonus_tax(
        inp.pay_date,
        after_insurance,
        previous_month_after_insurance=inp.previous_month_after_insurance,
        column=inp.withholding_column,
        dependents=inp.dependents,
        method=inp.withholding_method,
        months_covered=inp.months_covered,
    )
    _withholding_note(inp.pay_date, notes, bonus=True)
    total = social_total + income_tax + inp.other_deductions
    return BonusResult(
        standard_bonus_amount=standard,
        health_standard_bonus=health_std,
        pension_standard_bonus=pension_std,
        health_insurance=totals.health.employee,
        child_support_levy=totals.levy.employee,
        pension=totals.pension.employee,
        employment_insurance=ei.employee,
        income_tax=income_tax,
        other_deductions=inp.other_deductions,
        total_deductions=total,
        net_pay=inp.bonus_amount - total,
        employer=EmployerShare(
            health_insurance=totals.health.employer,
            child_support_levy=totals.levy.employer,
            pension=totals.pension.employer,
            employment_insurance=ei.employer,
            child_contribution=totals.child_contribution,
            workers_compensation=workers_compensation,
        ),
        social_insurance_total=social_total,
        bonus_after_insurance=after_insurance,
        nursing_care=totals.nursing_care,
        notes=tuple(notes),
    )
