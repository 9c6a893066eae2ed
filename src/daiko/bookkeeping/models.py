"""Tables of the bookkeeping ledger (記帳), all tenant-owned under RLS.

- `bookkeeping_settings`: one row per tenant — 税抜経理/税込経理, whether entered amounts
  include tax (内税/外税), the tax rounding, the fiscal year's first month, the voucher counter.
- `accounts` (勘定科目, with 補助科目 as `sub_name`), `departments` (部門), `counterparties`
  (取引先, with the インボイス 登録番号).
- `fiscal_years` and their monthly `accounting_periods`, which close and lock.
- `journal_entries` (仕訳, one voucher) and `journal_lines` (one-sided lines: exactly one of
  debit/credit > 0); `journal_entry_documents` links evidence (証憑) from `documents`.

The migration adds what the ORM cannot say: a deferred constraint trigger checking
Σdebit = Σcredit per entry at commit, a trigger refusing any change to a posted entry or
its lines, and one refusing inserts/updates/deletes dated in a closed period.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

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
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from daiko.db.base import Base, TenantOwned, Timestamps

TAX_ACCOUNTING = ("exclusive", "inclusive")  # 税抜経理 / 税込経理
AMOUNT_BASES = ("inclusive", "exclusive")  # entered amounts include tax (内税) or not (外税)
ROUNDINGS = ("floor", "round", "ceil")
CATEGORIES = ("asset", "liability", "equity", "revenue", "expense")
SECTIONS = (
    "current_assets",
    "fixed_assets",
    "intangible_assets",
    "investments",
    "current_liabilities",
    "long_term_liabilities",
    "equity",
    "sales",
    "cost_of_sales",
    "sga",
    "non_operating_income",
    "non_operating_expense",
    "extraordinary_income",
    "extraordinary_loss",
    "income_taxes",
)
TAX_ROLES = ("input", "output")  # 仮払消費税等 / 仮受消費税等
ENTRY_STATUSES = ("draft", "posted")
PERIOD_STATUSES = ("open", "closed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


def _tenant_fk() -> ForeignKey:
    return ForeignKey("tenants.id", ondelete="CASCADE")


class BookkeepingSettings(TenantOwned, Timestamps, Base):
    """A tenant's ledger settings (one row per tenant)."""

    __tablename__ = "bookkeeping_settings"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        UniqueConstraint("tenant_id"),
        CheckConstraint(_in("tax_accounting", TAX_ACCOUNTING), name="tax_accounting"),
        CheckConstraint(_in("amount_basis", AMOUNT_BASES), name="amount_basis"),
        CheckConstraint(_in("tax_rounding", ROUNDINGS), name="tax_rounding"),
        CheckConstraint("fiscal_year_start_month between 1 and 12", name="start_month"),
        CheckConstraint("next_entry_number >= 1", name="next_entry_number"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(_tenant_fk(), primary_key=True)
    tax_accounting: Mapped[str] = mapped_column(String(16), server_default="exclusive")
    amount_basis: Mapped[str] = mapped_column(String(16), server_default="inclusive")
    tax_rounding: Mapped[str] = mapped_column(String(8), server_default="floor")
    fiscal_year_start_month: Mapped[int] = mapped_column(Integer, server_default="4")
    next_entry_number: Mapped[int] = mapped_column(Integer, server_default="1")


class Account(TenantOwned, Timestamps, Base):
    """勘定科目 (with an optional 補助科目 in `sub_name`), unique by code per tenant."""

    __tablename__ = "accounts"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint(r"code ~ '^[0-9A-Za-z_-]{1,16}$'", name="code_format"),
        CheckConstraint(_in("category", CATEGORIES), name="category"),
        CheckConstraint(_in("section", SECTIONS), name="section"),
        CheckConstraint(f"tax_role is null or {_in('tax_role', TAX_ROLES)}", name="tax_role"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(_tenant_fk(), primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    sub_name: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(16))
    section: Mapped[str] = mapped_column(String(32))
    default_tax_category: Mapped[str] = mapped_column(String(32), server_default="out_of_scope")
    tax_role: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())


class Department(TenantOwned, Timestamps, Base):
    """部門."""

    __tablename__ = "departments"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint(r"code ~ '^[0-9A-Za-z_-]{1,16}$'", name="code_format"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(_tenant_fk(), primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())


class Counterparty(TenantOwned, Timestamps, Base):
    """取引先, with its 適格請求書発行事業者 登録番号 (T + 13 digits) when it has one."""

    __tablename__ = "counterparties"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint(
            r"registration_number is null or registration_number ~ '^T[0-9]{13}$'",
            name="registration_number_format",
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(_tenant_fk(), primary_key=True)
    code: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    registration_number: Mapped[str | None] = mapped_column(String(14))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())


class FiscalYear(TenantOwned, Timestamps, Base):
    """会計年度: twelve monthly periods from `start_date`."""

    __tablename__ = "fiscal_years"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        UniqueConstraint("tenant_id", "start_date"),
        CheckConstraint("end_date > start_date", name="dates"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(_tenant_fk(), primary_key=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)


class AccountingPeriod(TenantOwned, Base):
    """One month of a fiscal year; once closed, nothing dated in it changes."""

    __tablename__ = "accounting_periods"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "fiscal_year_id"],
            ["fiscal_years.tenant_id", "fiscal_years.id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("tenant_id", "start_date"),
        CheckConstraint("end_date >= start_date", name="dates"),
        CheckConstraint(_in("status", PERIOD_STATUSES), name="status"),
        Index("ix_accounting_periods_tenant_id_status_dates", "tenant_id", "status", "start_date"),
    )

    fiscal_year_id: Mapped[uuid.UUID] = mapped_column()
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), server_default="open")
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class JournalEntry(TenantOwned, Timestamps, Base):
    """仕訳 (one voucher, 伝票): draft until posted, then immutable; corrected by a reversal."""

    __tablename__ = "journal_entries"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "reverses_id"], ["journal_entries.tenant_id", "journal_entries.id"]
        ),
        UniqueConstraint("tenant_id", "number"),
        # One reversal per entry.
        UniqueConstraint("tenant_id", "reverses_id"),
        CheckConstraint(_in("status", ENTRY_STATUSES), name="status"),
        CheckConstraint(
            "(status = 'posted') = (posted_at is not null)", name="posted_at_when_posted"
        ),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_journal_entries_tenant_id_entry_date", "tenant_id", "entry_date"),
        Index("ix_journal_entries_tenant_id_updated_at", "tenant_id", "updated_at"),
        Index("ix_journal_entries_tenant_id_source", "tenant_id", "source_kind", "source_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(_tenant_fk(), primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    entry_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, server_default="")
    status: Mapped[str] = mapped_column(String(8), server_default="draft")
    is_closing: Mapped[bool] = mapped_column(Boolean, server_default=false())  # 決算整理
    source_kind: Mapped[str] = mapped_column(String(32), server_default="manual")
    source_id: Mapped[uuid.UUID | None] = mapped_column()
    reverses_id: Mapped[uuid.UUID | None] = mapped_column()
    posted_at: Mapped[datetime | None] = mapped_column()
    posted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class JournalLine(TenantOwned, Base):
    """One side of a 仕訳: exactly one of debit/credit is positive (integer yen).

    `tax_amount` is the consumption tax of this line at `tax_rate` (%); `tax_included` says
    whether the line's amount contains it (税込経理) or a generated line booked it on
    仮払/仮受消費税等 (税抜経理; that line names this one in `tax_parent_line_no`).
    """

    __tablename__ = "journal_lines"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(["tenant_id", "account_id"], ["accounts.tenant_id", "accounts.id"]),
        ForeignKeyConstraint(
            ["tenant_id", "department_id"], ["departments.tenant_id", "departments.id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "counterparty_id"], ["counterparties.tenant_id", "counterparties.id"]
        ),
        UniqueConstraint("tenant_id", "entry_id", "line_no"),
        CheckConstraint(
            "(debit > 0 and credit = 0) or (credit > 0 and debit = 0)", name="one_side"
        ),
        CheckConstraint("tax_amount >= 0", name="tax_amount_nonnegative"),
        CheckConstraint("tax_rate in (0, 8, 10)", name="tax_rate"),
        # Not (tenant_id, account_id): a tenant-led index ties with the entry's own for
        # `tenant_id = … and entry_id = …` while statistics lag a bulk load, and the
        # planner then walks every line of the tenant for each balance check.
        Index("ix_journal_lines_account_id", "account_id"),
    )

    entry_id: Mapped[uuid.UUID] = mapped_column()
    line_no: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[uuid.UUID] = mapped_column()
    debit: Mapped[int] = mapped_column(BigInteger, server_default="0")
    credit: Mapped[int] = mapped_column(BigInteger, server_default="0")
    tax_category: Mapped[str] = mapped_column(String(32), server_default="out_of_scope")
    tax_rate: Mapped[int] = mapped_column(Integer, server_default="0")
    tax_amount: Mapped[int] = mapped_column(BigInteger, server_default="0")
    tax_included: Mapped[bool] = mapped_column(Boolean, server_default=false())
    tax_parent_line_no: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, server_default="")
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    counterparty_id: Mapped[uuid.UUID | None] = mapped_column()


class JournalEntryDocument(TenantOwned, Base):
    """Evidence (証憑) for an entry: a document with its 電帳法 search fields."""

    __tablename__ = "journal_entry_documents"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(["tenant_id", "document_id"], ["documents.tenant_id", "documents.id"]),
        UniqueConstraint("tenant_id", "entry_id", "document_id"),
        Index("ix_journal_entry_documents_tenant_id_document_id", "tenant_id", "document_id"),
    )

    entry_id: Mapped[uuid.UUID] = mapped_column()
    document_id: Mapped[uuid.UUID] = mapped_column()
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


TENANT_TABLES = (
    "bookkeeping_settings",
    "accounts",
    "departments",
    "counterparties",
    "fiscal_years",
    "accounting_periods",
    "journal_entries",
    "journal_lines",
    "journal_entry_documents",
)
