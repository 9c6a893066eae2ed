"""Tables of the social-insurance paperwork (社会保険・労働保険の手続), all tenant-owned.

- `si_offices`: the 事業所 as the 日本年金機構 knows it (整理記号, 事業所番号, address,
  owner): the company record of every data file. One per tenant.
- `si_enrolments`: an employee's 被保険者整理番号 and 基礎年金番号 (the numbers the
  forms carry), one per employee.
- `si_dependents`: 被扶養者 for the 被扶養者(異動)届; the My Number sealed with the
  tenant's field key like the employees' vault (`daiko.security.fields`).
- `si_procedures`: one statutory procedure (one form to one office) under a case, with
  its own deadline and submission lifecycle (draft → ready → submitted → arrived →
  under_review → completed, or returned → ready again with a new clock).
- `si_procedure_events`: every status change of a procedure (who, when, why, which
  official document came back).
- `si_procedure_documents`: the generated forms (PDF), data files (CSV) and official
  replies (公文書) stored as documents and linked to the procedure.
- `si_reviews` / `si_review_items`: the 算定基礎 and 月額変更 review lists built from
  payroll results; approving an item records the employee's new grade.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from daiko.db.base import Base, TenantOwned, Timestamps

PROCEDURE_KINDS = (
    "shaho_acquisition",  # 健康保険・厚生年金保険 被保険者資格取得届
    "shaho_loss",  # 被保険者資格喪失届
    "dependants",  # 健康保険 被扶養者(異動)届
    "santei",  # 被保険者報酬月額算定基礎届
    "monthly_change",  # 被保険者報酬月額変更届
    "bonus",  # 被保険者賞与支払届
    "koyo_acquisition",  # 雇用保険 被保険者資格取得届
    "koyo_loss",  # 雇用保険 被保険者資格喪失届 (+ 離職証明書)
)
PROCEDURE_STATUSES = (
    "draft",
    "ready",
    "submitted",
    "arrived",
    "under_review",
    "completed",
    "returned",
    "cancelled",
)
EVENTS = ("hire", "leave", "dependants_change", "bonus", "annual", "monthly_change")
DOCUMENT_KINDS = ("form_pdf", "data_csv", "rishoku_pdf", "reply")
REVIEW_KINDS = ("santei", "monthly_change")
REVIEW_STATUSES = ("building", "open", "closed")
ITEM_STATUSES = ("proposed", "approved", "dismissed", "no_change")
RELATIONSHIPS = ("spouse", "child", "parent", "grandchild", "sibling", "other")

# Purpose (AAD) of the dependants' sealed My Numbers.
DEPENDENT_MY_NUMBER_PURPOSE = "si_dependent.my_number"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


def _employee_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "employee_id"], ["employees.tenant_id", "employees.id"], ondelete="CASCADE"
    )


def _procedure_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "procedure_id"],
        ["si_procedures.tenant_id", "si_procedures.id"],
        ondelete="CASCADE",
    )


class SiOffice(TenantOwned, Timestamps, Base):
    """The 事業所 record of the 日本年金機構 data files (届書作成仕様書 事業所情報)."""

    __tablename__ = "si_offices"
    __table_args__ = (
        UniqueConstraint("tenant_id"),
        CheckConstraint("prefecture_code ~ '^[0-9]{2}$'", name="prefecture_code"),
        CheckConstraint("area_code ~ '^[0-9]{2}$'", name="area_code"),
        CheckConstraint("office_number ~ '^[0-9]{1,5}$'", name="office_number"),
        CheckConstraint("zip_code ~ '^[0-9]{7}$'", name="zip_code"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    prefecture_code: Mapped[str] = mapped_column(String(2))  # 都道府県コード
    area_code: Mapped[str] = mapped_column(String(2))  # 郡市区符号
    office_code: Mapped[str] = mapped_column(String(4))  # 事業所記号 (half-width kana/alnum)
    office_number: Mapped[str] = mapped_column(String(5))  # 事業所番号
    zip_code: Mapped[str] = mapped_column(String(7))
    address: Mapped[str] = mapped_column(String(75))
    name: Mapped[str] = mapped_column(String(50))
    owner_name: Mapped[str] = mapped_column(String(25))  # 事業主氏名 (full-width space)
    phone: Mapped[str] = mapped_column(String(20))  # "03-5563-7662"
    koyo_office_number: Mapped[str | None] = mapped_column(String(13))  # 雇用保険適用事業所番号


class SiEnrolment(TenantOwned, Timestamps, Base):
    """An employee's numbers in the 健康保険・厚生年金 records."""

    __tablename__ = "si_enrolments"
    __table_args__ = (
        _employee_fk(),
        UniqueConstraint("tenant_id", "employee_id"),
        CheckConstraint("insured_number ~ '^[0-9]{1,6}$'", name="insured_number"),
        CheckConstraint(
            "basic_pension_number is null or basic_pension_number ~ '^[0-9]{10}$'",
            name="basic_pension_number",
        ),
    )

    employee_id: Mapped[uuid.UUID] = mapped_column()
    insured_number: Mapped[str] = mapped_column(String(6))  # 被保険者整理番号
    basic_pension_number: Mapped[str | None] = mapped_column(String(10))  # 基礎年金番号
    koyo_insured_number: Mapped[str | None] = mapped_column(String(13))  # 雇用保険被保険者番号


class SiDependent(TenantOwned, Timestamps, Base):
    """A 被扶養者 of an employee (健康保険)."""

    __tablename__ = "si_dependents"
    __table_args__ = (
        _employee_fk(),
        CheckConstraint(_in("relationship", RELATIONSHIPS), name="relationship"),
        CheckConstraint("annual_income >= 0", name="income"),
        CheckConstraint("my_number_last4 is null or my_number_last4 ~ '^[0-9]{4}$'", name="last4"),
        CheckConstraint("ended_on is null or ended_on >= started_on", name="dates"),
    )

    employee_id: Mapped[uuid.UUID] = mapped_column()
    family_name: Mapped[str] = mapped_column(String(50))
    given_name: Mapped[str] = mapped_column(String(50))
    family_name_kana: Mapped[str] = mapped_column(String(50))
    given_name_kana: Mapped[str] = mapped_column(String(50))
    birth_date: Mapped[date] = mapped_column(Date)
    relationship: Mapped[str] = mapped_column(String(16))
    annual_income: Mapped[int] = mapped_column(Integer, server_default="0")
    my_number_token: Mapped[str | None] = mapped_column(Text)
    my_number_last4: Mapped[str | None] = mapped_column(String(4))
    started_on: Mapped[date] = mapped_column(Date)  # 被扶養者になった日
    ended_on: Mapped[date | None] = mapped_column(Date)  # 被扶養者でなくなった日

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}"


class SiProcedure(TenantOwned, Timestamps, Base):
    """One procedure (届出) of a case: its form, deadline and submission lifecycle."""

    __tablename__ = "si_procedures"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "case_id"], ["cases.tenant_id", "cases.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["tenant_id", "employee_id"], ["employees.tenant_id", "employees.id"]),
        CheckConstraint(_in("kind", PROCEDURE_KINDS), name="kind"),
        CheckConstraint(_in("status", PROCEDURE_STATUSES), name="status"),
        CheckConstraint(_in("event", EVENTS), name="event"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_si_procedures_tenant_id_case_id", "tenant_id", "case_id"),
        Index("ix_si_procedures_tenant_id_employee_id", "tenant_id", "employee_id"),
        Index("ix_si_procedures_tenant_id_due_date", "tenant_id", "due_date"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column()
    employee_id: Mapped[uuid.UUID | None] = mapped_column()  # None: a whole-office filing
    kind: Mapped[str] = mapped_column(String(24))
    event: Mapped[str] = mapped_column(String(24))
    event_date: Mapped[date] = mapped_column(Date)  # the date of the fact
    status: Mapped[str] = mapped_column(String(16), server_default="draft")
    # The statutory due date (moved off closed days) and the day its clock started:
    # the fact, or the day a 返戻 came back.
    due_date: Mapped[date | None] = mapped_column(Date)
    clock_started_on: Mapped[date] = mapped_column(Date)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    review_id: Mapped[uuid.UUID | None] = mapped_column()
    arrival_id: Mapped[str | None] = mapped_column(String(64))  # e-Gov 到達番号
    submitted_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    returned_at: Mapped[datetime | None] = mapped_column()
    return_reason: Mapped[str | None] = mapped_column(Text)
    file_job_id: Mapped[uuid.UUID | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class SiProcedureEvent(TenantOwned, Base):
    """A status change of a procedure."""

    __tablename__ = "si_procedure_events"
    __table_args__ = (
        _procedure_fk(),
        Index("ix_si_procedure_events_tenant_id_procedure_id", "tenant_id", "procedure_id"),
    )

    procedure_id: Mapped[uuid.UUID] = mapped_column()
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_display: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    document_id: Mapped[uuid.UUID | None] = mapped_column()
    at: Mapped[datetime] = mapped_column(server_default=text("clock_timestamp()"))


class SiProcedureDocument(TenantOwned, Base):
    """A generated form, data file or official reply of a procedure."""

    __tablename__ = "si_procedure_documents"
    __table_args__ = (
        _procedure_fk(),
        ForeignKeyConstraint(["tenant_id", "document_id"], ["documents.tenant_id", "documents.id"]),
        CheckConstraint(_in("kind", DOCUMENT_KINDS), name="kind"),
        Index("ix_si_procedure_documents_tenant_id_procedure_id", "tenant_id", "procedure_id"),
    )

    procedure_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16))
    document_id: Mapped[uuid.UUID] = mapped_column()
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class SiReview(TenantOwned, Timestamps, Base):
    """A 算定基礎 (year) or 月額変更 (month the changed wage was first paid) review list."""

    __tablename__ = "si_reviews"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        CheckConstraint(_in("kind", REVIEW_KINDS), name="kind"),
        CheckConstraint(_in("status", REVIEW_STATUSES), name="status"),
        CheckConstraint(r"period ~ '^[0-9]{4}(-(0[1-9]|1[0-2]))?$'", name="period_format"),
        UniqueConstraint("tenant_id", "kind", "period"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(7))  # "2026" (算定) or "2026-07" (月変 check month)
    status: Mapped[str] = mapped_column(String(16), server_default="building")
    job_id: Mapped[uuid.UUID | None] = mapped_column()
    case_id: Mapped[uuid.UUID | None] = mapped_column()
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))


class SiReviewItem(TenantOwned, Base):
    """One employee's computed decision on a review list."""

    __tablename__ = "si_review_items"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "review_id"],
            ["si_reviews.tenant_id", "si_reviews.id"],
            ondelete="CASCADE",
        ),
        _employee_fk(),
        CheckConstraint(_in("status", ITEM_STATUSES), name="status"),
        UniqueConstraint("tenant_id", "review_id", "employee_id"),
    )

    review_id: Mapped[uuid.UUID] = mapped_column()
    employee_id: Mapped[uuid.UUID] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), server_default="proposed")
    current_health: Mapped[int | None] = mapped_column(Integer)
    current_pension: Mapped[int | None] = mapped_column(Integer)
    new_health: Mapped[int | None] = mapped_column(Integer)
    new_pension: Mapped[int | None] = mapped_column(Integer)
    average: Mapped[int | None] = mapped_column(Integer)
    effective_month: Mapped[date | None] = mapped_column(Date)
    # [{"month": "2026-04", "remuneration": 300000, "base_days": 30, "excluded": null}, …]
    months: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    reason: Mapped[str] = mapped_column(Text, server_default="")
    approved_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None] = mapped_column()
    procedure_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
