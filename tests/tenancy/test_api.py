"""The tenant API's valid paths and rules (the route matrix covers 401/403/404)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import World
from tests.tenancy.conftest import SignedIn


async def test_tenant_list_is_the_principals_own_or_all_for_ops_admin(
    world: World, signed_in: SignedIn
) -> None:
    member = await signed_in(world.tenant_a.users["client_member"])
    r = await member.get("/api/v1/tenants")
    assert [t["slug"] for t in r.json()] == ["tenant-a"]
    lead = await signed_in(world.lead)
    assert [t["slug"] for t in (await lead.get("/api/v1/tenants")).json()] == [
        "tenant-a",
        "tenant-b",
    ]
    admin = await signed_in(world.ops_admin)
    assert [t["slug"] for t in (await admin.get("/api/v1/tenants")).json()] == [
        "tenant-a",
        "tenant-b",
    ]
    r = await member.get(f"/api/v1/tenants/{world.tenant_a.id}")
    assert (r.status_code, r.json()["name"], r.json()["status"]) == (200, "株式会社エー", "active")


async def test_client_admin_manages_members_and_keeps_one_admin(
    world: World, signed_in: SignedIn, owner_engine: AsyncEngine
) -> None:
    a = world.tenant_a
    admin = await signed_in(a.users["client_admin"])
    base = f"/api/v1/tenants/{a.id}/members"
    r = await admin.post(base, json={"email": "New.Hire@Tenant-A.example", "role": "client_member"})
    assert r.status_code == 201, r.text
    new = r.json()
    assert (new["email"], new["role"], new["display_name"]) == (
        "new.hire@tenant-a.example",
        "client_member",
        "new.hire@tenant-a.example",
    )
    r = await admin.post(base, json={"email": "new.hire@tenant-a.example", "role": "client_viewer"})
    assert (r.status_code, r.json()["type"]) == (409, "urn:daiko:problem:conflict")
    r = await admin.post(base, json={"email": "operator@daiko.example", "role": "client_viewer"})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "email")

    r = await admin.patch(f"{base}/{new['id']}", json={"role": "client_admin"})
    assert (r.status_code, r.json()["role"]) == (200, "client_admin")
    emails = [m["email"] for m in (await admin.get(base)).json()]
    assert emails == [
        "admin@tenant-a.example",
        "member@tenant-a.example",
        "viewer@tenant-a.example",
        "new.hire@tenant-a.example",
    ]
    assert (await admin.delete(f"{base}/{new['id']}")).status_code == 204
    assert (await admin.get(f"{base}/{new['id']}")).status_code == 404

    # The last client_admin can be neither demoted nor removed.
    own = next(m for m in (await admin.get(base)).json() if m["role"] == "client_admin")
    r = await admin.patch(f"{base}/{own['id']}", json={"role": "client_viewer"})
    assert (r.status_code, r.json()["detail"]) == (409, "a tenant keeps at least one client_admin")
    assert (await admin.delete(f"{base}/{own['id']}")).status_code == 409

    async with owner_engine.connect() as conn:
        actions = (
            await conn.execute(
                text("select action from audit_events where tenant_id = :t order by seq"),
                {"t": a.id},
            )
        ).scalars()
        assert list(actions) == [
            "membership.created",
            "membership.role_changed",
            "membership.deleted",
        ]


async def test_ops_admin_assigns_operators_and_suspends(world: World, signed_in: SignedIn) -> None:
    b = world.tenant_b
    admin = await signed_in(world.ops_admin)
    base = f"/api/v1/tenants/{b.id}/operators"
    r = await admin.post(base, json={"email": "operator@daiko.example", "role": "operator"})
    assert r.status_code == 201, r.text
    assignment = r.json()
    assert [(o["email"], o["role"]) for o in (await admin.get(base)).json()] == [
        ("lead@daiko.example", "lead"),
        ("operator@daiko.example", "operator"),
    ]
    # The operator now serves B too.
    operator = await signed_in(world.operator)
    assert (await operator.get(f"/api/v1/tenants/{b.id}")).status_code == 200
    r = await admin.patch(f"{base}/{assignment['id']}", json={"role": "lead"})
    assert r.json()["role"] == "lead"
    assert (await admin.delete(f"{base}/{assignment['id']}")).status_code == 204
    r = await admin.post(base, json={"email": "admin@tenant-b.example"})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "email")

    r = await admin.post(f"/api/v1/tenants/{b.id}/suspend")
    assert (r.status_code, r.json()["status"]) == (200, "suspended")
    b_admin = await signed_in(b.users["client_admin"])
    members = f"/api/v1/tenants/{b.id}/members"
    assert (await b_admin.get(members)).status_code == 200  # reads still work
    r = await b_admin.post(members, json={"email": "x@tenant-b.example", "role": "client_viewer"})
    assert r.status_code == 403
    r = await admin.post(f"/api/v1/tenants/{b.id}/reactivate")
    assert r.json()["status"] == "active"
    r = await b_admin.post(members, json={"email": "x@tenant-b.example", "role": "client_viewer"})
    assert r.status_code == 201
