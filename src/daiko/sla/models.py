"""Tables of the SLA domain, all tenant-owned under RLS.

- `sla_policies`: editable overrides of a tenant's policy per service × priority (the
  tenant file's `sla` section is the base; a non-null column here wins).
- `sla_clocks`: one row per case × clock, recomputed on every transition, checklist
  change and policy change. It holds the precomputed moments when each threshold is
  crossed (`warn1_at`, `warn2_at`, `breach_at`) and `next_event_at`, the first of them
  not yet recorded, so the scanner is an indexed range query (`next_event_at <= now()`)
  instead of recomputing a million clocks a minute. Settled rows stay for the reports.
- `sla_events`: each threshold crossing recorded once (unique per case, clock, kind);
  `published` is false until the webhook work has delivered it.
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
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from daiko.db.base import Base, TenantOwned, Timestamps

CLOCK_KINDS = ("contractual", "statutory")
CLOCK_STATUSES = ("not_started", "ok", "warning", "breached", "paused", "met", "cancelled")
EVENT_KINDS_PATTERN = r"^(warning_[0-9]{1,2}|breached)$"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


def _case_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "case_id"], ["cases.tenant_id", "cases.id"], ondelete="CASCADE"
    )


class SlaPolicyOverride(TenantOwned, Timestamps, Base):
    """A lead's override of one service × priority of the tenant's SLA policy."""

    __tablename__ = "sla_policies"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        UniqueConstraint("tenant_id", "service", "priority"),
        CheckConstraint(
            _in("service", ("payroll", "bookkeeping", "social_insurance", "general")),
            name="service",
        ),
        CheckConstraint(_in("priority", ("urgent", "high", "normal", "low")), name="priority"),
        CheckConstraint(
            "warn1_pct is null or (warn1_pct > 0 and warn1_pct < 100)", name="warn1_pct"
        ),
        CheckConstraint(
            "warn2_pct is null or (warn2_pct > 0 and warn2_pct < 100)", name="warn2_pct"
        ),
    )

    service: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(8))
    first_response_hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    acceptance_hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    resolution_business_days: Mapped[int | None] = mapped_column(Integer)
    payroll_days_before_payday: Mapped[int | None] = mapped_column(Integer)
    pause_on_missing_inputs: Mapped[bool | None] = mapped_column(Boolean)
    reassign_on_breach: Mapped[bool | None] = mapped_column(Boolean)
    warn1_pct: Mapped[int | None] = mapped_column(SmallInteger)
    warn2_pct: Mapped[int | None] = mapped_column(SmallInteger)
    updated_by: Mapped[uuid.UUID | None] = mapped_column()


class SlaClock(TenantOwned, Base):
    """One clock of one case (first response, resolution, payroll delivery, a statutory
    deadline…), as last computed, with its threshold moments."""

    __tablename__ = "sla_clocks"
    __table_args__ = (
        _case_fk(),
        UniqueConstraint("tenant_id", "case_id", "clock"),
        CheckConstraint(_in("kind", CLOCK_KINDS), name="kind"),
        CheckConstraint(_in("status", CLOCK_STATUSES), name="status"),
        CheckConstraint("level_done between 0 and 3", name="level_done"),
        # The scanner's range query: only clocks with an unrecorded threshold ahead.
        Index(
            "ix_sla_clocks_next_event_at",
            "next_event_at",
            postgresql_where=text("next_event_at is not null"),
        ),
        # The reports: settled clocks per tenant and month.
        Index("ix_sla_clocks_tenant_id_settled_at", "tenant_id", "settled_at"),
        # Policy drift: which tenants' unsettled clocks were computed under which policy.
        Index(
            "ix_sla_clocks_unsettled_policy",
            "tenant_id",
            "policy_hash",
            postgresql_where=text("settled_at is null"),
        ),
    )

    case_id: Mapped[uuid.UUID] = mapped_column()
    clock: Mapped[str] = mapped_column(String(48))
    kind: Mapped[str] = mapped_column(String(16))
    service: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    target_seconds: Mapped[int | None] = mapped_column(Integer)
    elapsed_seconds: Mapped[int] = mapped_column(Integer, server_default="0")
    fraction: Mapped[Decimal] = mapped_column(Numeric(8, 4), server_default="0")
    due_at: Mapped[datetime | None] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    stopped_at: Mapped[datetime | None] = mapped_column()
    warn1_pct: Mapped[int] = mapped_column(SmallInteger, server_default="75")
    warn2_pct: Mapped[int] = mapped_column(SmallInteger, server_default="90")
    warn1_at: Mapped[datetime | None] = mapped_column()
    warn2_at: Mapped[datetime | None] = mapped_column()
    breach_at: Mapped[datetime | None] = mapped_column()
    # How many thresholds (warn1, warn2, breach) the scanner has recorded.
    level_done: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    next_event_at: Mapped[datetime | None] = mapped_column()
    # When the clock was met or breached, for the monthly reports (null while open).
    settled_at: Mapped[datetime | None] = mapped_column()
    policy_hash: Mapped[str] = mapped_column(String(16))
    computed_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class SlaEvent(TenantOwned, Base):
    """A threshold crossing (warning_75, warning_90, breached), recorded once."""

    __tablename__ = "sla_events"
    __table_args__ = (
        _case_fk(),
        UniqueConstraint("tenant_id", "case_id", "clock", "kind"),
        CheckConstraint(f"kind ~ '{EVENT_KINDS_PATTERN}'", name="kind"),
        Index(
            "ix_sla_events_unpublished",
            "tenant_id",
            "recorded_at",
            postgresql_where=text("not published"),
        ),
        Index("ix_sla_events_tenant_id_case_id", "tenant_id", "case_id"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column()
    clock: Mapped[str] = mapped_column(String(48))
    clock_kind: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(server_default=text("clock_timestamp()"))
    due_at: Mapped[datetime | None] = mapped_column()
    assignee_id: Mapped[uuid.UUID | None] = mapped_column()
    escalated: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # For the partner webhooks: rows with published = false are still to be delivered.
    published: Mapped[bool] = mapped_column(Boolean, server_default=false())
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))


class OperatorDayOff(Base):
    """A day the shared-services (operator) team does not work. Global: one team serves
    many tenants, and no business-time SLA clock of any of them runs on that day."""

    __tablename__ = "operator_days_off"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
