"""Personal settings (language, password, second factor), the console overview per
tenant, the review queue (four eyes) and the queue's SLA filter and countdown badges."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.passwords import hash_password, verify_password
from daiko.cases.models import Case
from daiko.ids import new_id
from daiko.sla.models import SlaClock
from daiko.tenancy.models import User
from tests.cases.seed import seed_case
from tests.factories import TestUser, World

EN = {"accept": "text/html", "accept-language": "en"}
ClientFor = Callable[[TestUser], Awaitable[httpx.AsyncClient]]
OLD = "an old but long passphrase 2025"
NEW = "a brand new passphrase for 2026"


def csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


async def test_language_preference_is_saved_and_applied(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    user = world.tenant_a.users["client_member"]
    c = await client_for(user)
    page = await c.get("/settings", headers=EN)
    assert page.status_code == 200
    r = await c.post(
        "/settings/language", headers=EN, data={"csrf_token": csrf(page), "locale": "en"}
    )
    assert r.status_code == 303 and "daiko_lang=en" in r.headers["set-cookie"]
    async with owner_engine.connect() as conn:
        assert await conn.scalar(select(User.locale).where(User.id == user.id)) == "en"
    bad = await c.post(
        "/settings/language", headers=EN, data={"csrf_token": csrf(page), "locale": "de"}
    )
    assert bad.status_code == 422


async def test_password_change_checks_the_current_one_and_the_policy(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    user = world.tenant_a.users["client_member"]
    async with owner_engine.begin() as conn:
        await conn.execute(
            update(User).where(User.id == user.id).values(password_hash=hash_password(OLD))
        )
    c = await client_for(user)
    page = await c.get("/settings", headers=EN)
    assert "Set up an authenticator app" in page.text  # a password holder without TOTP
    token = csrf(page)

    def post(current: str, new: str, confirm: str) -> Awaitable[httpx.Response]:
        return c.post(
            "/settings/password",
            headers=EN,
            data={
                "csrf_token": token,
                "current_password": current,
                "new_password": new,
                "confirm_password": confirm,
            },
        )

    r = await post("wrong", NEW, NEW)
    assert r.status_code == 422 and "This is not your current password." in r.text
    r = await post(OLD, NEW, NEW + "x")
    assert r.status_code == 422 and "The two new passwords differ." in r.text
    r = await post(OLD, "short", "short")
    assert r.status_code == 422 and "Use at least 12 characters." in r.text
    r = await post(OLD, NEW, NEW)
    assert r.status_code == 303
    async with owner_engine.connect() as conn:
        stored = await conn.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored is not None and verify_password(stored, NEW)
    assert (await c.get("/settings", headers=EN)).status_code == 200  # this session stays


async def test_console_overview_counts_per_tenant(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    a, b = world.tenant_a, world.tenant_b
    late = await seed_case(owner_engine, a.id, title="遅れ")
    await seed_case(owner_engine, a.id, title="担当済み", assignee_id=world.operator.id)
    await seed_case(owner_engine, b.id, title="B社")
    await seed_case(owner_engine, a.id, title="完了", status="closed")
    async with owner_engine.begin() as conn:
        await conn.execute(
            insert(SlaClock).values(
                tenant_id=a.id,
                id=new_id(),
                case_id=late,
                clock="resolution",
                kind="contractual",
                service="general",
                label="解決 (resolution)",
                status="breached",
                policy_hash="t",
            )
        )
    lead = await client_for(world.lead)
    r = await lead.get("/console", headers=EN)
    assert r.status_code == 200
    row_a = re.search(r'<tr id="tenant-tenant-a">(.*?)</tr>', r.text, re.S)
    row_b = re.search(r'<tr id="tenant-tenant-b">(.*?)</tr>', r.text, re.S)
    assert row_a and row_b
    nums = lambda row: re.findall(r'<td class="num">(?:<a[^>]*>)?(\d+)', row)  # noqa: E731
    assert nums(row_a.group(1)) == ["2", "1", "1", "0"]  # open, unassigned, breached, warning
    assert nums(row_b.group(1)) == ["1", "1", "0", "0"]
    operator = await client_for(world.operator)
    r = await operator.get("/console", headers=EN)
    assert "tenant-tenant-b" not in r.text


async def test_queue_filters_by_sla_state_and_has_countdowns(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    a = world.tenant_a
    now = dt.datetime.now(dt.UTC)
    breached = await seed_case(owner_engine, a.id, title="breached one")
    warning = await seed_case(owner_engine, a.id, title="warning one")
    fine = await seed_case(owner_engine, a.id, title="fine one")
    async with owner_engine.begin() as conn:
        for case_id, status in ((breached, "breached"), (warning, "warning"), (fine, "ok")):
            await conn.execute(
                insert(SlaClock).values(
                    tenant_id=a.id,
                    id=new_id(),
                    case_id=case_id,
                    clock="resolution",
                    kind="contractual",
                    service="general",
                    label="r",
                    status=status,
                    policy_hash="t",
                )
            )
        await conn.execute(
            update(Case).where(Case.id == warning).values(due_at=now + dt.timedelta(hours=3))
        )
    c = await client_for(world.operator)
    for state, expected in (("breached", breached), ("warning", warning), ("ok", fine)):
        r = await c.get("/console/cases", params={"sla": state}, headers=EN)
        assert r.status_code == 200
        shown = set(re.findall(r'<tr id="case-([0-9a-f-]+)"', r.text))
        assert shown == {str(expected)}, state
    r = await c.get("/console/cases", params={"sla": "meh"}, headers=EN)
    assert r.status_code == 422
    r = await c.get("/console/cases", headers=EN)
    assert 'class="badge badge-warning"' in r.text and "data-due=" in r.text
    assert 'src="/static/countdown.js"' in r.text
    assert 'data-left="{time} left"' in r.text


async def test_review_queue_keeps_four_eyes(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    a = world.tenant_a
    mine = await seed_case(
        owner_engine, a.id, title="prepared by lead", status="in_review", prepared_by=world.lead.id
    )
    theirs = await seed_case(
        owner_engine,
        a.id,
        title="prepared by operator",
        status="in_review",
        prepared_by=world.operator.id,
    )
    await seed_case(owner_engine, a.id, title="still working", status="in_progress")
    lead = await client_for(world.lead)
    r = await lead.get("/console/review", headers=EN)
    assert r.status_code == 200
    rows = dict(re.findall(r'<tr id="review-([0-9a-f-]+)">(.*?)</tr>', r.text, re.S))
    assert set(rows) == {str(mine), str(theirs)}
    assert "another lead approves it" in rows[str(mine)]
    assert 'action="/cases/' + str(theirs) + '/transition"' in rows[str(theirs)]
    r = await lead.post(
        f"/cases/{theirs}/transition",
        headers=EN,
        data={"csrf_token": csrf(r), "version": "1", "to": "delivered"},
    )
    assert r.status_code == 303
    async with owner_engine.connect() as conn:
        assert await conn.scalar(select(Case.status).where(Case.id == theirs)) == "delivered"
    operator = await client_for(world.operator)
    assert (await operator.get("/console/review", headers=EN)).status_code == 403
