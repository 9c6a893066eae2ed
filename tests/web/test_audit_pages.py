"""Audit trail pages: who reads which tenant's trail, and the chain check from the page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.runtime import Runtime
from tests.audit.helpers import append as write
from tests.audit.helpers import tamper
from tests.factories import TestUser, World

HTML = {"accept": "text/html"}
ClientFor = Callable[[TestUser], Awaitable[httpx.AsyncClient]]


async def test_client_admin_reads_own_trail_only(
    runtime: Runtime, world: World, client_for: ClientFor
) -> None:
    await write(runtime, world.tenant_a.id, 3, action="case.status_changed")
    await write(runtime, world.tenant_b.id, 2, action="document.downloaded")
    c = await client_for(world.tenant_a.users["client_admin"])
    r = await c.get("/portal/audit", headers=HTML)
    assert r.status_code == 200
    assert r.text.count("<code>case.status_changed</code>") == 3
    assert "document.downloaded</code>" not in r.text
    assert 'href="/portal/audit"' in r.text  # in the navigation for admins
    r = await c.get("/portal/audit", params={"tenant_id": str(world.tenant_b.id)}, headers=HTML)
    assert r.status_code == 404


async def test_members_have_no_audit_trail(world: World, client_for: ClientFor) -> None:
    c = await client_for(world.tenant_a.users["client_member"])
    r = await c.get("/portal/audit", headers=HTML)
    assert r.status_code == 403
    assert 'href="/portal/audit"' not in (await c.get("/portal", headers=HTML)).text


async def test_verify_from_the_page_reports_tampering(
    runtime: Runtime, world: World, client_for: ClientFor, owner_engine: AsyncEngine
) -> None:
    await write(runtime, world.tenant_a.id, 4)
    c = await client_for(world.tenant_a.users["client_admin"])
    r = await c.get("/portal/audit", params={"verify": "true"}, headers=HTML)
    assert "チェーンは改ざんされていません（4 件を検証）。" in r.text
    await tamper(
        owner_engine,
        "update audit_events set details = '{\"n\": 99}' where tenant_id = :t and seq = 2",
        {"t": world.tenant_a.id},
    )
    r = await c.get("/portal/audit", params={"verify": "true"}, headers=HTML)
    assert "イベント 2 でチェーンが壊れています: hash_mismatch。" in r.text


async def test_console_leads_and_ops_admin(
    runtime: Runtime, world: World, client_for: ClientFor
) -> None:
    await write(runtime, world.tenant_b.id, 1, action="document.downloaded")
    lead = await client_for(world.lead)  # assigned to A and B
    r = await lead.get("/console/audit", params={"tenant_id": str(world.tenant_b.id)}, headers=HTML)
    assert r.status_code == 200
    assert "<code>document.downloaded</code>" in r.text
    operator = await client_for(world.operator)  # not a lead: no audit:read
    assert (await operator.get("/console/audit", headers=HTML)).status_code == 403
    admin = await client_for(world.ops_admin)  # assigned nowhere, sees every tenant
    r = await admin.get(
        "/console/audit", params={"tenant_id": str(world.tenant_b.id)}, headers=HTML
    )
    assert r.status_code == 200
    assert "<code>document.downloaded</code>" in r.text
    assert "株式会社エー" in r.text  # both tenants offered
