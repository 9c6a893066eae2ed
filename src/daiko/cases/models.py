"""Tables of the cases domain (案件), all tenant-owned under RLS.

`cases` is the hand-off itself; `case_status_changes` its history (who, when, from, to,
why), from which the SLA clocks are computed; the rest hang off a case with
`(tenant_id, case_id)` foreign keys, so nothing can point across tenants.

Recurring cases carry a `recurrence_key` (the pay group and period, or the period):
unique per tenant and type, so the scheduler's `insert … on conflict do nothing` opens
each period's case exactly once however often or concurrently it runs.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
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
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from daiko.cases.states import STATUSES
from daiko.db.base import Base, TenantOwned, Timestamps

# type → service. Social insurance procedures (社会保険手続) are one type each.
CASE_TYPES: dict[str, str] = {
    "payroll": "payroll",  # 給与計算: one run per pay group and pay date
    "bookkeeping_close": "bookkeeping",  # 月次決算: a month's close
    "si_hire": "social_insurance",  # 資格取得届
    "si_leave": "social_insurance",  # 資格喪失届
    "si_dependants": "social_insurance",  # 被扶養者(異動)届
    "si_santei": "social_insurance",  # 算定基礎届 (annual, July)
    "si_monthly_change": "social_insurance",  # 月額変更届
    "si_bonus": "social_insurance",  # 賞与支払届
    "si_other": "social_insurance",
    "inquiry": "general",  # 一般問い合わせ
}
SERVICES = ("payroll", "bookkeeping", "social_insurance", "general")
PRIORITIES = ("urgent", "high", "normal", "low")
VISIBILITIES = ("public", "internal")
CHECKLIST_KINDS = ("document", "data")
DECISIONS = ("approved", "changes_requested")
ACTOR_KINDS = ("user", "operator", "partner", "system")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


def _case_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "case_id"], ["cases.tenant_id", "cases.id"], ondelete="CASCADE"
    )


def _document_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "document_id"], ["documents.tenant_id", "documents.id"]
    )


class Case(TenantOwned, Timestamps, Base):
    """One unit of work a client hands off (案件)."""

    __tablename__ = "cases"
    # Server-side defaults and `onupdate` come back with RETURNING, so the API can answer
    # from the object without a lazy load (which async sessions refuse).
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        CheckConstraint(_in("type", tuple(CASE_TYPES)), name="type"),
        CheckConstraint(_in("service", SERVICES), name="service"),
        CheckConstraint(_in("priority", PRIORITIES), name="priority"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(r"period ~ '^[0-9]{4}(-(0[1-9]|1[0-2]))?$'", name="period_format"),
        CheckConstraint("version >= 1", name="version_positive"),
        UniqueConstraint("tenant_id", "type", "recurrence_key"),
        Index("ix_cases_tenant_id_status", "tenant_id", "status"),
        Index("ix_cases_tenant_id_assignee_id", "tenant_id", "assignee_id"),
        Index("ix_cases_tenant_id_period", "tenant_id", "period"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[str] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    period: Mapped[str | None] = mapped_column(String(7))
    pay_group: Mapped[str | None] = mapped_column(String(64))
    pay_date: Mapped[date | None] = mapped_column(Date)
    priority: Mapped[str] = mapped_column(String(8), server_default="normal")
    status: Mapped[str] = mapped_column(String(24), server_default="draft")
    status_changed_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    requester_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    requester_client: Mapped[str | None] = mapped_column(String(128))  # partner client id
    # The operator who sent the case to review: never its approver (four eyes).
    prepared_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Filled by the SLA work: the contractual and the statutory due time.
    due_at: Mapped[datetime | None] = mapped_column()
    statutory_due_at: Mapped[datetime | None] = mapped_column()
    recurrence_key: Mapped[str | None] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class CaseStatusChange(TenantOwned, Base):
    """One step of a case's history; `from_status` is null for its creation."""

    __tablename__ = "case_status_changes"
    __table_args__ = (
        _case_fk(),
        CheckConstraint(_in("actor_kind", ACTOR_KINDS), name="actor_kind"),
        Index("ix_case_status_changes_tenant_id_case_id_at", "tenant_id", "case_id", "at"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column()
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_display: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(server_default=text("clock_timestamp()"))


class CaseWatcher(TenantOwned, Base):
    """Someone who follows a case."""

    __tablename__ = "case_watchers"
    __table_args__ = (_case_fk(), UniqueConstraint("tenant_id", "case_id", "user_id"))

    case_id: Mapped[uuid.UUID] = mapped_column()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class CaseMessage(TenantOwned, Base):
    """A message between client and operators, or an internal note clients never see."""

    __tablename__ = "case_messages"
    __table_args__ = (
        _case_fk(),
        _document_fk(),
        CheckConstraint(_in("visibility", VISIBILITIES), name="visibility"),
        CheckConstraint("length(body) between 1 and 20000", name="body_length"),
        Index("ix_case_messages_tenant_id_case_id", "tenant_id", "case_id"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column()
    visibility: Mapped[str] = mapped_column(String(16), server_default="public")
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_client: Mapped[str | None] = mapped_column(String(128))
    author_display: Mapped[str | None] = mapped_column(Text)
    mentioned_user_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), server_default=text("'{}'")
    )
    document_id: Mapped[uuid.UUID | None] = mapped_column()  # an attached document
    created_at: Mapped[datetime] = mapped_column(server_default=text("clock_timestamp()"))


class CaseChecklistItem(TenantOwned, Timestamps, Base):
    """An input the client must provide: a document or a piece of data."""

    __tablename__ = "case_checklist_items"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        _case_fk(),
        _document_fk(),
        CheckConstraint(_in("kind", CHECKLIST_KINDS), name="kind"),
        Index("ix_case_checklist_items_tenant_id_case_id", "tenant_id", "case_id"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column()
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    required: Mapped[bool] = mapped_column(Boolean, server_default=false())
    position: Mapped[int] = mapped_column(Integer, server_default="0")
    provided_at: Mapped[datetime | None] = mapped_column()
    provided_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    document_id: Mapped[uuid.UUID | None] = mapped_column()
    value: Mapped[str | None] = mapped_column(Text)


class CaseDeliverable(TenantOwned, Base):
    """A document produced for the client (payslips, filings, the month's reports)."""

    __tablename__ = "case_deliverables"
    __table_args__ = (
        _case_fk(),
        _document_fk(),
        UniqueConstraint("tenant_id", "case_id", "document_id"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column()
    document_id: Mapped[uuid.UUID] = mapped_column()
    title: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class CaseApproval(TenantOwned, Base):
    """A reviewer's decision on a case in review (four eyes: approver ≠ preparer)."""

    __tablename__ = "case_approvals"
    __table_args__ = (
        _case_fk(),
        CheckConstraint(_in("decision", DECISIONS), name="decision"),
        CheckConstraint(
            "decision <> 'approved' or approver_id <> preparer_id",
            name="four_eyes",
        ),
        Index("ix_case_approvals_tenant_id_case_id", "tenant_id", "case_id"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column()
    decision: Mapped[str] = mapped_column(String(24))
    approver_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    preparer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
