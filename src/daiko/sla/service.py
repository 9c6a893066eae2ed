"""SLA rules over the database: a case's clocks, its due dates, policy changes.

`clocks_for_case` answers "where does this case stand" from its status history (via
the one pure `daiko.sla.clock.compute_clock`); `refresh_case_sla` also stores the clocks
with their threshold moments and fills `cases.due_at` (contractual) and
`cases.statutory_due_at` (statutory, never merged with it). The cases service calls it
after every change that can move a clock: creation, transition, checklist, edit,
operators' first reply. Services only flush.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from daiko.cases.models import Case
from daiko.ids import new_id
from daiko.sla import repository as repo
from daiko.sla.clock import StatusChange, compute_clock, threshold_times
from daiko.sla.policy import (
    TERMINAL,
    CaseFacts,
    ClockSpec,
    Override,
    Policy,
    TenantSla,
    clock_specs,
    history_for,
    policy_hash,
    resolve_policy,
)


@dataclass(frozen=True)
class ClockView:
    """One clock of a case as shown to people and stored in `sla_clocks`."""

    clock: str
    kind: str  # contractual | statutory
    label: str
    status: str  # not_started | ok | warning | paused | breached | met | cancelled
    due_at: dt.datetime | None
    target_seconds: int | None
    elapsed_seconds: int
    remaining_seconds: int | None
    fraction: Decimal
    warning_level: int
    warnings_pct: tuple[int, int]
    started_at: dt.datetime | None
    stopped_at: dt.datetime | None
    warn_at: tuple[dt.datetime | None, dt.datetime | None]
    breach_at: dt.datetime | None
    settled_at: dt.datetime | None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _seconds(value: dt.timedelta) -> int:
    return int(value.total_seconds())


def evaluate(
    specs: Sequence[ClockSpec],
    history: Sequence[StatusChange],
    missing_inputs: Sequence[tuple[dt.datetime, dt.datetime]],
    now: dt.datetime,
) -> list[ClockView]:
    """Pure: every clock's state and threshold moments at `now`."""
    views: list[ClockView] = []
    for spec in specs:
        changes = history_for(spec, history)
        pauses = missing_inputs if spec.missing_inputs_pause else ()
        state = compute_clock(changes, spec.target, spec.calendar, now, extra_pauses=pauses)
        w1, w2 = spec.target.warnings[0], spec.target.warnings[1]
        t1, t2, tb = threshold_times(
            changes, spec.target, spec.calendar, now, (w1, w2, Decimal(1)), extra_pauses=pauses
        )
        status: str = state.status
        stopped_by = next((c.status for c in changes if c.at == state.stopped_at), None)
        settled: dt.datetime | None = None
        if state.stopped_at is not None and stopped_by in TERMINAL:
            status, t1, t2, tb = "cancelled", None, None, None
            settled = state.stopped_at
        elif status == "met":
            settled = state.stopped_at
        elif status == "breached":
            settled = tb or state.stopped_at or now
        due = state.due_at
        if due is None and status in ("breached", "ok", "warning") and state.stopped_at is None:
            due = tb
        target_seconds = (
            _seconds(spec.target.duration) if hasattr(spec.target, "duration") else None
        )
        views.append(
            ClockView(
                clock=spec.name,
                kind=spec.kind,
                label=spec.label,
                status=status,
                due_at=due,
                target_seconds=target_seconds,
                elapsed_seconds=_seconds(state.elapsed),
                remaining_seconds=None if state.remaining is None else _seconds(state.remaining),
                fraction=state.fraction,
                warning_level=state.warning_level,
                warnings_pct=(int(w1 * 100), int(w2 * 100)),
                started_at=state.started_at,
                stopped_at=state.stopped_at,
                warn_at=(t1, t2),
                breach_at=tb,
                settled_at=settled,
            )
        )
    return views


def _submitted_on(history: Sequence[StatusChange], tenant: TenantSla) -> dt.date | None:
    cal = tenant.business_calendar()
    first = next((c for c in sorted(history, key=lambda c: c.at) if c.status == "submitted"), None)
    return first.at.astimezone(cal.tz).date() if first else None


def facts_of(case: Case) -> CaseFacts:
    return CaseFacts(
        type=case.type,
        service=case.service,
        priority=case.priority,
        status=case.status,
        pay_group=case.pay_group,
        pay_date=case.pay_date,
        period=case.period,
    )


@dataclass(frozen=True)
class _Inputs:
    tenant: TenantSla
    policy: Policy
    policy_hash: str
    history: list[StatusChange]
    missing: list[tuple[dt.datetime, dt.datetime]]


async def _inputs(session: AsyncSession, case: Case) -> _Inputs:
    tenant = await repo.tenant_sla(session, case.tenant_id)
    overrides = await repo.overrides(session, case.tenant_id)
    policy = resolve_policy(
        tenant, case.service, case.priority, overrides.get((case.service, case.priority))
    )
    history = await repo.history(session, case)
    missing = await repo.missing_input_intervals(session, case)
    return _Inputs(tenant, policy, policy_hash(tenant, overrides), history, missing)


async def clocks_for_case(
    session: AsyncSession, case: Case, *, now: dt.datetime | None = None
) -> list[ClockView]:
    """The case's clocks at `now` (default: this instant), contractual and statutory."""
    i = await _inputs(session, case)
    specs = clock_specs(
        i.tenant, i.policy, facts_of(case), submitted_on=_submitted_on(i.history, i.tenant)
    )
    return evaluate(specs, i.history, i.missing, now or _now())


def _row(case: Case, view: ClockView, digest: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "tenant_id": case.tenant_id,
        "id": new_id(),
        "case_id": case.id,
        "clock": view.clock,
        "kind": view.kind,
        "service": case.service,
        "label": view.label,
        "status": view.status,
        "target_seconds": view.target_seconds,
        "elapsed_seconds": view.elapsed_seconds,
        "fraction": view.fraction,
        "due_at": view.due_at,
        "started_at": view.started_at,
        "stopped_at": view.stopped_at,
        "warn1_pct": view.warnings_pct[0],
        "warn2_pct": view.warnings_pct[1],
        "warn1_at": view.warn_at[0],
        "warn2_at": view.warn_at[1],
        "breach_at": view.breach_at,
        "next_event_at": min(
            (t for t in (*view.warn_at, view.breach_at) if t is not None), default=None
        ),
        "settled_at": view.settled_at,
        "policy_hash": digest,
        "computed_at": now,
    }


RUNNING = frozenset({"ok", "warning", "breached"})


def due_dates(views: Sequence[ClockView]) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(contractual, statutory) due time of a case: the nearest of its running clocks."""
    contractual = [
        v.due_at
        for v in views
        if v.kind == "contractual" and v.status in RUNNING and v.due_at and not v.stopped_at
    ]
    statutory = [
        v.due_at
        for v in views
        if v.kind == "statutory" and v.due_at and v.stopped_at is None and v.status != "cancelled"
    ]
    return min(contractual, default=None), min(statutory, default=None)


async def refresh_case_sla(
    session: AsyncSession, case: Case, *, now: dt.datetime | None = None
) -> list[ClockView]:
    """Recompute the case's clocks, store them with their threshold moments, and fill
    `cases.due_at` / `cases.statutory_due_at`. Flushes only."""
    moment = now or _now()
    await session.flush()
    i = await _inputs(session, case)
    specs = clock_specs(
        i.tenant, i.policy, facts_of(case), submitted_on=_submitted_on(i.history, i.tenant)
    )
    views = evaluate(specs, i.history, i.missing, moment)
    await repo.save_clocks(session, case, [_row(case, v, i.policy_hash, moment) for v in views])
    due, statutory = due_dates(views)
    if case.due_at != due or case.statutory_due_at != statutory:
        case.due_at, case.statutory_due_at = due, statutory
    await session.flush()
    return views


async def recompute_tenant(
    session: AsyncSession, tenant_id: uuid.UUID, *, now: dt.datetime | None = None
) -> int:
    """After a policy or calendar change: recompute every case whose clocks can still
    change. Returns how many cases were recomputed."""
    ids = await repo.unsettled_case_ids(session, tenant_id)
    cases = await repo.cases_brief(session, ids)
    for case in cases.values():
        await refresh_case_sla(session, case, now=now)
    return len(cases)


async def current_policy_hash(session: AsyncSession, tenant_id: uuid.UUID) -> str:
    tenant = await repo.tenant_sla(session, tenant_id)
    return policy_hash(tenant, await repo.overrides(session, tenant_id))


def effective_policy(
    tenant: TenantSla, service: str, priority: str, override: Override | None
) -> Policy:
    return resolve_policy(tenant, service, priority, override)


OVERRIDE_FIELDS = (
    "first_response_hours",
    "acceptance_hours",
    "resolution_business_days",
    "payroll_days_before_payday",
    "pause_on_missing_inputs",
    "reassign_on_breach",
    "warn1_pct",
    "warn2_pct",
)


async def set_override(
    session: AsyncSession,
    actor: Any,
    tenant_id: uuid.UUID,
    service: str,
    priority: str,
    values: dict[str, Any],
) -> int:
    """Save a lead's override of one service × priority (audited), then recompute the
    tenant's open clocks. Returns how many cases were recomputed."""
    from daiko.audit.service import record
    from daiko.sla.models import SlaPolicyOverride

    row = await repo.override_row(session, tenant_id, service, priority)
    before = (
        {f: getattr(row, f) for f in OVERRIDE_FIELDS} if row else dict.fromkeys(OVERRIDE_FIELDS)
    )
    if row is None:
        row = SlaPolicyOverride(
            id=new_id(), tenant_id=tenant_id, service=service, priority=priority
        )
        session.add(row)
    for f in OVERRIDE_FIELDS:
        setattr(row, f, values.get(f))
    row.updated_by = getattr(actor, "user_id", None)
    row.updated_at = _now()
    await session.flush()
    await record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="sla.policy_changed",
        resource_type="sla_policy",
        resource_id=f"{service}/{priority}",
        details={
            "from": {k: None if v is None else str(v) for k, v in before.items()},
            "to": {
                f: None if values.get(f) is None else str(values.get(f)) for f in OVERRIDE_FIELDS
            },
        },
    )
    return await recompute_tenant(session, tenant_id)
