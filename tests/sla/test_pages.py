"""SLA pages per role: the portal chart, the console heat map, the calendar editor
(401 → sign-in, 403, 404 for another tenant) and the audited calendar edit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.runtime import Runtime
from tests.factories import TestUser, World
from tests.sla.helpers import by_clock, jst, make_case, refresh, rows
from tests.sla.test_api_reports import november

Client = Callable[[TestUser], Awaitable[httpx.AsyncClient]]


async def test_portal_chart_of_the_clients_own_company(
    owner_engine: AsyncEngine,
    runtime: Runtime,
    world: World,
    client_for: Client,
    client: httpx.AsyncClient,
) -> None:
    await november(owner_engine, runtime, world)
    anonymous = await client.get("/portal/sla")
    assert anonymous.status_code in (302, 303) and anonymous.headers["location"]
    viewer = await client_for(world.tenant_a.users["client_viewer"])
    page = await viewer.get("/portal/sla", params={"month": "2026-11"})
    assert page.status_code == 200, page.text
    assert "<svg" in page.text and 'role="img"' in page.text
    assert "88.9%" in page.text  # the bar's text value
    assert "<td>8</td><td>1</td>" in page.text  # met, breached as text too
    assert 'href="/portal/sla"' in page.text  # the SLA link in the navigation
    other = await viewer.get("/portal/sla", params={"tenant_id": str(world.tenant_b.id)})
    assert other.status_code == 404


async def test_console_heat_map_of_all_assigned_tenants(
    owner_engine: AsyncEngine, runtime: Runtime, world: World, client_for: Client
) -> None:
    await november(owner_engine, runtime, world)
    lead = await client_for(world.lead)
    page = await lead.get("/console/sla", params={"month": "2026-11"})
    assert page.status_code == 200, page.text
    assert "株式会社エー" in page.text and "株式会社ビー" in page.text
    assert 'class="heat-fair"' in page.text and "88.9 %" in page.text  # tenant A
    assert 'class="heat-poor"' in page.text and "66.7 %" in page.text  # B: resolution breached
    operator = await client_for(world.operator)
    only_a = await operator.get("/console/sla", params={"month": "2026-11"})
    assert "株式会社エー" in only_a.text and "株式会社ビー" not in only_a.text
    client_user = await client_for(world.tenant_a.users["client_admin"])
    assert (await client_user.get("/console/sla")).status_code == 403


async def test_calendar_edit_by_role_audited_and_applied(
    owner_engine: AsyncEngine,
    runtime: Runtime,
    world: World,
    as_user: Client,
    client: httpx.AsyncClient,
) -> None:
    a, b = world.tenant_a.id, world.tenant_b.id
    case_id = await make_case(owner_engine, a, [("2026-04-28T09:00", "submitted")])
    before = by_clock(await refresh(runtime, a, case_id, jst("2026-04-28T09:00")))
    assert before["resolution"].due_at == jst("2026-05-01T18:00")

    assert (await client.get("/console/sla/calendar")).status_code in (302, 303)
    assert (await (await as_user(world.operator)).get("/console/sla/calendar")).status_code == 403
    client_admin = await as_user(world.tenant_a.users["client_admin"])
    assert (await client_admin.get("/console/sla/calendar")).status_code == 403
    lead = await as_user(world.lead)
    page = await lead.get("/console/sla/calendar", params={"tenant_id": str(a)})
    assert page.status_code == 200 and "株式会社エー" in page.text

    operator = await as_user(world.operator)
    refused = await operator.post(
        "/console/sla/calendar",
        data={"tenant_id": str(a), "op": "add_day_off", "day": "2026-04-30"},
    )
    assert refused.status_code == 403
    saved = await lead.post(
        "/console/sla/calendar",
        data={"tenant_id": str(a), "op": "add_day_off", "day": "2026-04-30"},
    )
    assert saved.status_code == 303, saved.text
    got = await rows(
        owner_engine,
        "select settings->'calendar'->'extra_days_off' from tenants where id = :id",
        id=a,
    )
    assert got == [(["2026-04-30"],)]
    # the open clock moved at once: 4/30 closed now → 4/28, 5/1, 5/7
    assert await rows(
        owner_engine,
        "select breach_at from sla_clocks where case_id = :id and clock = 'resolution'",
        id=case_id,
    ) == [(jst("2026-05-07T18:00"),)]
    audit = await rows(
        owner_engine,
        "select tenant_id, actor_display, details->>'change' from audit_events"
        " where action = 'sla.calendar_changed'",
    )
    assert audit == [(a, "lead", "add_day_off")]

    # ops_admin edits any tenant's calendar, audited in that tenant's chain
    admin = await as_user(world.ops_admin)
    closure = await admin.post(
        "/console/sla/calendar",
        data={"tenant_id": str(b), "op": "add_closure", "label": "夏季休業",
              "start": "08-13", "end": "08-16"},
    )  # fmt: skip
    assert closure.status_code == 303
    assert await rows(
        owner_engine,
        "select settings->'calendar'->'closures' from tenants where id = :id",
        id=b,
    ) == [
        ([{"label": "夏季休業", "start": {"month": 8, "day": 13}, "end": {"month": 8, "day": 16}}],)
    ]
    assert await rows(
        owner_engine,
        "select count(*) from audit_events where action = 'sla.calendar_changed' and tenant_id = :b",
        b=b,
    ) == [(1,)]
    # a bad date is refused with a message, nothing saved
    bad = await lead.post(
        "/console/sla/calendar",
        data={"tenant_id": str(a), "op": "add_day_off", "day": "2026-02-30"},
    )
    assert bad.status_code == 303
    assert await rows(
        owner_engine, "select count(*) from audit_events where action = 'sla.calendar_changed'"
    ) == [(2,)]


async def test_lead_sets_working_hours_and_open_clocks_follow(
    owner_engine: AsyncEngine, runtime: Runtime, world: World, as_user: Client
) -> None:
    a = world.tenant_a.id
    case_id = await make_case(owner_engine, a, [("2026-04-28T09:00", "submitted")])
    await refresh(runtime, a, case_id, jst("2026-04-28T09:00"))
    lead = await as_user(world.lead)
    page = await lead.get("/console/sla/calendar", params={"tenant_id": str(a)})
    assert 'name="work_start" value="09:00"' in page.text
    saved = await lead.post(
        "/console/sla/calendar",
        data={"tenant_id": str(a), "op": "set_hours", "work_start": "08:30", "work_end": "17:30"},
    )
    assert saved.status_code == 303
    assert await rows(
        owner_engine,
        "select settings->'calendar'->'working_hours' from tenants where id = :id",
        id=a,
    ) == [({"start": "08:30:00", "end": "17:30:00"},)]
    # Resolution is three 9-hour business days (27 h) from 4/28 09:00 on the new hours:
    # 8.5 h on 4/28, 9 h on 4/30, 9 h on 5/1, the last 0.5 h after Golden Week → 5/7 09:00.
    assert await rows(
        owner_engine,
        "select breach_at from sla_clocks where case_id = :id and clock = 'resolution'",
        id=case_id,
    ) == [(jst("2026-05-07T09:00"),)]
    bad = await lead.post(
        "/console/sla/calendar",
        data={"tenant_id": str(a), "op": "set_hours", "work_start": "18:00", "work_end": "09:00"},
    )
    assert bad.status_code == 303
    assert await rows(
        owner_engine,
        "select settings->'calendar'->'working_hours'->>'start' from tenants where id = :id",
        id=a,
    ) == [("08:30:00",)]
