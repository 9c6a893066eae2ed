"""Queries of the SLA domain, in a tenant-scoped session (RLS applies)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.cases.models import Case, CaseChecklistItem, CaseMessage, CaseStatusChange
from daiko.sla.clock import StatusChange
from daiko.sla.models import OperatorDayOff, SlaClock, SlaEvent, SlaPolicyOverride
from daiko.sla.policy import RESPONDED, Override, TenantSla
from daiko.tenancy.models import OperatorAssignment, Tenant, User

FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


async def team_days_off(session: AsyncSession) -> frozenset[dt.date]:
    """The operator team's days off (a small global table, read whole)."""
    return frozenset((await session.execute(select(OperatorDayOff.day))).scalars())


async def tenant_sla(session: AsyncSession, tenant_id: uuid.UUID) -> TenantSla:
    row = (
        await session.execute(
            select(Tenant.slug, Tenant.time_zone, Tenant.settings).where(Tenant.id == tenant_id)
        )
    ).one()
    return TenantSla.of(row.slug, row.time_zone, row.settings, await team_days_off(session))


def override_of(row: SlaPolicyOverride) -> Override:
    return Override(
        first_response_hours=row.first_response_hours,
        acceptance_hours=row.acceptance_hours,
        resolution_business_days=row.resolution_business_days,
        payroll_days_before_payday=row.payroll_days_before_payday,
        pause_on_missing_inputs=row.pause_on_missing_inputs,
        reassign_on_breach=row.reassign_on_breach,
        warn1_pct=row.warn1_pct,
        warn2_pct=row.warn2_pct,
    )


async def overrides(session: AsyncSession, tenant_id: uuid.UUID) -> dict[tuple[str, str], Override]:
    rows = await session.execute(
        select(SlaPolicyOverride).where(SlaPolicyOverride.tenant_id == tenant_id)
    )
    return {(r.service, r.priority): override_of(r) for r in rows.scalars()}


async def override_row(
    session: AsyncSession, tenant_id: uuid.UUID, service: str, priority: str
) -> SlaPolicyOverride | None:
    stmt = select(SlaPolicyOverride).where(
        SlaPolicyOverride.tenant_id == tenant_id,
        SlaPolicyOverride.service == service,
        SlaPolicyOverride.priority == priority,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def history(session: AsyncSession, case: Case) -> list[StatusChange]:
    """The case's status history, plus the operators' first public message as a
    synthetic `responded` entry (it answers the first-response clock)."""
    rows = await session.execute(
        select(CaseStatusChange.at, CaseStatusChange.to_status)
        .where(CaseStatusChange.tenant_id == case.tenant_id, CaseStatusChange.case_id == case.id)
        .order_by(CaseStatusChange.at, CaseStatusChange.id)
    )
    changes = [StatusChange(r.at, r.to_status) for r in rows]
    first_reply = (
        await session.execute(
            select(func.min(CaseMessage.created_at))
            .join(User, User.id == CaseMessage.author_id)
            .where(
                CaseMessage.tenant_id == case.tenant_id,
                CaseMessage.case_id == case.id,
                CaseMessage.visibility == "public",
                User.kind == "operator",
            )
        )
    ).scalar()
    if first_reply is not None:
        changes.append(StatusChange(first_reply, RESPONDED))
    return changes


async def missing_input_intervals(
    session: AsyncSession, case: Case
) -> list[tuple[dt.datetime, dt.datetime]]:
    """While a required checklist input is outstanding (from its creation until it is
    provided; open-ended while still missing)."""
    rows = await session.execute(
        select(CaseChecklistItem.created_at, CaseChecklistItem.provided_at).where(
            CaseChecklistItem.tenant_id == case.tenant_id,
            CaseChecklistItem.case_id == case.id,
            CaseChecklistItem.required.is_(True),
        )
    )
    return [(r.created_at, r.provided_at or FAR_FUTURE) for r in rows]


async def save_clocks(session: AsyncSession, case: Case, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert the case's clocks and drop those its policy no longer has. The recorded
    level is kept; the next event is the first threshold above it."""
    names = [r["clock"] for r in rows]
    await session.execute(
        delete(SlaClock).where(
            SlaClock.tenant_id == case.tenant_id,
            SlaClock.case_id == case.id,
            SlaClock.clock.not_in(names),
        )
    )
    if not rows:
        return
    stmt = insert(SlaClock).values(list(rows))
    ex = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=["tenant_id", "case_id", "clock"],
        set_={
            **{
                c: getattr(ex, c)
                for c in rows[0]
                if c not in ("tenant_id", "id", "case_id", "clock", "next_event_at")
            },
            "next_event_at": text(
                "case when sla_clocks.level_done >= 3 then null"
                " when sla_clocks.level_done = 2 then excluded.breach_at"
                " when sla_clocks.level_done = 1 then least(excluded.warn2_at, excluded.breach_at)"
                " else least(excluded.warn1_at, excluded.warn2_at, excluded.breach_at) end"
            ),
        },
    )
    await session.execute(stmt)


async def clocks_of_case(session: AsyncSession, case_id: uuid.UUID) -> list[SlaClock]:
    rows = await session.execute(
        select(SlaClock).where(SlaClock.case_id == case_id).order_by(SlaClock.kind, SlaClock.clock)
    )
    return list(rows.scalars())


async def unsettled_case_ids(session: AsyncSession, tenant_id: uuid.UUID) -> list[uuid.UUID]:
    """Cases whose clocks may still change: unsettled clocks, or open without clocks."""
    with_clocks = select(SlaClock.case_id).where(
        SlaClock.tenant_id == tenant_id, SlaClock.settled_at.is_(None)
    )
    open_cases = select(Case.id).where(
        Case.tenant_id == tenant_id,
        Case.status.in_(["submitted", "accepted", "in_progress", "waiting_on_client", "in_review"]),
    )
    rows = await session.execute(with_clocks.union(open_cases))
    return list(rows.scalars())


# --------------------------------------------------------------------------- scanner


async def insert_events(session: AsyncSession, events: Sequence[dict[str, Any]]) -> list[Row[Any]]:
    """Insert threshold events; the ones another scan recorded first are skipped. Returns
    only the rows this call inserted (so only their notifications are sent)."""
    if not events:
        return []
    stmt = (
        insert(SlaEvent)
        .values(list(events))
        .on_conflict_do_nothing(index_elements=["tenant_id", "case_id", "clock", "kind"])
        .returning(
            SlaEvent.id,
            SlaEvent.case_id,
            SlaEvent.clock,
            SlaEvent.clock_kind,
            SlaEvent.kind,
            SlaEvent.occurred_at,
            SlaEvent.due_at,
        )
    )
    found: list[Any] = list(await session.execute(stmt))
    return found


ADVANCE = text(
    """
    update sla_clocks c
       set level_done = greatest(c.level_done, v.level),
           next_event_at = case greatest(c.level_done, v.level)
               when 0 then least(c.warn1_at, c.warn2_at, c.breach_at)
               when 1 then least(c.warn2_at, c.breach_at)
               when 2 then c.breach_at
               else null end
      from unnest(cast(:ids as uuid[]), cast(:levels as int[])) as v(id, level)
     where c.tenant_id = :tenant_id and c.id = v.id
    """
)


MARK_ESCALATED = text(
    "update sla_events set escalated = true"
    " where tenant_id = :tenant_id and id = any(cast(:ids as uuid[]))"
)


async def advance_levels(
    session: AsyncSession, tenant_id: uuid.UUID, levels: dict[uuid.UUID, int]
) -> None:
    if levels:
        await session.execute(
            ADVANCE,
            {"tenant_id": tenant_id, "ids": list(levels), "levels": list(levels.values())},
        )


async def cases_brief(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Case]:
    rows = await session.execute(select(Case).where(Case.id.in_(list(case_ids))))
    return {c.id: c for c in rows.scalars()}


async def emails(session: AsyncSession, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not user_ids:
        return {}
    rows = await session.execute(
        select(User.id, User.email).where(User.id.in_(list(user_ids)), User.is_active.is_(True))
    )
    return {r.id: r.email for r in rows}


async def lead_emails(session: AsyncSession, tenant_id: uuid.UUID) -> list[str]:
    rows = await session.execute(
        select(User.email)
        .join(OperatorAssignment, OperatorAssignment.user_id == User.id)
        .where(
            OperatorAssignment.tenant_id == tenant_id,
            OperatorAssignment.role == "lead",
            User.is_active.is_(True),
        )
        .order_by(User.email)
    )
    return list(rows.scalars())


async def ops_admin_emails(session: AsyncSession) -> list[str]:
    rows = await session.execute(
        select(User.email)
        .where(User.platform_role == "ops_admin", User.is_active.is_(True))
        .order_by(User.email)
    )
    return list(rows.scalars())


# --------------------------------------------------------------------------- reports

ATTAINMENT = text(
    """
    select c.tenant_id,
           c.service,
           to_char(c.settled_at at time zone :tz, 'YYYY-MM') as month,
           count(*) filter (where c.kind = 'contractual' and c.status = 'met') as met,
           count(*) filter (where c.kind = 'contractual' and c.status = 'breached') as breached,
           count(*) filter (where c.kind = 'statutory' and c.status = 'met') as statutory_met,
           count(*) filter (where c.kind = 'statutory' and c.status = 'breached')
               as statutory_breached,
           percentile_cont(0.5) within group (order by c.elapsed_seconds)
               filter (where c.clock in ('resolution', 'payroll_delivery')
                       and c.stopped_at is not null) as median_seconds
      from sla_clocks c
     where c.tenant_id = any(cast(:tenant_ids as uuid[]))
       and c.settled_at >= :since and c.settled_at < :until
       and c.status in ('met', 'breached')
       and (cast(:service as text) is null or c.service = cast(:service as text))
     group by 1, 2, 3
     order by 1, 3, 2
    """
)


async def attainment_rows(
    session: AsyncSession,
    tenant_ids: Sequence[uuid.UUID],
    since: dt.datetime,
    until: dt.datetime,
    service: str | None,
    tz: str,
) -> list[Row[Any]]:
    rows = await session.execute(
        ATTAINMENT,
        {
            "tenant_ids": list(tenant_ids),
            "since": since,
            "until": until,
            "service": service,
            "tz": tz,
        },
    )
    return list(rows.all())


def as_decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))
