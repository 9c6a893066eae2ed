"""The SLA scanner: run every minute by the scheduler (and by `daiko sla scan`).

1. Set-wise, as `daiko_system` (`daiko.sla.system`): the clocks whose next threshold
   (warning 75 %, 90 %, breach) is due — an indexed range query on `next_event_at`,
   precomputed on every change, so a scan never recomputes a clock.
2. Per tenant, in its own scope and its own try: insert each crossing into
   `sla_events` with `on conflict do nothing` (unique per case, clock and kind), so an
   event is recorded once however many scans run, concurrently or again; only the scan
   whose insert won notifies. Breaches are escalated (ops_admin mailed, the case
   optionally reassigned, audited). Rows stay `published = false` for the webhooks.
3. After commit: mail the assignee and the tenant's leads (and ops_admin on breach).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import SystemActor, record
from daiko.cases import repository as cases_repo
from daiko.config import Settings
from daiko.db.engine import Database
from daiko.ids import new_id
from daiko.mail import Mail, send_mail
from daiko.sla import repository as repo
from daiko.sla import system
from daiko.sla.policy import Override, TenantSla, policy_hash, resolve_policy
from daiko.sla.service import recompute_tenant
from daiko.tenancy.scope import scope_of_tenant

log = structlog.get_logger("daiko.sla.scanner")
ACTOR = SystemActor("scheduler.sla_scan", "SLA scanner")
BATCH = 100_000


@dataclass
class ScanResult:
    due: int = 0
    recorded: int = 0
    escalated: int = 0
    tenants: int = 0
    failed_tenants: int = 0
    mails: list[Mail] = field(default_factory=list)


def crossings(row: system.DueClock, now: dt.datetime) -> list[tuple[int, str, dt.datetime]]:
    """The thresholds of `row` crossed by `now` and not yet recorded: (level, kind, at)."""
    levels = (
        (1, f"warning_{row.warn1_pct}", row.warn1_at),
        (2, f"warning_{row.warn2_pct}", row.warn2_at),
        (3, "breached", row.breach_at),
    )
    return [(lv, k, t) for lv, k, t in levels if lv > row.level_done and t is not None and t <= now]


def _subject(kind: str, title: str, label: str) -> str:
    if kind == "breached":
        return f"[Daiko] SLA breached / SLA違反: {title} — {label}"
    pct = kind.removeprefix("warning_")
    return f"[Daiko] SLA warning {pct}% / SLA警告: {title} — {label}"


async def _tenant_scan(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    rows: Sequence[system.DueClock],
    now: dt.datetime,
    base_url: str,
) -> tuple[int, int, list[Mail]]:
    cases = await repo.cases_brief(session, list({r.case_id for r in rows}))
    events: list[dict[str, Any]] = []
    levels: dict[uuid.UUID, int] = {}
    for row in rows:
        crossed = crossings(row, now)
        case = cases.get(row.case_id)
        if not crossed or case is None:
            continue
        levels[row.id] = max(lv for lv, _, _ in crossed)
        for _, kind, at in crossed:
            events.append(
                {
                    "tenant_id": tenant_id,
                    "id": new_id(),
                    "case_id": row.case_id,
                    "clock": row.clock,
                    "clock_kind": row.kind,
                    "kind": kind,
                    "occurred_at": at,
                    "due_at": row.due_at or row.breach_at,
                    "assignee_id": case.assignee_id,
                    "payload": {
                        "case_id": str(row.case_id),
                        "clock": row.clock,
                        "clock_kind": row.kind,
                        "kind": kind,
                        "occurred_at": at.isoformat(),
                        "service": case.service,
                        "priority": case.priority,
                        "status": case.status,
                    },
                }
            )
    inserted = await repo.insert_events(session, events)
    await repo.advance_levels(session, tenant_id, levels)
    if not inserted:
        return 0, 0, []
    leads = await repo.lead_emails(session, tenant_id)
    admins: list[str] = []
    tenant: TenantSla | None = None
    overrides: dict[tuple[str, str], Override] = {}
    escalated = 0
    mails: list[Mail] = []
    for ev in inserted:
        case = cases[ev.case_id]
        breach = ev.kind == "breached"
        reassigned_to: uuid.UUID | None = None
        if breach:
            if tenant is None:
                tenant = await repo.tenant_sla(session, tenant_id)
                overrides = await repo.overrides(session, tenant_id)
                admins = await repo.ops_admin_emails(session)
            policy = resolve_policy(
                tenant, case.service, case.priority, overrides.get((case.service, case.priority))
            )
            if policy.reassign_on_breach and ev.clock_kind == "contractual":
                pick = await cases_repo.least_loaded_operator(session, tenant_id)
                if pick is not None and pick != case.assignee_id:
                    reassigned_to, case.assignee_id = pick, pick
            await record(
                session,
                tenant_id=tenant_id,
                actor=ACTOR,
                action="sla.breached",
                resource_type="case",
                resource_id=case.id,
                details={
                    "clock": ev.clock,
                    "clock_kind": ev.clock_kind,
                    "due_at": ev.due_at.isoformat() if ev.due_at else None,
                    "escalated_to": "ops_admin",
                    "reassigned_to": str(reassigned_to) if reassigned_to else None,
                },
            )
            escalated += 1
        people = await repo.emails(session, [case.assignee_id] if case.assignee_id else [])
        to = sorted({*people.values(), *leads, *(admins if breach else [])})
        link = f"{base_url.rstrip('/')}/cases/{case.id}"
        due = ev.due_at.isoformat(timespec="minutes") if ev.due_at else "—"
        for address in to:
            mails.append(
                Mail(
                    to=address,
                    subject=_subject(ev.kind, case.title, ev.clock),
                    body=(
                        f"{case.title}\n{ev.clock} ({ev.clock_kind}): {ev.kind}"
                        f" at {ev.occurred_at.isoformat(timespec='minutes')}\n"
                        f"due / 期限: {due}\n"
                        + (f"reassigned to / 再割当: {reassigned_to}\n" if reassigned_to else "")
                        + f"\n{link}\n"
                    ),
                )
            )
    if escalated:
        await session.execute(
            repo.MARK_ESCALATED,
            {"tenant_id": tenant_id, "ids": [e.id for e in inserted if e.kind == "breached"]},
        )
    await session.flush()
    return len(inserted), escalated, mails


async def scan(
    db: Database,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    notify: bool = True,
    limit: int = BATCH,
    concurrency: int = 8,
) -> ScanResult:
    """One scan: record every due threshold once, escalate breaches, then notify."""
    moment = now or dt.datetime.now(dt.UTC)
    result = ScanResult()
    due = await system.due_clocks(db, moment, limit)
    result.due = len(due)
    by_tenant: dict[uuid.UUID, list[system.DueClock]] = defaultdict(list)
    for row in due:
        by_tenant[row.tenant_id].append(row)
    # Tenants are independent: a few at a time, each in its own transaction and try.
    gate = asyncio.Semaphore(max(1, min(concurrency, settings.db_pool_size)))

    async def one(tenant_id: uuid.UUID, rows: list[system.DueClock]) -> None:
        async with gate:
            try:
                async with db.session(scope_of_tenant(tenant_id)) as session:
                    recorded, escalated, mails = await _tenant_scan(
                        session, tenant_id, rows, moment, settings.base_url
                    )
            except Exception:
                result.failed_tenants += 1
                log.exception("sla scan failed for a tenant", tenant_id=str(tenant_id))
                return
        result.recorded += recorded
        result.escalated += escalated
        result.mails.extend(mails)

    result.tenants = len(by_tenant)
    await asyncio.gather(*(one(t, rows) for t, rows in by_tenant.items()))
    if notify:
        for mail in result.mails:
            try:
                await send_mail(settings, mail)
            except Exception:
                log.exception("sla mail failed", to_domain=mail.to.rpartition("@")[2])
    if result.recorded:
        log.info("sla scan", due=result.due, recorded=result.recorded, escalated=result.escalated)
    return result


def _override(row: dict[str, Any]) -> Override:
    return Override(**{f: row.get(f) for f in Override.__dataclass_fields__})


async def recompute_drifted(db: Database, *, now: dt.datetime | None = None) -> int:
    """Recompute the open clocks of tenants whose policy or calendar changed since they
    were computed (e.g. by `daiko tenants apply`). Returns the tenants recomputed."""
    seen, current = await system.unsettled_policy_hashes(db)
    async with db.global_session() as session:
        team = await repo.team_days_off(session)
    done = 0
    for tenant_id, hashes in seen.items():
        rows = current.get(tenant_id)
        if rows is None:
            continue
        t = rows.tenant
        tenant = TenantSla.of(t["slug"], t["time_zone"], t["settings"], team)
        overrides = {(o["service"], o["priority"]): _override(o) for o in rows.overrides}
        if hashes == {policy_hash(tenant, overrides)}:
            continue
        try:
            async with db.session(scope_of_tenant(tenant_id)) as session:
                await recompute_tenant(session, tenant_id, now=now)
            done += 1
        except Exception:
            log.exception("sla recompute failed for a tenant", tenant_id=str(tenant_id))
    return done
