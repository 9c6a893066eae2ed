"""Portal pages of a company administrator (users and roles, partner access, company
settings) and the ops_admin console (onboarding, operator assignments): each change is
made and audited, refused changes say why, other tenants' ids are not found."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.audit.models import AuditEvent
from daiko.auth.models import PartnerClient, PartnerGrant
from daiko.auth.partners import hash_secret
from daiko.runtime import Runtime
from daiko.tenancy.models import Membership, OperatorAssignment, Tenant, User
from tests.auth.test_invitations import LINK, body, mails
from tests.factories import TestUser, World

EN = {"accept": "text/html", "accept-language": "en"}
ClientFor = Callable[[TestUser], Awaitable[httpx.AsyncClient]]


def csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


async def actions(engine: AsyncEngine, tenant_id: object) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(AuditEvent.action)
            .where(AuditEvent.tenant_id == tenant_id)
            .order_by(AuditEvent.seq)
        )
        return list(rows.scalars())


async def membership_id(engine: AsyncEngine, tenant_id: object, user_id: object) -> str:
    async with engine.connect() as conn:
        found = await conn.scalar(
            select(Membership.id).where(
                Membership.tenant_id == tenant_id, Membership.user_id == user_id
            )
        )
    return str(found)


async def test_admin_adds_changes_and_removes_members(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    a = world.tenant_a
    c = await client_for(a.users["client_admin"])
    page = await c.get("/portal/members", headers=EN)
    assert page.status_code == 200
    assert a.users["client_viewer"].email in page.text
    assert world.tenant_b.users["client_viewer"].email not in page.text
    token = csrf(page)

    bad = await c.post(
        "/portal/members",
        headers=EN,
        data={"csrf_token": token, "tenant_id": str(a.id), "email": "not-an-address", "role": "x"},
    )
    assert bad.status_code == 422
    assert "Enter an e-mail address like name@example.co.jp." in bad.text
    assert "Choose one of the options." in bad.text

    r = await c.post(
        "/portal/members",
        headers=EN,
        data={
            "csrf_token": token,
            "tenant_id": str(a.id),
            "email": "New.Person@tenant-a.example",
            "display_name": "新人",
            "role": "client_viewer",
        },
    )
    assert r.status_code == 303
    again = await c.post(
        "/portal/members",
        headers=EN,
        data={
            "csrf_token": token,
            "tenant_id": str(a.id),
            "email": "new.person@tenant-a.example",
            "role": "client_viewer",
        },
    )
    assert again.status_code == 422 and "This person is already a member." in again.text

    async with owner_engine.connect() as conn:
        new_user = (
            await conn.execute(select(User).where(User.email == "new.person@tenant-a.example"))
        ).one()
    new_member = await membership_id(owner_engine, a.id, new_user.id)
    r = await c.post(
        "/portal/members/role",
        headers=EN,
        data={
            "csrf_token": token,
            "tenant_id": str(a.id),
            "member_id": new_member,
            "role": "client_member",
        },
    )
    assert r.status_code == 303
    r = await c.post(
        "/portal/members/remove",
        headers=EN,
        data={"csrf_token": token, "tenant_id": str(a.id), "member_id": new_member},
    )
    assert r.status_code == 303
    # The last administrator stays.
    own = await membership_id(owner_engine, a.id, a.users["client_admin"].id)
    r = await c.post(
        "/portal/members/role",
        headers=EN,
        data={
            "csrf_token": token,
            "tenant_id": str(a.id),
            "member_id": own,
            "role": "client_viewer",
        },
    )
    assert r.status_code == 303
    shown = await c.get(r.headers["location"], headers=EN)
    assert "A company keeps at least one administrator." in shown.text
    assert await actions(owner_engine, a.id) == [
        "membership.created",
        "membership.role_changed",
        "membership.deleted",
    ]
    # Tenant B's member is not found from tenant A's admin.
    foreign = await membership_id(
        owner_engine, world.tenant_b.id, world.tenant_b.users["client_viewer"].id
    )
    r = await c.post(
        "/portal/members/remove",
        headers=EN,
        data={"csrf_token": token, "tenant_id": str(a.id), "member_id": foreign},
    )
    assert r.status_code == 404
    r = await c.post(
        "/portal/members/remove",
        headers=EN,
        data={"csrf_token": token, "tenant_id": str(world.tenant_b.id), "member_id": foreign},
    )
    assert r.status_code == 404


async def test_members_page_is_for_admins(world: World, client_for: ClientFor) -> None:
    member = await client_for(world.tenant_a.users["client_member"])
    assert (await member.get("/portal/members", headers=EN)).status_code == 403
    assert (await member.get("/portal/partners", headers=EN)).status_code == 403
    assert (await member.get("/portal/settings/company", headers=EN)).status_code == 403


async def test_admin_grants_and_revokes_partner_access(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    async with owner_engine.begin() as conn:
        await conn.execute(
            insert(PartnerClient).values(
                client_id="dkp_attendance",
                name="勤怠クラウド",
                secret_hash=hash_secret("s"),
                allowed_scopes=["employees:read", "attendance:write"],
            )
        )
    a = world.tenant_a
    c = await client_for(a.users["client_admin"])
    page = await c.get("/portal/partners", headers=EN)
    assert page.status_code == 200 and "勤怠クラウド" in page.text
    token = csrf(page)
    bad = await c.post(
        "/portal/partners",
        headers=EN,
        data={"csrf_token": token, "tenant_id": str(a.id), "client_id": "dkp_attendance"},
    )
    assert bad.status_code == 422 and "Tick at least one permission." in bad.text
    beyond = await c.post(
        "/portal/partners",
        headers=EN,
        data={
            "csrf_token": token,
            "tenant_id": str(a.id),
            "client_id": "dkp_attendance",
            "scopes": ["payroll:read"],
        },
    )
    assert beyond.status_code == 422
    assert "This partner may not have these permissions." in beyond.text
    r = await c.post(
        "/portal/partners",
        headers=EN,
        data={
            "csrf_token": token,
            "tenant_id": str(a.id),
            "client_id": "dkp_attendance",
            "scopes": ["employees:read"],
        },
    )
    assert r.status_code == 303
    async with owner_engine.connect() as conn:
        grant = (await conn.execute(select(PartnerGrant))).one()
    assert (grant.tenant_id, grant.scopes, grant.revoked_at) == (a.id, ["employees:read"], None)
    r = await c.post(
        "/portal/partners/revoke",
        headers=EN,
        data={"csrf_token": token, "tenant_id": str(a.id), "grant_id": str(grant.id)},
    )
    assert r.status_code == 303
    async with owner_engine.connect() as conn:
        revoked = (await conn.execute(select(PartnerGrant.revoked_at))).scalar_one()
    assert revoked is not None
    assert await actions(owner_engine, a.id) == ["partner_grant.created", "partner_grant.revoked"]
    b_admin = await client_for(world.tenant_b.users["client_admin"])
    b_page = await b_admin.get("/portal/partners", headers=EN)
    r = await b_admin.post(
        "/portal/partners/revoke",
        headers=EN,
        data={
            "csrf_token": csrf(b_page),
            "tenant_id": str(world.tenant_b.id),
            "grant_id": str(grant.id),
        },
    )
    assert r.status_code == 404


async def test_admin_changes_company_settings(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    a = world.tenant_a
    c = await client_for(a.users["client_admin"])
    page = await c.get("/portal/settings/company", headers=EN)
    assert page.status_code == 200
    token = csrf(page)
    bad = await c.post(
        "/portal/settings/company",
        headers=EN,
        data={
            "csrf_token": token,
            "tenant_id": str(a.id),
            "locale": "fr",
            "notification_email": "nope",
        },
    )
    assert bad.status_code == 422
    assert 'id="e-notification_email">Enter an e-mail address' in bad.text
    r = await c.post(
        "/portal/settings/company",
        headers=EN,
        data={
            "csrf_token": token,
            "tenant_id": str(a.id),
            "locale": "en",
            "require_mfa": "on",
            "notification_email": "Keiri@Tenant-A.example",
        },
    )
    assert r.status_code == 303
    async with owner_engine.connect() as conn:
        t = (await conn.execute(select(Tenant).where(Tenant.id == a.id))).one()
    assert (t.locale, t.require_mfa) == ("en", True)
    assert t.settings["notifications"] == {"email": "keiri@tenant-a.example"}
    assert await actions(owner_engine, a.id) == ["tenant.settings_changed"]


async def test_ops_admin_onboards_a_tenant_and_assigns_operators(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor, runtime: Runtime
) -> None:
    c = await client_for(world.ops_admin)
    page = await c.get("/console/tenants", headers=EN)
    assert page.status_code == 200
    assert "tenant-a" in page.text and "operator@daiko.example" in page.text
    token = csrf(page)
    bad = await c.post(
        "/console/tenants",
        headers=EN,
        data={
            "csrf_token": token,
            "slug": "Bad Slug",
            "name": "",
            "name_kana": "カナ",
            "corporate_number": "7000012050003",
            "prefecture": "99",
            "locale": "ja",
            "admin_email": "x",
        },
    )
    assert bad.status_code == 422
    errors = dict(re.findall(r'<p class="field-error" id="e-([a-z_]+)">([^<]+)</p>', bad.text))
    assert errors == {
        "slug": "Lower-case letters, digits and hyphens, like tokyo-soft.",
        "name": "This field is required.",
        "corporate_number": "Not a valid corporate number (13 digits).",
        "prefecture": "Choose one of the options.",
        "services": "Tick at least one service.",
        "admin_email": "Enter an e-mail address like name@example.co.jp.",
        "admin_name": "This field is required.",
    }
    taken = await c.post(
        "/console/tenants",
        headers=EN,
        data={
            "csrf_token": token,
            "slug": "tenant-a",
            "name": "X",
            "name_kana": "エックス",
            "corporate_number": "7000012050002",
            "prefecture": "13",
            "services": "payroll",
            "locale": "ja",
            "admin_email": "boss@x.example",
            "admin_name": "社長",
        },
    )
    assert taken.status_code == 422
    assert "This slug is taken." in taken.text and "Another company has this number." in taken.text
    r = await c.post(
        "/console/tenants",
        headers=EN,
        data={
            "csrf_token": token,
            "slug": "kyoto-ya",
            "name": "株式会社京都屋",
            "name_kana": "キョウトヤ",
            "corporate_number": "2120001999902",
            "prefecture": "26",
            "services": ["payroll", "bookkeeping"],
            "locale": "ja",
            "admin_email": "Boss@Kyoto-ya.example",
            "admin_name": "京都 太郎",
            "operators": ["operator@daiko.example", "lead@daiko.example"],
            "lead": "lead@daiko.example",
        },
    )
    assert r.status_code == 303, r.text
    async with owner_engine.connect() as conn:
        t = (await conn.execute(select(Tenant).where(Tenant.slug == "kyoto-ya"))).one()
        ops = (
            await conn.execute(
                select(User.email, OperatorAssignment.role)
                .join(OperatorAssignment, OperatorAssignment.user_id == User.id)
                .where(OperatorAssignment.tenant_id == t.id)
                .order_by(User.email)
            )
        ).all()
        admins = (
            await conn.execute(
                select(User.email, Membership.role)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.tenant_id == t.id)
            )
        ).all()
    assert r.headers["location"] == f"/console/tenants/{t.id}"
    assert (t.prefecture, t.services) == ("26", ["payroll", "bookkeeping"])
    assert [tuple(o) for o in ops] == [
        ("lead@daiko.example", "lead"),
        ("operator@daiko.example", "operator"),
    ]
    assert [tuple(m) for m in admins] == [("boss@kyoto-ya.example", "client_admin")]
    assert await actions(owner_engine, t.id) == ["tenant.created"]
    # The first administrator is invited to choose a password.
    [invited] = [m for m in mails(runtime) if m["To"] == "boss@kyoto-ya.example"]
    assert invited["Subject"] == "Daiko: 株式会社京都屋"
    assert LINK.search(body(invited)) is not None

    detail = await c.get(f"/console/tenants/{t.id}", headers=EN)
    assert detail.status_code == 200 and "operator@daiko.example" in detail.text
    r = await c.post(
        f"/console/tenants/{t.id}/operators",
        headers=EN,
        data={
            "csrf_token": token,
            "op": "add",
            "email": "boss@kyoto-ya.example",
            "role": "operator",
        },
    )
    shown = await c.get(r.headers["location"], headers=EN)
    assert "This address belongs to a client user, not an operator." in shown.text
    r = await c.post(
        f"/console/tenants/{t.id}/operators",
        headers=EN,
        data={
            "csrf_token": token,
            "op": "add",
            "email": "new.op@daiko.example",
            "role": "operator",
        },
    )
    assert r.status_code == 303
    async with owner_engine.connect() as conn:
        op_row = (
            await conn.execute(
                select(OperatorAssignment.id)
                .join(User, User.id == OperatorAssignment.user_id)
                .where(User.email == "operator@daiko.example", OperatorAssignment.tenant_id == t.id)
            )
        ).scalar_one()
    await c.post(
        f"/console/tenants/{t.id}/operators",
        headers=EN,
        data={"csrf_token": token, "op": "role", "assignment_id": str(op_row), "role": "lead"},
    )
    await c.post(
        f"/console/tenants/{t.id}/operators",
        headers=EN,
        data={"csrf_token": token, "op": "remove", "assignment_id": str(op_row)},
    )
    assert (await actions(owner_engine, t.id))[1:] == [
        "operator_assignment.created",
        "operator_assignment.role_changed",
        "operator_assignment.deleted",
    ]
    # An assignment of another tenant is not found under this one.
    r = await c.post(
        f"/console/tenants/{world.tenant_b.id}/operators",
        headers=EN,
        data={"csrf_token": token, "op": "remove", "assignment_id": str(op_row)},
    )
    assert r.status_code == 404


async def test_console_tenants_is_for_ops_admin(world: World, client_for: ClientFor) -> None:
    lead = await client_for(world.lead)
    assert (await lead.get("/console/tenants", headers=EN)).status_code == 403
