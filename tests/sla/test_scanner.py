"""The scanner: thresholds exact to the second, each event recorded once across two
scans and two concurrent scans, breaches escalated and audited, mail to the right people."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.runtime import Runtime
from daiko.sla.scanner import scan
from tests.factories import World
from tests.sla.helpers import jst, make_case, refresh, rows

# An inquiry (service general, priority normal) under the defaults: first response 8 h,
# acceptance 16 h, resolution 3 business days (27 h), warnings at 75 % and 90 %.
SUBMITTED = "2026-04-28T09:00"


async def _case(owner_engine: AsyncEngine, runtime: Runtime, world: World) -> object:
    case_id = await make_case(
        owner_engine,
        world.tenant_a.id,
        [(SUBMITTED, "submitted")],
        assignee_id=world.operator.id,
        title="Payslip question",
    )
    await refresh(runtime, world.tenant_a.id, case_id, jst(SUBMITTED))
    return case_id


async def test_thresholds_are_stored_exactly(
    owner_engine: AsyncEngine, runtime: Runtime, world: World
) -> None:
    case_id = await _case(owner_engine, runtime, world)
    got = await rows(
        owner_engine,
        "select clock, warn1_at, warn2_at, breach_at, next_event_at from sla_clocks"
        " where case_id = :id order by clock",
        id=case_id,
    )
    assert got == [
        # 16 h: 9 h on 4/28, 4/29 昭和の日 closed, 7 h on 4/30 → 16:00
        ("acceptance", jst("2026-04-30T12:00"), jst("2026-04-30T14:24"), jst("2026-04-30T16:00"),
         jst("2026-04-30T12:00")),
        ("first_response", jst("2026-04-28T15:00"), jst("2026-04-28T16:12"),
         jst("2026-04-28T17:00"), jst("2026-04-28T15:00")),
        # 27 h = 3 working days: 4/28, 4/30, 5/1 (Golden Week after it)
        ("resolution", jst("2026-05-01T11:15"), jst("2026-05-01T15:18"),
         jst("2026-05-01T18:00"), jst("2026-05-01T11:15")),
    ]  # fmt: skip


async def test_warning_exactly_at_the_threshold_not_a_second_before(
    owner_engine: AsyncEngine, runtime: Runtime, world: World
) -> None:
    await _case(owner_engine, runtime, world)
    before = await scan(runtime.db, runtime.settings, now=jst("2026-04-28T14:59:59"), notify=False)
    assert (before.due, before.recorded) == (0, 0)
    at = await scan(runtime.db, runtime.settings, now=jst("2026-04-28T15:00"), notify=False)
    assert (at.due, at.recorded, at.escalated) == (1, 1, 0)
    assert await rows(
        owner_engine, "select clock, kind, occurred_at, published from sla_events"
    ) == [("first_response", "warning_75", jst("2026-04-28T15:00"), False)]
    assert sorted(m.to for m in at.mails) == ["lead@daiko.example", "operator@daiko.example"]
    assert at.mails[0].subject == (
        "[Daiko] SLA warning 75% / SLA警告: Payslip question — first_response"
    )


async def test_each_event_once_across_two_scans(
    owner_engine: AsyncEngine, runtime: Runtime, world: World
) -> None:
    await _case(owner_engine, runtime, world)
    now = jst("2026-04-28T17:00")
    first = await scan(runtime.db, runtime.settings, now=now, notify=False)
    second = await scan(runtime.db, runtime.settings, now=now, notify=False)
    assert (first.recorded, first.escalated) == (3, 1)
    assert (second.due, second.recorded, second.mails) == (0, 0, [])
    assert await rows(
        owner_engine, "select kind, escalated from sla_events order by occurred_at"
    ) == [("warning_75", False), ("warning_90", False), ("breached", True)]
    # the breach reached ops_admin too, and is in the tenant's audit trail
    assert {m.to for m in first.mails if "breached" in m.subject} == {
        "admin@daiko.example",
        "lead@daiko.example",
        "operator@daiko.example",
    }
    assert await rows(
        owner_engine, "select action, details->>'clock' from audit_events where action like 'sla.%'"
    ) == [("sla.breached", "first_response")]


async def test_each_event_once_across_two_concurrent_scans(
    owner_engine: AsyncEngine, runtime: Runtime, world: World
) -> None:
    for _ in range(5):
        await _case(owner_engine, runtime, world)
    now = jst("2026-04-28T17:00")
    a, b = await asyncio.gather(
        scan(runtime.db, runtime.settings, now=now, notify=False),
        scan(runtime.db, runtime.settings, now=now, notify=False),
    )
    assert a.recorded + b.recorded == 15
    assert a.escalated + b.escalated == 5
    assert len(a.mails) + len(b.mails) == 15 * 2 + 5  # operator + lead each; admin on breach
    assert await rows(
        owner_engine, "select count(*), count(distinct (case_id, kind)) from sla_events"
    ) == [(15, 15)]
    assert await rows(
        owner_engine, "select count(*) from audit_events where action = 'sla.breached'"
    ) == [(5,)]


async def test_a_late_scan_records_every_crossed_threshold_at_its_own_time(
    owner_engine: AsyncEngine, runtime: Runtime, world: World
) -> None:
    await _case(owner_engine, runtime, world)
    result = await scan(runtime.db, runtime.settings, now=jst("2026-05-07T09:00"), notify=False)
    assert result.recorded == 9
    got = await rows(
        owner_engine, "select clock, kind, occurred_at from sla_events order by occurred_at, clock"
    )
    assert got[-1] == ("resolution", "breached", jst("2026-05-01T18:00"))
    left = await rows(
        owner_engine, "select count(*) from sla_clocks where next_event_at is not null"
    )
    assert left == [(0,)]


async def test_mails_are_written_when_notifying(
    owner_engine: AsyncEngine, runtime: Runtime, world: World
) -> None:
    await _case(owner_engine, runtime, world)
    mail_dir = runtime.settings.data_dir / "mail"
    before = set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()
    await scan(runtime.db, runtime.settings, now=jst("2026-04-28T15:00"))
    assert len(set(mail_dir.glob("*.eml")) - before) == 2
