"""Tables of payroll runs (給与計算の実行), all tenant-owned under RLS.

A run is one pay group's pay for one pay date (monthly 給与 or 賞与), tied to a payroll
case. `payroll_run_members` fixes which employees it covers (in a numbered order the
chunked job slices); `payroll_results` holds one payslip per employee as integer
columns (unique per run and employee, so a chunk that runs twice writes once);
`payroll_journal_lines` the run's journal (仕訳); `payroll_run_documents` the outputs
(payslips, 賃金台帳, bank file) as documents. `payroll_settings` is the tenant's bank
data for the Zengin header and its calculation options.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from daiko.db.base import Base, TenantOwned, Timestamps
from daiko.employees import models as _employee_models  # noqa: F401  (foreign key targets)

RUN_KINDS = ("monthly", "bonus")
RUN_STATUSES = ("draft", "calculating", "review", "approved", "locked")
OUTPUT_KINDS = ("payslip", "ledger_csv", "ledger_csv_cp932", "ledger_xlsx", "zengin")
WITHHOLDING_METHODS = ("table", "formula")
PREMIUM_COLLECTIONS = ("next_month", "current_month")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


def _employee_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "employee_id"], ["employees.tenant_id", "employees.id"]
    )


def _run_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "run_id"], ["payroll_runs.tenant_id", "payroll_runs.id"], ondelete="CASCADE"
    )


class PayrollSettings(TenantOwned, Timestamps, Base):
    """A tenant's payroll options and the paying account for the Zengin header."""

    __tablename__ = "payroll_settings"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        UniqueConstraint("tenant_id"),
        CheckConstraint(_in("withholding_method", WITHHOLDING_METHODS), name="withholding_method"),
        CheckConstraint(_in("premium_collection", PREMIUM_COLLECTIONS), name="premium_collection"),
        CheckConstraint("pay_day between 1 and 31", name="pay_day"),
        CheckConstraint("closing_day between 1 and 31", name="closing_day"),
        CheckConstraint("account_type in (1, 2)", name="account_type"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    company_code: Mapped[str] = mapped_column(String(10), server_default="")  # 委託者コード
    company_name_kana: Mapped[str] = mapped_column(String(80), server_default="")
    bank_code: Mapped[str] = mapped_column(String(4), server_default="")
    bank_name_kana: Mapped[str] = mapped_column(String(40), server_default="")
    branch_code: Mapped[str] = mapped_column(String(3), server_default="")
    branch_name_kana: Mapped[str] = mapped_column(String(40), server_default="")
    account_type: Mapped[int] = mapped_column(Integer, server_default="1")
    account_number: Mapped[str] = mapped_column(String(7), server_default="")
    zengin_line_breaks: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    withholding_method: Mapped[str] = mapped_column(String(16), server_default="table")
    premium_collection: Mapped[str] = mapped_column(String(16), server_default="next_month")
    pay_day: Mapped[int] = mapped_column(Integer, server_default="25")  # 31 = month end
    closing_day: Mapped[int] = mapped_column(Integer, server_default="31")  # 31 = month end
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class PayrollRun(TenantOwned, Timestamps, Base):
    """One pay group's pay for one pay date (給与 or 賞与)."""

    __tablename__ = "payroll_runs"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "case_id"], ["cases.tenant_id", "cases.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "corrects_run_id"], ["payroll_runs.tenant_id", "payroll_runs.id"]
        ),
        CheckConstraint(_in("kind", RUN_KINDS), name="kind"),
        CheckConstraint(_in("status", RUN_STATUSES), name="status"),
        CheckConstraint(r"period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'", name="period_format"),
        CheckConstraint(
            "status not in ('approved', 'locked') or approved_by <> prepared_by",
            name="four_eyes",
        ),
        # One original run per pay group, kind and pay date; corrections add more.
        Index(
            "uq_payroll_runs_original",
            "tenant_id",
            "kind",
            "pay_group",
            "pay_date",
            unique=True,
            postgresql_where=text("corrects_run_id is null"),
        ),
        Index("ix_payroll_runs_tenant_id_pay_date", "tenant_id", "pay_date"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16))
    pay_group: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    pay_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), server_default="draft")
    corrects_run_id: Mapped[uuid.UUID | None] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    employee_count: Mapped[int] = mapped_column(Integer, server_default="0")
    # Sums of the results once calculated: gross, each deduction, net, employer costs.
    totals: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    calculate_job_id: Mapped[uuid.UUID | None] = mapped_column()
    outputs_job_id: Mapped[uuid.UUID | None] = mapped_column()
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Whoever last ran the calculation: never the approver (four eyes).
    prepared_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    calculated_at: Mapped[datetime | None] = mapped_column()
    approved_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None] = mapped_column()
    rejected_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    rejected_at: Mapped[datetime | None] = mapped_column()
    reject_reason: Mapped[str | None] = mapped_column(Text)
    locked_at: Mapped[datetime | None] = mapped_column()
    zengin_sha256: Mapped[str | None] = mapped_column(String(64))
    journal_entry_id: Mapped[uuid.UUID | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class PayrollRunMember(TenantOwned, Base):
    """An employee a run covers, numbered from 0 (the job's chunks are ranges of seq)."""

    __tablename__ = "payroll_run_members"
    __table_args__ = (
        _run_fk(),
        _employee_fk(),
        UniqueConstraint("tenant_id", "run_id", "seq"),
        UniqueConstraint("tenant_id", "run_id", "employee_id"),
    )

    run_id: Mapped[uuid.UUID] = mapped_column()
    seq: Mapped[int] = mapped_column(Integer)
    employee_id: Mapped[uuid.UUID] = mapped_column()


# Integer payslip columns of a result, in ledger order (賃金台帳).
AMOUNT_COLUMNS: tuple[str, ...] = (
    "gross_pay",
    "taxable_pay",
    "non_taxable_pay",
    "health_insurance",
    "child_support_levy",
    "pension",
    "employment_insurance",
    "social_insurance_total",
    "taxable_after_insurance",
    "income_tax",
    "resident_tax",
    "other_deductions",
    "total_deductions",
    "net_pay",
    "employer_health_insurance",
    "employer_child_support_levy",
    "employer_pension",
    "employer_employment_insurance",
    "employer_child_contribution",
    "employer_total",
)


class PayrollResult(TenantOwned, Base):
    """One employee's payslip in a run: every amount integer yen."""

    __tablename__ = "payroll_results"
    __table_args__ = (
        _run_fk(),
        _employee_fk(),
        UniqueConstraint("tenant_id", "run_id", "employee_id"),
        Index("ix_payroll_results_tenant_id_run_id_seq", "tenant_id", "run_id", "seq"),
    )

    run_id: Mapped[uuid.UUID] = mapped_column()
    employee_id: Mapped[uuid.UUID] = mapped_column()
    seq: Mapped[int] = mapped_column(Integer)
    employee_code: Mapped[str] = mapped_column(String(32))
    employee_name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    standard_monthly_remuneration: Mapped[int | None] = mapped_column(BigInteger)
    nursing_care: Mapped[bool] = mapped_column(Boolean, server_default=false())
    gross_pay: Mapped[int] = mapped_column(BigInteger)
    taxable_pay: Mapped[int] = mapped_column(BigInteger)
    non_taxable_pay: Mapped[int] = mapped_column(BigInteger)
    health_insurance: Mapped[int] = mapped_column(BigInteger)
    child_support_levy: Mapped[int] = mapped_column(BigInteger)
    pension: Mapped[int] = mapped_column(BigInteger)
    employment_insurance: Mapped[int] = mapped_column(BigInteger)
    social_insurance_total: Mapped[int] = mapped_column(BigInteger)
    taxable_after_insurance: Mapped[int] = mapped_column(BigInteger)
    income_tax: Mapped[int] = mapped_column(BigInteger)
    resident_tax: Mapped[int] = mapped_column(BigInteger)
    other_deductions: Mapped[int] = mapped_column(BigInteger)
    total_deductions: Mapped[int] = mapped_column(BigInteger)
    net_pay: Mapped[int] = mapped_column(BigInteger)
    employer_health_insurance: Mapped[int] = mapped_column(BigInteger)
    employer_child_support_levy: Mapped[int] = mapped_column(BigInteger)
    employer_pension: Mapped[int] = mapped_column(BigInteger)
    employer_employment_insurance: Mapped[int] = mapped_column(BigInteger)
    employer_child_contribution: Mapped[int] = mapped_column(BigInteger)
    employer_total: Mapped[int] = mapped_column(BigInteger)
    # {"attendance": [[label, value], …], "payments": [[label, yen], …], "notes": […]}
    lines: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class PayrollJournalLine(TenantOwned, Base):
    """One line of a run's journal (仕訳): debit or credit, integer yen."""

    __tablename__ = "payroll_journal_lines"
    __table_args__ = (
        _run_fk(),
        UniqueConstraint("tenant_id", "run_id", "line_no"),
        CheckConstraint("debit >= 0 and credit >= 0 and (debit = 0) <> (credit = 0)", name="side"),
    )

    run_id: Mapped[uuid.UUID] = mapped_column()
    line_no: Mapped[int] = mapped_column(Integer)
    account_code: Mapped[str] = mapped_column(String(16))
    account_name: Mapped[str] = mapped_column(String(64))
    sub_account: Mapped[str | None] = mapped_column(String(64))
    debit: Mapped[int] = mapped_column(BigInteger, server_default="0")
    credit: Mapped[int] = mapped_column(BigInteger, server_default="0")
    description: Mapped[str] = mapped_column(String(200))


class PayrollRunDocument(TenantOwned, Base):
    """An output of a run stored as a document (one payslip per employee, one of each
    run-level file)."""

    __tablename__ = "payroll_run_documents"
    __table_args__ = (
        _run_fk(),
        ForeignKeyConstraint(["tenant_id", "document_id"], ["documents.tenant_id", "documents.id"]),
        CheckConstraint(_in("kind", OUTPUT_KINDS), name="kind"),
        CheckConstraint("(kind = 'payslip') = (employee_id is not null)", name="employee"),
        UniqueConstraint(
            "tenant_id", "run_id", "kind", "employee_id", postgresql_nulls_not_distinct=True
        ),
    )

    run_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(24))
    employee_id: Mapped[uuid.UUID | None] = mapped_column()
    document_id: Mapped[uuid.UUID] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
