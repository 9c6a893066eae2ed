"""Tables of the employee master (従業員マスタ), all tenant-owned under RLS.

`employees` holds what payroll needs to compute a month; the rest hang off an employee
with `(tenant_id, employee_id)` foreign keys, so nothing can point across tenants:

- `employee_grades`: the 標準報酬月額 history (資格取得時決定, 定時決定, 随時改定). A
  payroll month reads the latest grade effective on or before its insurance month; grades
  are recorded decisions, never recomputed from one month's pay.
- `resident_tax_notices`: 住民税 特別徴収 amounts per fiscal year (June–May), imported
  from the municipality's 決定通知書, never computed.
- `employee_bank_accounts`: 給与振込 accounts; the account number and the holder name
  are field-encrypted tokens (`daiko.security.fields`), the last four digits kept for
  masked display.
- `employee_my_numbers`: the My Number vault, one encrypted token per employee, apart
  from every other table so nothing but the reveal and filing paths ever reads it.
- `employee_monthly_inputs`: 勤怠 and variable pay per employee and pay month.
- `health_insurance_societies`: 健康保険組合 with their own rates (percent, both halves).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from daiko.db.base import Base, TenantOwned, Timestamps
from daiko.tenancy import models as _tenancy_models  # noqa: F401  (foreign key targets)

EMPLOYMENT_TYPES = ("regular", "contract", "part_time", "temporary", "executive")
PAY_BASES = ("monthly", "daily", "hourly")
GENDERS = ("male", "female", "other")
WITHHOLDING_COLUMNS = ("kou", "otsu")
INSURER_KINDS = ("kyoukai", "society")
EI_INDUSTRIES = ("general", "agriculture", "construction")
ALLOWANCE_KINDS = ("commuting", "position", "family", "housing", "other")
GRADE_REASONS = ("acquisition", "annual", "change", "manual")
ACCOUNT_TYPES = ("1", "2", "4")  # 1 普通, 2 当座, 4 貯蓄 (全銀 預金種目)

# Purposes (AAD) of the encrypted fields: a token only decrypts for its own column.
MY_NUMBER_PURPOSE = "employee.my_number"
ACCOUNT_NUMBER_PURPOSE = "employee.bank_account_number"
HOLDER_NAME_PURPOSE = "employee.bank_holder_name"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


def _employee_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "employee_id"], ["employees.tenant_id", "employees.id"], ondelete="CASCADE"
    )


class HealthInsuranceSociety(TenantOwned, Timestamps, Base):
    """健康保険組合: a client's own health insurer and its rates (percent, full rate of
    both halves, e.g. 9.500) from `valid_from`. A new fiscal year's rates are a new row."""

    __tablename__ = "health_insurance_societies"
    __table_args__ = (
        CheckConstraint("health_rate > 0 and health_rate < 30", name="health_rate"),
        CheckConstraint("care_rate >= 0 and care_rate < 10", name="care_rate"),
        UniqueConstraint("tenant_id", "name", "valid_from"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(100))
    insurer_number: Mapped[str | None] = mapped_column(String(8))  # 保険者番号
    health_rate: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    care_rate: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    health_employee_rate: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    care_employee_rate: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    valid_from: Mapped[date] = mapped_column(Date)


class Employee(TenantOwned, Timestamps, Base):
    """One person on a client's payroll (従業員). `version` is the ETag; `updated_at` the
    key of `updated_since` sync lists. Leaving sets `leave_date` (soft delete)."""

    __tablename__ = "employees"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        ForeignKeyConstraint(
            ["tenant_id", "society_id"],
            ["health_insurance_societies.tenant_id", "health_insurance_societies.id"],
        ),
        CheckConstraint(_in("employment_type", EMPLOYMENT_TYPES), name="employment_type"),
        CheckConstraint(_in("pay_basis", PAY_BASES), name="pay_basis"),
        CheckConstraint(f"gender is null or {_in('gender', GENDERS)}", name="gender"),
        CheckConstraint(_in("withholding_column", WITHHOLDING_COLUMNS), name="withholding_column"),
        CheckConstraint(_in("insurer_kind", INSURER_KINDS), name="insurer_kind"),
        CheckConstraint(
            "(insurer_kind = 'kyoukai' and prefecture is not null and society_id is null)"
            " or (insurer_kind = 'society' and society_id is not null)",
            name="insurer",
        ),
        CheckConstraint(
            "prefecture is null or prefecture ~ '^(0[1-9]|[1-3][0-9]|4[0-7])$'",
            name="prefecture",
        ),
        CheckConstraint(
            _in("employment_insurance_industry", EI_INDUSTRIES),
            name="employment_insurance_industry",
        ),
        CheckConstraint("base_amount >= 0", name="base_amount"),
        CheckConstraint("dependents >= 0 and dependents <= 99", name="dependents"),
        CheckConstraint("leave_date is null or leave_date >= hire_date", name="leave_after_hire"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_employees_tenant_id_updated_at_id", "tenant_id", "updated_at", "id"),
        Index("ix_employees_tenant_id_department", "tenant_id", "department"),
        Index("ix_employees_tenant_id_pay_group", "tenant_id", "pay_group"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(32))  # 社員番号
    family_name: Mapped[str] = mapped_column(String(50))
    given_name: Mapped[str] = mapped_column(String(50))
    family_name_kana: Mapped[str] = mapped_column(String(50))  # full-width katakana
    given_name_kana: Mapped[str] = mapped_column(String(50))
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(8))
    email: Mapped[str | None] = mapped_column(String(254))
    hire_date: Mapped[date] = mapped_column(Date)
    leave_date: Mapped[date | None] = mapped_column(Date)
    leave_reason: Mapped[str | None] = mapped_column(Text)
    employment_type: Mapped[str] = mapped_column(String(16), server_default="regular")
    pay_group: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(100))
    pay_basis: Mapped[str] = mapped_column(String(8), server_default="monthly")
    base_amount: Mapped[int] = mapped_column(Integer)  # yen per month / day / hour
    scheduled_monthly_hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    scheduled_days: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    # [{"kind": "commuting", "name": "通勤手当", "amount": 12000, "taxable": false}, …]
    allowances: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    withholding_column: Mapped[str] = mapped_column(String(4), server_default="kou")
    dependents: Mapped[int] = mapped_column(Integer, server_default="0")
    insurer_kind: Mapped[str] = mapped_column(String(8), server_default="kyoukai")
    prefecture: Mapped[str | None] = mapped_column(String(2))  # JIS X 0401, "13" = 東京都
    society_id: Mapped[uuid.UUID | None] = mapped_column()
    employment_insurance_industry: Mapped[str] = mapped_column(String(16), server_default="general")
    social_insurance_enrolled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    employment_insurance_enrolled: Mapped[bool] = mapped_column(
        Boolean, server_default=text("true")
    )
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}"

    @property
    def full_name_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}"

    def active_on(self, day: date) -> bool:
        return self.hire_date <= day and (self.leave_date is None or self.leave_date >= day)


class EmployeeGrade(TenantOwned, Base):
    """標準報酬月額 decided from `effective_month` (first day of the insurance month)."""

    __tablename__ = "employee_grades"
    __table_args__ = (
        _employee_fk(),
        UniqueConstraint("tenant_id", "employee_id", "effective_month"),
        CheckConstraint("extract(day from effective_month) = 1", name="first_of_month"),
        CheckConstraint(_in("reason", GRADE_REASONS), name="reason"),
        CheckConstraint("health_standard > 0 and pension_standard > 0", name="positive"),
    )

    employee_id: Mapped[uuid.UUID] = mapped_column()
    effective_month: Mapped[date] = mapped_column(Date)
    health_standard: Mapped[int] = mapped_column(Integer)  # 健康保険 標準報酬月額
    pension_standard: Mapped[int] = mapped_column(Integer)  # 厚生年金 標準報酬月額
    reason: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class ResidentTaxNotice(TenantOwned, Base):
    """住民税 特別徴収税額の決定通知: `fiscal_year` Y runs June Y – May Y+1."""

    __tablename__ = "resident_tax_notices"
    __table_args__ = (
        _employee_fk(),
        UniqueConstraint("tenant_id", "employee_id", "fiscal_year"),
        CheckConstraint("fiscal_year between 2000 and 2100", name="fiscal_year"),
        CheckConstraint("municipality_code ~ '^[0-9]{6}$'", name="municipality_code"),
        CheckConstraint("june_amount >= 0 and monthly_amount >= 0", name="amounts"),
    )

    employee_id: Mapped[uuid.UUID] = mapped_column()
    fiscal_year: Mapped[int] = mapped_column(Integer)
    municipality_code: Mapped[str] = mapped_column(String(6))  # 全国地方公共団体コード
    municipality_name: Mapped[str] = mapped_column(String(100))
    june_amount: Mapped[int] = mapped_column(Integer)
    monthly_amount: Mapped[int] = mapped_column(Integer)  # each of July–May
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))

    @property
    def annual_amount(self) -> int:
        return self.june_amount + 11 * self.monthly_amount

    def amount_for(self, month: date) -> int:
        """The instalment deducted from pay of `month` (0 outside this fiscal year)."""
        if month.year == self.fiscal_year and month.month == 6:
            return self.june_amount
        if (month.year == self.fiscal_year and month.month >= 7) or (
            month.year == self.fiscal_year + 1 and month.month <= 5
        ):
            return self.monthly_amount
        return 0


class EmployeeBankAccount(TenantOwned, Timestamps, Base):
    """A salary account (給与振込先). `position` 1 is the main account; a further account
    takes `fixed_amount` yen and the main one the rest."""

    __tablename__ = "employee_bank_accounts"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        _employee_fk(),
        UniqueConstraint("tenant_id", "employee_id", "position"),
        CheckConstraint("bank_code ~ '^[0-9]{4}$'", name="bank_code"),
        CheckConstraint("branch_code ~ '^[0-9]{3}$'", name="branch_code"),
        CheckConstraint(_in("account_type", ACCOUNT_TYPES), name="account_type"),
        CheckConstraint("account_number_last4 ~ '^[0-9]{1,4}$'", name="last4"),
        CheckConstraint("position between 1 and 5", name="position"),
        CheckConstraint("fixed_amount is null or fixed_amount > 0", name="fixed_amount"),
    )

    employee_id: Mapped[uuid.UUID] = mapped_column()
    position: Mapped[int] = mapped_column(Integer, server_default="1")
    bank_code: Mapped[str] = mapped_column(String(4))
    bank_name_kana: Mapped[str | None] = mapped_column(String(15))  # half-width, optional
    branch_code: Mapped[str] = mapped_column(String(3))
    branch_name_kana: Mapped[str | None] = mapped_column(String(15))
    account_type: Mapped[str] = mapped_column(String(1))
    account_number_token: Mapped[str] = mapped_column(Text)  # encrypted, 7 digits
    account_number_last4: Mapped[str] = mapped_column(String(4))
    account_number_length: Mapped[int] = mapped_column(Integer, server_default="7")
    holder_name_token: Mapped[str] = mapped_column(Text)  # encrypted, half-width kana
    fixed_amount: Mapped[int | None] = mapped_column(Integer)

    @property
    def masked_number(self) -> str:
        shown = self.account_number_last4
        return "*" * max(0, self.account_number_length - len(shown)) + shown


class EmployeeMyNumber(TenantOwned, Timestamps, Base):
    """The My Number vault (個人番号): one encrypted token per employee. Only the reveal
    path (audited, with a purpose) and filing generators decrypt it."""

    __tablename__ = "employee_my_numbers"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        _employee_fk(),
        UniqueConstraint("tenant_id", "employee_id"),
        CheckConstraint("last4 ~ '^[0-9]{4}$'", name="last4"),
    )

    employee_id: Mapped[uuid.UUID] = mapped_column()
    token: Mapped[str] = mapped_column(Text)
    last4: Mapped[str] = mapped_column(String(4))
    registered_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    @property
    def masked(self) -> str:
        return "*" * 8 + self.last4


class EmployeeMonthlyInput(TenantOwned, Timestamps, Base):
    """勤怠 and variable pay of one employee for one pay month (first day of the month).
    Hours and days are decimals (7.5 h); amounts are integer yen keyed by their name."""

    __tablename__ = "employee_monthly_inputs"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        _employee_fk(),
        UniqueConstraint("tenant_id", "employee_id", "pay_month"),
        CheckConstraint("extract(day from pay_month) = 1", name="first_of_month"),
        CheckConstraint(
            "worked_days >= 0 and absence_days >= 0 and paid_leave_days >= 0"
            " and overtime_hours >= 0 and overtime_over60_hours >= 0"
            " and rest_day_hours >= 0 and late_night_hours >= 0 and lateness_hours >= 0",
            name="non_negative",
        ),
        CheckConstraint("overtime_hours <= 60", name="overtime_up_to_60"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_employee_monthly_inputs_tenant_id_pay_month", "tenant_id", "pay_month"),
    )

    employee_id: Mapped[uuid.UUID] = mapped_column()
    pay_month: Mapped[date] = mapped_column(Date)
    worked_days: Mapped[Decimal] = mapped_column(Numeric(4, 1), server_default="0")
    absence_days: Mapped[Decimal] = mapped_column(Numeric(4, 1), server_default="0")
    paid_leave_days: Mapped[Decimal] = mapped_column(Numeric(4, 1), server_default="0")
    overtime_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2), server_default="0")  # ≤ 60 h
    overtime_over60_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2), server_default="0")
    rest_day_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2), server_default="0")  # 法定休日
    late_night_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2), server_default="0")
    lateness_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2), server_default="0")  # 遅刻早退
    variable_allowances: Mapped[dict[str, int]] = mapped_column(JSONB, server_default=text("'{}'"))
    variable_deductions: Mapped[dict[str, int]] = mapped_column(JSONB, server_default=text("'{}'"))
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")


IMPORT_KINDS = ("employees", "attendance")
IMPORT_STATUSES = ("invalid", "ready", "queued", "running", "done", "failed")


class EmployeeImport(TenantOwned, Timestamps, Base):
    """A staged upload: its rows parsed and validated at preview time. Sensitive columns
    (My Number, account number, holder name) are already encrypted tokens here, so the
    cleartext file never rests anywhere; the job writes exactly the rows the preview
    showed. `rows` is emptied once applied."""

    __tablename__ = "employee_imports"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        CheckConstraint(_in("kind", IMPORT_KINDS), name="kind"),
        CheckConstraint(_in("status", IMPORT_STATUSES), name="status"),
        Index("ix_employee_imports_tenant_id_created_at", "tenant_id", "created_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    encoding: Mapped[str | None] = mapped_column(String(16))
    pay_month: Mapped[date | None] = mapped_column(Date)  # attendance files
    row_count: Mapped[int] = mapped_column(Integer, server_default="0")
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    job_id: Mapped[uuid.UUID | None] = mapped_column()
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
