"""API shapes of the SLA domain (msgspec structs)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from daiko.sla.policy import Policy
from daiko.sla.reports import AttainmentRow
from daiko.sla.service import ClockView

Service = Literal["payroll", "bookkeeping", "social_insurance", "general"]
Priority = Literal["urgent", "high", "normal", "low"]
Month = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]


class ClockOut(msgspec.Struct, kw_only=True):
    clock: str
    label: str
    status: str
    due_at: datetime | None
    target_seconds: int | None
    elapsed_seconds: int
    remaining_seconds: int | None
    fraction: Decimal
    warning_level: int
    started_at: datetime | None
    stopped_at: datetime | None

    @classmethod
    def of(cls, v: ClockView) -> ClockOut:
        return cls(
            clock=v.clock,
            label=v.label,
            status=v.status,
            due_at=v.due_at,
            target_seconds=v.target_seconds,
            elapsed_seconds=v.elapsed_seconds,
            remaining_seconds=v.remaining_seconds,
            fraction=v.fraction,
            warning_level=v.warning_level,
            started_at=v.started_at,
            stopped_at=v.stopped_at,
        )


class CaseSla(msgspec.Struct, kw_only=True):
    """The contractual clocks and, beside them, the statutory deadlines: never merged."""

    case_id: uuid.UUID
    due_at: datetime | None
    statutory_due_at: datetime | None
    contractual: list[ClockOut]
    statutory: list[ClockOut]


class AttainmentOut(msgspec.Struct, kw_only=True):
    tenant_id: uuid.UUID
    tenant_slug: str
    service: str
    month: str
    met: int
    breached: int
    attainment_percent: Decimal | None
    median_hours: Decimal | None
    statutory_met: int
    statutory_breached: int

    @classmethod
    def of(cls, r: AttainmentRow) -> AttainmentOut:
        return cls(
            tenant_id=r.tenant_id,
            tenant_slug=r.tenant_slug,
            service=r.service,
            month=r.month,
            met=r.met,
            breached=r.breached,
            attainment_percent=r.attainment_percent,
            median_hours=r.median_hours,
            statutory_met=r.statutory_met,
            statutory_breached=r.statutory_breached,
        )


class AttainmentReport(msgspec.Struct, kw_only=True):
    first_month: str
    last_month: str
    items: list[AttainmentOut]


Hours = Decimal  # checked in the handler: msgspec has no bounds for Decimal
Days = Annotated[int, msgspec.Meta(ge=0, le=60)]
Pct = Annotated[int, msgspec.Meta(gt=0, lt=100)]


class PolicyOverrideIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A lead's override of one service × priority; null fields follow the tenant file."""

    tenant_id: uuid.UUID
    service: Service
    priority: Priority
    first_response_hours: Hours | None = None
    acceptance_hours: Hours | None = None
    resolution_business_days: Days | None = None
    payroll_days_before_payday: Days | None = None
    pause_on_missing_inputs: bool | None = None
    reassign_on_breach: bool | None = None
    warn1_pct: Pct | None = None
    warn2_pct: Pct | None = None


class PolicyOut(msgspec.Struct, kw_only=True):
    service: str
    priority: str
    first_response_hours: Decimal | None
    acceptance_hours: Decimal | None
    resolution_business_days: int | None
    payroll_days_before_payday: int | None
    pause_on_missing_inputs: bool
    reassign_on_breach: bool
    warnings_percent: list[int]
    overridden: bool

    @classmethod
    def of(cls, p: Policy, overridden: bool) -> PolicyOut:
        return cls(
            service=p.service,
            priority=p.priority,
            first_response_hours=p.first_response_hours,
            acceptance_hours=p.acceptance_hours,
            resolution_business_days=p.resolution_business_days,
            payroll_days_before_payday=p.payroll_days_before_payday,
            pause_on_missing_inputs=p.pause_on_missing_inputs,
            reassign_on_breach=p.reassign_on_breach,
            warnings_percent=[int(w * 100) for w in p.warnings],
            overridden=overridden,
        )


class PolicyList(msgspec.Struct, kw_only=True):
    tenant_id: uuid.UUID
    items: list[PolicyOut]
