"""API shapes of the employee master (msgspec structs).

Nothing here carries a My Number or a clear account number out: outputs hold the masked
forms only; the clear My Number leaves solely through the audited reveal."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from daiko.employees.models import (
    Employee,
    EmployeeBankAccount,
    EmployeeGrade,
    EmployeeMonthlyInput,
    HealthInsuranceSociety,
    ResidentTaxNotice,
)

EmploymentType = Literal["regular", "contract", "part_time", "temporary", "executive"]
PayBasis = Literal["monthly", "daily", "hourly"]
Gender = Literal["male", "female", "other"]
WithholdingColumn = Literal["kou", "otsu"]
InsurerKind = Literal["kyoukai", "society"]
Industry = Literal["general", "agriculture", "construction"]
AllowanceKind = Literal["commuting", "position", "family", "housing", "other"]
GradeReason = Literal["acquisition", "annual", "change", "manual"]
AccountType = Literal["1", "2", "4"]
RevealPurpose = Literal[
    "social_insurance_filing", "withholding_slip", "employment_insurance", "other"
]
REVEAL_PURPOSES: tuple[str, ...] = (
    "social_insurance_filing",
    "withholding_slip",
    "employment_insurance",
    "other",
)

Code = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$",
        examples=["E0001"],
        description="社員番号, unique per tenant",
    ),
]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
Kana = Annotated[
    str, msgspec.Meta(min_length=1, max_length=50, examples=["ヤマダ"], description="カタカナ")
]
Yen = Annotated[int, msgspec.Meta(ge=0, le=100_000_000, examples=[300000])]
Hours = Annotated[Decimal, msgspec.Meta(description="hours, 0–999", examples=["7.5"])]
Days = Annotated[Decimal, msgspec.Meta(description="days, 0–31", examples=["20"])]
Prefecture = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^(0[1-9]|[1-3][0-9]|4[0-7])$", examples=["13"], description="JIS X 0401 code"
    ),
]
Month = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", examples=["2026-11"])]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class Allowance(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: AllowanceKind
    amount: Yen
    name: Annotated[str, msgspec.Meta(max_length=50)] | None = None
    taxable: bool | None = None
    """Default: commuting non-taxable (非課税通勤手当), everything else taxable."""


class EmployeeCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Code
    family_name: Name
    given_name: Name
    family_name_kana: Kana
    given_name_kana: Kana
    birth_date: date
    hire_date: date
    base_amount: Yen
    tenant_id: uuid.UUID | None = None
    """Needed only when you act for more than one tenant."""
    gender: Gender | None = None
    email: Annotated[str, msgspec.Meta(max_length=254)] | None = None
    leave_date: date | None = None
    employment_type: EmploymentType = "regular"
    pay_group: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    department: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    pay_basis: PayBasis = "monthly"
    scheduled_monthly_hours: Hours | None = None
    scheduled_days: Days | None = None
    allowances: list[Allowance] = msgspec.field(default_factory=list)
    withholding_column: WithholdingColumn = "kou"
    dependents: Annotated[int, msgspec.Meta(ge=0, le=99)] = 0
    insurer_kind: InsurerKind = "kyoukai"
    prefecture: Prefecture | None = None
    society_id: uuid.UUID | None = None
    employment_insurance_industry: Industry = "general"
    social_insurance_enrolled: bool = True
    employment_insurance_enrolled: bool = True


class EmployeeUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Code | msgspec.UnsetType = msgspec.UNSET
    family_name: Name | msgspec.UnsetType = msgspec.UNSET
    given_name: Name | msgspec.UnsetType = msgspec.UNSET
    family_name_kana: Kana | msgspec.UnsetType = msgspec.UNSET
    given_name_kana: Kana | msgspec.UnsetType = msgspec.UNSET
    birth_date: date | msgspec.UnsetType = msgspec.UNSET
    hire_date: date | msgspec.UnsetType = msgspec.UNSET
    base_amount: Yen | msgspec.UnsetType = msgspec.UNSET
    gender: Gender | msgspec.UnsetType | None = msgspec.UNSET
    email: Annotated[str, msgspec.Meta(max_length=254)] | msgspec.UnsetType | None = msgspec.UNSET
    leave_date: date | msgspec.UnsetType | None = msgspec.UNSET
    employment_type: EmploymentType | msgspec.UnsetType = msgspec.UNSET
    pay_group: Annotated[str, msgspec.Meta(max_length=64)] | msgspec.UnsetType | None = (
        msgspec.UNSET
    )
    department: Annotated[str, msgspec.Meta(max_length=100)] | msgspec.UnsetType | None = (
        msgspec.UNSET
    )
    pay_basis: PayBasis | msgspec.UnsetType = msgspec.UNSET
    scheduled_monthly_hours: Hours | msgspec.UnsetType | None = msgspec.UNSET
    scheduled_days: Days | msgspec.UnsetType | None = msgspec.UNSET
    allowances: list[Allowance] | msgspec.UnsetType = msgspec.UNSET
    withholding_column: WithholdingColumn | msgspec.UnsetType = msgspec.UNSET
    dependents: Annotated[int, msgspec.Meta(ge=0, le=99)] | msgspec.UnsetType = msgspec.UNSET
    insurer_kind: InsurerKind | msgspec.UnsetType = msgspec.UNSET
    prefecture: Prefecture | msgspec.UnsetType | None = msgspec.UNSET
    society_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    employment_insurance_industry: Industry | msgspec.UnsetType = msgspec.UNSET
    social_insurance_enrolled: bool | msgspec.UnsetType = msgspec.UNSET
    employment_insurance_enrolled: bool | msgspec.UnsetType = msgspec.UNSET


class EmployeeUpsert(EmployeeUpdate, kw_only=True, forbid_unknown_fields=True):
    """A bulk item: found by `code` and updated with the fields given, or created (then
    the fields required on creation must be there)."""

    code: Code


class EmployeeOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    tenant_id: uuid.UUID
    code: str
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    bank_name_kana: str | None
    """Half-width kana transfer name derived from the kana name (ﾔﾏﾀﾞ ﾀﾛｳ)."""
    birth_date: date
    gender: str | None
    email: str | None
    hire_date: date
    leave_date: date | None
    leave_reason: str | None
    employment_type: str
    pay_group: str | None
    department: str | None
    pay_basis: str
    base_amount: int
    scheduled_monthly_hours: Decimal | None
    scheduled_days: Decimal | None
    allowances: list[Allowance]
    withholding_column: str
    dependents: int
    insurer_kind: str
    prefecture: str | None
    society_id: uuid.UUID | None
    employment_insurance_industry: str
    social_insurance_enrolled: bool
    employment_insurance_enrolled: bool
    my_number: str | None
    """Masked (`********9018`) when registered; reveal through `my-number/reveal`."""
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(
        cls, e: Employee, *, my_number_last4: str | None = None, bank_name: str | None = None
    ) -> EmployeeOut:
        return cls(
            id=e.id,
            tenant_id=e.tenant_id,
            code=e.code,
            family_name=e.family_name,
            given_name=e.given_name,
            family_name_kana=e.family_name_kana,
            given_name_kana=e.given_name_kana,
            bank_name_kana=bank_name,
            birth_date=e.birth_date,
            gender=e.gender,
            email=e.email,
            hire_date=e.hire_date,
            leave_date=e.leave_date,
            leave_reason=e.leave_reason,
            employment_type=e.employment_type,
            pay_group=e.pay_group,
            department=e.department,
            pay_basis=e.pay_basis,
            base_amount=e.base_amount,
            scheduled_monthly_hours=e.scheduled_monthly_hours,
            scheduled_days=e.scheduled_days,
            allowances=[msgspec.convert(a, Allowance) for a in e.allowances],
            withholding_column=e.withholding_column,
            dependents=e.dependents,
            insurer_kind=e.insurer_kind,
            prefecture=e.prefecture,
            society_id=e.society_id,
            employment_insurance_industry=e.employment_insurance_industry,
            social_insurance_enrolled=e.social_insurance_enrolled,
            employment_insurance_enrolled=e.employment_insurance_enrolled,
            my_number=("*" * 8 + my_number_last4) if my_number_last4 else None,
            version=e.version,
            created_at=e.created_at,
            updated_at=e.updated_at,
        )


class EmployeePage(msgspec.Struct, kw_only=True):
    items: list[EmployeeOut]
    next_cursor: str | None


class EmployeeLeave(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    leave_date: date
    reason: Reason


class BulkEmployees(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    items: Annotated[list[EmployeeUpsert], msgspec.Meta(min_length=1, max_length=1000)]
    tenant_id: uuid.UUID | None = None


class BulkResult(msgspec.Struct, kw_only=True):
    created: int
    updated: int
    items: list[EmployeeOut]


# --- grades, resident tax, societies --------------------------------------------------


class GradeCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    effective_month: Month
    health_standard: Annotated[int, msgspec.Meta(gt=0, le=10_000_000, examples=[300000])]
    pension_standard: Annotated[int, msgspec.Meta(gt=0, le=10_000_000, examples=[300000])]
    reason: GradeReason = "manual"
    source_ref: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class GradeOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    effective_month: str
    health_standard: int
    pension_standard: int
    reason: str
    source_ref: str | None
    created_at: datetime

    @classmethod
    def of(cls, g: EmployeeGrade) -> GradeOut:
        return cls(
            id=g.id,
            effective_month=g.effective_month.strftime("%Y-%m"),
            health_standard=g.health_standard,
            pension_standard=g.pension_standard,
            reason=g.reason,
            source_ref=g.source_ref,
            created_at=g.created_at,
        )


class ResidentTaxCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    fiscal_year: Annotated[int, msgspec.Meta(ge=2000, le=2100, examples=[2026])]
    """The year of June: 2026 covers June 2026 – May 2027."""
    municipality_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$", examples=["131041"])]
    municipality_name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    june_amount: Yen
    monthly_amount: Yen


class ResidentTaxOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    fiscal_year: int
    municipality_code: str
    municipality_name: str
    june_amount: int
    monthly_amount: int
    annual_amount: int

    @classmethod
    def of(cls, n: ResidentTaxNotice) -> ResidentTaxOut:
        return cls(
            id=n.id,
            fiscal_year=n.fiscal_year,
            municipality_code=n.municipality_code,
            municipality_name=n.municipality_name,
            june_amount=n.june_amount,
            monthly_amount=n.monthly_amount,
            annual_amount=n.annual_amount,
        )


class SocietyCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    health_rate: Annotated[Decimal, msgspec.Meta(examples=["9.500"], description="percent")]
    care_rate: Annotated[Decimal, msgspec.Meta(examples=["1.600"], description="percent")]
    valid_from: date
    insurer_number: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{8}$")] | None = None
    health_employee_rate: Decimal | None = None
    care_employee_rate: Decimal | None = None
    tenant_id: uuid.UUID | None = None


class SocietyOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    insurer_number: str | None
    health_rate: Decimal
    care_rate: Decimal
    health_employee_rate: Decimal | None
    care_employee_rate: Decimal | None
    valid_from: date

    @classmethod
    def of(cls, s: HealthInsuranceSociety) -> SocietyOut:
        return cls(
            id=s.id,
            name=s.name,
            insurer_number=s.insurer_number,
            health_rate=s.health_rate,
            care_rate=s.care_rate,
            health_employee_rate=s.health_employee_rate,
            care_employee_rate=s.care_employee_rate,
            valid_from=s.valid_from,
        )


# --- bank accounts, My Number -----------------------------------------------------------


class BankAccountSet(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    bank_code: Annotated[str, msgspec.Meta(examples=["0005"])]
    branch_code: Annotated[str, msgspec.Meta(examples=["001"])]
    account_type: AccountType
    account_number: Annotated[str, msgspec.Meta(examples=["1234567"])]
    holder_name: str | None = None
    """Half-width kana; default: derived from the kana name."""
    bank_name_kana: Annotated[str, msgspec.Meta(max_length=15)] | None = None
    branch_name_kana: Annotated[str, msgspec.Meta(max_length=15)] | None = None
    position: Annotated[int, msgspec.Meta(ge=1, le=5)] = 1
    fixed_amount: Annotated[int, msgspec.Meta(gt=0, le=100_000_000)] | None = None


class BankAccountOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    position: int
    bank_code: str
    bank_name_kana: str | None
    branch_code: str
    branch_name_kana: str | None
    account_type: str
    account_number: str
    """Masked (`***4567`)."""
    fixed_amount: int | None
    updated_at: datetime

    @classmethod
    def of(cls, a: EmployeeBankAccount) -> BankAccountOut:
        return cls(
            id=a.id,
            position=a.position,
            bank_code=a.bank_code,
            bank_name_kana=a.bank_name_kana,
            branch_code=a.branch_code,
            branch_name_kana=a.branch_name_kana,
            account_type=a.account_type,
            account_number=a.masked_number,
            fixed_amount=a.fixed_amount,
            updated_at=a.updated_at,
        )


class MyNumberSet(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    my_number: Annotated[str, msgspec.Meta(examples=["123456789018"])]


class MyNumberOut(msgspec.Struct, kw_only=True):
    registered: bool
    masked: str | None


class RevealRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    purpose: RevealPurpose
    """利用目的 (個人番号関係事務)."""
    purpose_text: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    """Required when the purpose is `other`."""


class RevealOut(msgspec.Struct, kw_only=True):
    my_number: str
    purpose: str


# --- monthly inputs ---------------------------------------------------------------------


class MonthlyInputSet(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    worked_days: Days = Decimal(0)
    absence_days: Days = Decimal(0)
    paid_leave_days: Days = Decimal(0)
    overtime_hours: Hours = Decimal(0)
    """Statutory overtime up to 60 h in the month (25 %)."""
    overtime_over60_hours: Hours = Decimal(0)
    """Overtime beyond 60 h (50 %)."""
    rest_day_hours: Hours = Decimal(0)
    late_night_hours: Hours = Decimal(0)
    lateness_hours: Hours = Decimal(0)
    variable_allowances: dict[str, Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]] = (
        msgspec.field(default_factory=dict)
    )
    variable_deductions: dict[str, Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]] = (
        msgspec.field(default_factory=dict)
    )
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class MonthlyInputOut(msgspec.Struct, kw_only=True):
    employee_id: uuid.UUID
    pay_month: str
    worked_days: Decimal
    absence_days: Decimal
    paid_leave_days: Decimal
    overtime_hours: Decimal
    overtime_over60_hours: Decimal
    rest_day_hours: Decimal
    late_night_hours: Decimal
    lateness_hours: Decimal
    variable_allowances: dict[str, int]
    variable_deductions: dict[str, int]
    note: str | None
    version: int
    updated_at: datetime

    @classmethod
    def of(cls, m: EmployeeMonthlyInput) -> MonthlyInputOut:
        return cls(
            employee_id=m.employee_id,
            pay_month=m.pay_month.strftime("%Y-%m"),
            worked_days=m.worked_days,
            absence_days=m.absence_days,
            paid_leave_days=m.paid_leave_days,
            overtime_hours=m.overtime_hours,
            overtime_over60_hours=m.overtime_over60_hours,
            rest_day_hours=m.rest_day_hours,
            late_night_hours=m.late_night_hours,
            lateness_hours=m.lateness_hours,
            variable_allowances=dict(m.variable_allowances),
            variable_deductions=dict(m.variable_deductions),
            note=m.note,
            version=m.version,
            updated_at=m.updated_at,
        )


class MonthlyInputRow(msgspec.Struct, kw_only=True):
    employee_id: uuid.UUID
    code: str
    name: str
    input: MonthlyInputOut | None


class MonthlyInputPage(msgspec.Struct, kw_only=True):
    month: str
    items: list[MonthlyInputRow]
    next_cursor: str | None


# --- imports ------------------------------------------------------------------------------


class ImportProblem(msgspec.Struct, kw_only=True):
    line: int
    column: str
    reason: str


class ImportOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    kind: str
    status: str
    filename: str
    encoding: str | None
    row_count: int
    errors: list[ImportProblem]
    creates: int
    updates: int
    job_id: uuid.UUID | None
    summary: dict[str, object]
