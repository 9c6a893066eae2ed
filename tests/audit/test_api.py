"""GET /api/v1/tenants/{tenant_id}/audit-events: 401, 403, other tenant 404, valid."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from daiko.runtime import Runtime
from tests.audit.helpers import append
from tests.factories import TestUser, World

ClientFor = Callable[[TestUser], Awaitable[httpx.AsyncClient]]


def _url(tenant_id: object) -> str:
    return f"/api/v1/tenants/{tenant_id}/audit-events"


async def test_anonymous_is_401(client: httpx.AsyncClient, world: World) -> None:
    r = await client.get(_url(world.tenant_a.id))
    assert r.status_code == 401
    assert r.json()["type"] == "urn:daiko:problem:not-authenticated"


async def test_roles_without_audit_read_are_403(client_for: ClientFor, world: World) -> None:
    for user in (
        world.tenant_a.users["client_member"],
        world.tenant_a.users["client_viewer"],
        world.operator,
    ):
        r = await (await client_for(user)).get(_url(world.tenant_a.id))
        assert r.status_code == 403, user.email
        assert r.json()["type"] == "urn:daiko:problem:forbidden"


async def test_another_tenant_is_404(client_for: ClientFor, world: World, runtime: Runtime) -> None:
    await append(runtime, world.tenant_a.id, 1)
    c = await client_for(world.tenant_b.users["client_admin"])
    r = await c.get(_url(world.tenant_a.id))
    assert r.status_code == 404
    assert r.json()["type"] == "urn:daiko:problem:not-found"
    r = await c.get(_url("01900000-0000-7000-8000-000000000099"))
    assert r.status_code == 404


async def test_client_admin_pages_newest_first(
    client_for: ClientFor, world: World, runtime: Runtime
) -> None:
    await append(runtime, world.tenant_a.id, 5)
    await append(runtime, world.tenant_b.id, 2)
    c = await client_for(world.tenant_a.users["client_admin"])
    r = await c.get(_url(world.tenant_a.id), params={"limit": 2})
    assert r.status_code == 200
    page = r.json()
    assert [e["seq"] for e in page["items"]] == [5, 4]
    assert page["next_cursor"] == 4
    first = page["items"][0]
    assert (first["action"], first["resource"], first["actor"], first["details"]) == (
        "case.status_changed",
        {"type": "case", "id": "case-5"},
        {"kind": "system", "id": "tests", "display": "tests"},
        {"n": 5},
    )
    assert len(first["hash"]) == 64
    r = await c.get(_url(world.tenant_a.id), params={"limit": 2, "cursor": 4})
    assert ([e["seq"] for e in r.json()["items"]], r.json()["next_cursor"]) == ([3, 2], 2)
    r = await c.get(_url(world.tenant_a.id), params={"limit": 2, "cursor": 2})
    assert ([e["seq"] for e in r.json()["items"]], r.json()["next_cursor"]) == ([1], None)


async def test_filters(client_for: ClientFor, world: World, runtime: Runtime) -> None:
    await append(runtime, world.tenant_a.id, 2)
    await append(runtime, world.tenant_a.id, 1, action="document.downloaded")
    c = await client_for(world.lead)
    url = _url(world.tenant_a.id)

    async def seqs(**params: str) -> list[int]:
        r = await c.get(url, params=params)
        assert r.status_code == 200, r.text
        return [e["seq"] for e in r.json()["items"]]

    assert await seqs(action="document.downloaded") == [3]
    assert await seqs(resource_type="case", resource_id="case-2") == [2]
    assert await seqs(actor_kind="system", actor_id="tests") == [3, 2, 1]
    assert await seqs(actor_kind="partner") == []
    r = await c.get(url, params={"actor_kind": "robot"})
    assert r.status_code == 400
    r = await c.get(url, params={"limit": 500})
    assert r.status_code == 400


async def test_lead_reads_both_tenants_each_alone(
    client_for: ClientFor, world: World, runtime: Runtime
) -> None:
    await append(runtime, world.tenant_a.id, 2)
    await append(runtime, world.tenant_b.id, 1, action="document.downloaded")
    c = await client_for(world.lead)
    b = (await c.get(_url(world.tenant_b.id))).json()["items"]
    assert [(e["seq"], e["action"]) for e in b] == [(1, "document.downloaded")]
