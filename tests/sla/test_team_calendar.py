"""The operator team's calendar: its days off stop SLA business time for every tenant,
and only ops_admin edits it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.runtime import Runtime
from daiko.sla import repository as repo
from daiko.sla.calendar import TEAM_DAY_OFF, tenant_calendar
from daiko.sla.models import OperatorDayOff
from daiko.sla.policy import policy_hash
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import TestUser, World

HTML = {"accept": "text/html"}
ClientFor = Callable[[TestUser], Awaitable[httpx.AsyncClient]]
D = dt.date.fromisoformat


def test_a_team_day_off_is_not_a_business_day() -> None:
    cal = tenant_calendar("t", team_days_off=frozenset({D("2026-12-28")}))
    assert cal.closed_reason(D("2026-12-28")) == TEAM_DAY_OFF
    assert cal.add_business_days(D("2026-12-25"), 1) == D("2026-12-29")
    start = dt.datetime(2026, 12, 25, 17, 0, tzinfo=cal.tz)
    assert cal.add_business_time(start, dt.timedelta(hours=2)) == dt.datetime(
        2026, 12, 29, 10, 0, tzinfo=cal.tz
    )


async def test_team_days_reach_every_tenants_calendar_and_policy_hash(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    async with runtime.db.session(scope_of_tenant(world.tenant_b.id)) as s:
        before = await repo.tenant_sla(s, world.tenant_b.id)
    async with owner_engine.begin() as conn:
        await conn.execute(insert(OperatorDayOff).values(day=D("2026-12-28"), label="創立記念日"))
    async with runtime.db.session(scope_of_tenant(world.tenant_b.id)) as s:
        after = await repo.tenant_sla(s, world.tenant_b.id)
    assert after.team_days_off == frozenset({D("2026-12-28")})
    assert not after.business_calendar().is_business_day(D("2026-12-28"))
    # A changed team calendar changes the fingerprint, so open clocks get recomputed.
    assert policy_hash(before, {}) != policy_hash(after, {})


async def test_only_ops_admin_edits_the_team_calendar(
    world: World, client_for: ClientFor, owner_engine: AsyncEngine
) -> None:
    admin = await client_for(world.ops_admin)
    page = await admin.get("/console/sla/calendar", headers=HTML)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    r = await admin.post(
        "/console/sla/team-calendar",
        data={"csrf_token": token.group(1), "day": "2026-12-28", "label": "創立記念日"},
        headers=HTML,
    )
    assert (r.status_code, r.headers["location"]) == (303, "/console/sla/calendar")
    page = await admin.get("/console/sla/calendar", headers=HTML)
    assert "創立記念日" in page.text
    assert "2026-12-28 を運用チームの休業日にしました。" in page.text
    async with owner_engine.connect() as conn:
        assert list((await conn.execute(select(OperatorDayOff.day))).scalars()) == [D("2026-12-28")]

    lead = await client_for(world.lead)
    page = await lead.get("/console/sla/calendar", headers=HTML)
    assert "創立記念日" in page.text  # leads see the team's days off
    assert 'action="/console/sla/team-calendar"' not in page.text  # but cannot edit them
    lead_token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert lead_token is not None
    r = await lead.post(
        "/console/sla/team-calendar",
        data={"csrf_token": lead_token.group(1), "day": "2026-12-28", "op": "remove"},
        headers=HTML,
    )
    assert r.status_code == 403

    r = await admin.post(
        "/console/sla/team-calendar",
        data={"csrf_token": token.group(1), "day": "2026-12-28", "op": "remove"},
        headers=HTML,
    )
    assert r.status_code == 303
    async with owner_engine.connect() as conn:
        assert list((await conn.execute(select(OperatorDayOff.day))).scalars()) == []
