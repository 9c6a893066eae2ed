"""What the portal dashboard and the console's tenant overview show: open cases with the
state of their SLA clocks, the inputs a client still owes (checklist items not yet
provided), and the deadlines coming up.

Deadlines come from three places: the tenant's pay groups (next 締日 and 支給日), the
open SLA clocks of its cases, and the statutory remittance and filing dates of
japan-2026.md §1.15 — 源泉所得税 and 住民税 (特別徴収) by the 10th of the next month,
社会保険料 by the end of the next month, 算定基礎届 and 労働保険 年度更新 by 10 July,
給与支払報告書 and 源泉徴収票 by 31 January — each moved to the next open day of the
government calendar when it falls on a closed one (国税通則法 §10(2), 地方税法 §20-5).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.cases.models import Case, CaseChecklistItem
from daiko.cases.states import OPEN_STATUSES
from daiko.sla.calendar import BusinessCalendar, japan_government_calendar
from daiko.sla.models import SlaClock
from daiko.tenancy.models import Tenant
from daiko.tenancy.spec import PayrollSpec
from daiko.web.vocabulary import N_

# Worst first: the state a case shows is its worst open clock's.
SLA_STATES = ("breached", "warning", "ok", "paused", "not_started")
OPEN_CLOCK_STATES = frozenset(SLA_STATES)
STATUTORY_HORIZON = dt.timedelta(days=75)


@dataclass(frozen=True)
class Deadline:
    """One date to keep in mind: `kind` is statutory, payroll or sla; `label` is an
    English msgid the page translates (with `params`), `case_id` links an SLA clock."""

    day: dt.date
    kind: str
    label: str
    tenant_id: uuid.UUID
    params: Mapping[str, str] = field(default_factory=dict)
    case_id: uuid.UUID | None = None
    at: dt.datetime | None = None


def _month_after(year: int, month: int, n: int = 1) -> tuple[int, int]:
    index = year * 12 + month - 1 + n
    return index // 12, index % 12 + 1


def _last_day(year: int, month: int) -> dt.date:
    y, m = _month_after(year, month)
    return dt.date(y, m, 1) - dt.timedelta(days=1)


def _ym(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def statutory_deadlines(
    tenant_id: uuid.UUID,
    services: Iterable[str],
    today: dt.date,
    *,
    horizon: dt.timedelta = STATUTORY_HORIZON,
    calendar: BusinessCalendar | None = None,
) -> list[Deadline]:
    """The statutory dates from `today` to `today + horizon` for a tenant buying
    `services`, already moved off closed days, soonest first."""
    cal = calendar or japan_government_calendar()
    services = set(services)
    end = today + horizon
    out: list[Deadline] = []

    def add(nominal: dt.date, label: str, **params: str) -> None:
        day = cal.on_or_after(nominal)
        if today <= day <= end:
            out.append(Deadline(day, "statutory", label, tenant_id, params))

    payroll = "payroll" in services
    social = "social_insurance" in services
    # Month M's withholding and premiums are due in M+1: look at M from last month on.
    for n in range(-1, 3):
        y, m = _month_after(today.year, today.month, n)
        ny, nm = _month_after(y, m)
        if payroll:
            add(
                dt.date(ny, nm, 10),
                N_("Withholding income tax for %(month)s (源泉所得税)"),
                month=_ym(y, m),
            )
            add(
                dt.date(ny, nm, 10),
                N_("Resident tax, special collection for %(month)s (住民税)"),
                month=_ym(y, m),
            )
        if payroll or social:
            add(
                _last_day(ny, nm),
                N_("Social insurance premiums for %(month)s (社会保険料)"),
                month=_ym(y, m),
            )
    for year in (today.year, today.year + 1):
        if social:
            add(
                dt.date(year, 7, 10),
                N_("Santei kiso todoke for %(year)s (算定基礎届)"),
                year=str(year),
            )
        if payroll:
            add(
                dt.date(year, 7, 10),
                N_("Labour insurance annual declaration for %(year)s (労働保険 年度更新)"),
                year=str(year),
            )
            add(
                dt.date(year, 1, 31),
                N_(
                    "Withholding slips and salary payment reports for %(year)s "
                    "(源泉徴収票・給与支払報告書)"
                ),
                year=str(year - 1),
            )
    return sorted(out, key=lambda d: (d.day, d.label))


def payroll_deadlines(
    tenant_id: uuid.UUID, settings: Mapping[str, Any], today: dt.date
) -> list[Deadline]:
    """Per pay group the next cut-off (締日) and its payday (支給日) on or after today."""
    raw = settings.get("payroll") if settings else None
    if not raw:
        return []
    try:
        payroll = msgspec.convert(raw, PayrollSpec, strict=False)
    except msgspec.ValidationError:
        return []
    out: list[Deadline] = []
    for group in payroll.pay_groups:
        for n in range(0, 2):
            y, m = _month_after(today.year, today.month, n)
            cutoff = group.closing_date(y, m)
            if cutoff < today:
                continue
            pay = group.pay_date(y, m)
            out.append(
                Deadline(
                    cutoff,
                    "payroll",
                    N_("Payroll cut-off for %(group)s (payday %(payday)s)"),
                    tenant_id,
                    {"group": group.name, "payday": pay.isoformat()},
                )
            )
            break
    return out


@dataclass(frozen=True)
class OpenCase:
    case: Case
    sla_state: str | None  # worst open clock, None without clocks
    sla_due: dt.datetime | None  # the nearest due time of an open clock


def worst_state(states: Iterable[str]) -> str | None:
    found = [s for s in states if s in OPEN_CLOCK_STATES]
    return min(found, key=SLA_STATES.index) if found else None


async def open_cases(
    session: AsyncSession, tenant_ids: Sequence[uuid.UUID], limit: int = 50
) -> list[OpenCase]:
    """The tenants' open cases, nearest due time first, each with its SLA state."""
    if not tenant_ids:
        return []
    rows = (
        await session.execute(
            select(Case)
            .where(Case.tenant_id.in_(list(tenant_ids)), Case.status.in_(list(OPEN_STATUSES)))
            .order_by(Case.due_at.asc().nulls_last(), Case.id)
            .limit(limit)
        )
    ).scalars()
    cases = list(rows)
    clocks = await _open_clocks(session, [c.id for c in cases])
    out = []
    for case in cases:
        mine = clocks.get(case.id, [])
        dues = [c.due_at for c in mine if c.due_at is not None]
        out.append(OpenCase(case, worst_state(c.status for c in mine), min(dues, default=None)))
    return out


async def _open_clocks(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[SlaClock]]:
    if not case_ids:
        return {}
    rows = (
        await session.execute(
            select(SlaClock).where(
                SlaClock.case_id.in_(list(case_ids)), SlaClock.settled_at.is_(None)
            )
        )
    ).scalars()
    out: dict[uuid.UUID, list[SlaClock]] = {}
    for clock in rows:
        out.setdefault(clock.case_id, []).append(clock)
    return out


@dataclass(frozen=True)
class MissingInput:
    item: CaseChecklistItem
    case: Case


async def missing_inputs(
    session: AsyncSession, tenant_ids: Sequence[uuid.UUID], limit: int = 50
) -> list[MissingInput]:
    """Checklist items of open cases nobody has provided yet, required ones and those
    of cases waiting on the client first."""
    if not tenant_ids:
        return []
    rows = await session.execute(
        select(CaseChecklistItem, Case)
        .join(
            Case,
            (Case.tenant_id == CaseChecklistItem.tenant_id)
            & (Case.id == CaseChecklistItem.case_id),
        )
        .where(
            Case.tenant_id.in_(list(tenant_ids)),
            Case.status.in_(list(OPEN_STATUSES)),
            CaseChecklistItem.provided_at.is_(None),
        )
        .order_by(
            (Case.status != "waiting_on_client"),
            CaseChecklistItem.required.desc(),
            Case.due_at.asc().nulls_last(),
            CaseChecklistItem.position,
        )
        .limit(limit)
    )
    return [MissingInput(item, case) for item, case in rows]


async def sla_deadlines(
    session: AsyncSession, tenant_ids: Sequence[uuid.UUID], now: dt.datetime, limit: int = 10
) -> list[Deadline]:
    """The nearest due times of open SLA clocks still ahead."""
    if not tenant_ids:
        return []
    rows = (
        await session.execute(
            select(SlaClock)
            .where(
                SlaClock.tenant_id.in_(list(tenant_ids)),
                SlaClock.settled_at.is_(None),
                SlaClock.status.in_(["ok", "warning", "not_started"]),
                SlaClock.due_at >= now,
            )
            .order_by(SlaClock.due_at)
            .limit(limit)
        )
    ).scalars()
    return [
        Deadline(
            c.due_at.astimezone(dt.timezone(dt.timedelta(hours=9))).date(),
            "sla",
            c.label,
            c.tenant_id,
            {},
            case_id=c.case_id,
            at=c.due_at,
        )
        for c in rows
        if c.due_at is not None
    ]


async def upcoming_deadlines(
    session: AsyncSession, tenants: Sequence[Tenant], now: dt.datetime
) -> list[Deadline]:
    """Payroll, SLA and statutory dates of the tenants, soonest first."""
    today = now.astimezone(dt.timezone(dt.timedelta(hours=9))).date()
    out: list[Deadline] = []
    for tenant in tenants:
        out += payroll_deadlines(tenant.id, tenant.settings or {}, today)
        out += statutory_deadlines(tenant.id, tenant.services or [], today)
    out += await sla_deadlines(session, [t.id for t in tenants], now)
    return sorted(out, key=lambda d: (d.day, d.kind != "sla", d.label))


async def tenant_overview(
    session: AsyncSession, tenant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    """Per tenant: open cases, unassigned open cases, open clocks breached and warning."""
    out: dict[uuid.UUID, dict[str, int]] = {
        t: {"open": 0, "unassigned": 0, "breached": 0, "warning": 0} for t in tenant_ids
    }
    if not tenant_ids:
        return out
    rows = await session.execute(
        select(Case.tenant_id, func.count(), func.count().filter(Case.assignee_id.is_(None)))
        .where(Case.tenant_id.in_(list(tenant_ids)), Case.status.in_(list(OPEN_STATUSES)))
        .group_by(Case.tenant_id)
    )
    for tenant_id, open_, unassigned in rows:
        out[tenant_id].update(open=open_, unassigned=unassigned)
    clocks = await session.execute(
        select(SlaClock.tenant_id, SlaClock.status, func.count(func.distinct(SlaClock.case_id)))
        .where(
            SlaClock.tenant_id.in_(list(tenant_ids)),
            SlaClock.settled_at.is_(None),
            SlaClock.status.in_(["breached", "warning"]),
        )
        .group_by(SlaClock.tenant_id, SlaClock.status)
    )
    for tenant_id, status, n in clocks:
        out[tenant_id][status] = n
    return out


async def sla_states(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str | None]:
    """Each case's SLA state: its worst open clock (None without open clocks)."""
    clocks = await _open_clocks(session, case_ids)
    return {c: worst_state(k.status for k in clocks.get(c, [])) for c in case_ids}
