"""Partner machines: client credentials, grants by tenant admins, bearer tokens."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from litestar import Litestar, Request, get
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.app import create_app
from daiko.auth import partners
from daiko.auth.clock import utcnow
from daiko.auth.keys import load_ring, rotate_keys
from daiko.auth.policy import Action, authorize, request_principal
from daiko.auth.tokens import KeyRing, SigningKey, generate_signing_key, issue_access_token
from daiko.errors import NotFound
from daiko.runtime import Runtime
from tests.auth.conftest import Clock
from tests.factories import TestUser, World

SignedIn = Callable[[TestUser], Awaitable[httpx.AsyncClient]]


@get("/test/tenants/{tenant_id:uuid}/employees", opt={"action": Action.EMPLOYEES_READ})
async def employees_probe(request: Request[Any, Any, Any], tenant_id: uuid.UUID) -> dict[str, str]:
    """A stand-in for a partner-facing tenant route (the employees domain is elsewhere)."""
    principal = request_principal(request)
    assert principal is not None
    if tenant_id not in principal.scope:
        raise NotFound()
    authorize(principal, Action.EMPLOYEES_READ, tenant_id)
    return {"tenant_id": str(tenant_id)}


@pytest.fixture
def app(runtime: Runtime) -> Litestar:
    """This module's app: one of its own with the probe route (the session's shared app
    stays as shipped, for the route-walking tests)."""
    made = create_app(runtime.settings, runtime=runtime)
    made.register(employees_probe)
    return made


@pytest.fixture
def probe_app(app: Litestar) -> Litestar:
    return app


@pytest.fixture
async def partner(runtime: Runtime) -> partners.NewPartner:
    async with runtime.db.global_session() as session:
        return await partners.create_partner(
            session, "Acme HR", frozenset({"employees:read", "employees:write", "documents:write"})
        )


def basic(p: partners.NewPartner) -> dict[str, str]:
    raw = f"{p.client_id}:{p.client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


async def grant(
    client: httpx.AsyncClient, tenant_id: uuid.UUID, client_id: str, scopes: list[str]
) -> httpx.Response:
    return await client.post(
        f"/api/v1/tenants/{tenant_id}/partner-grants",
        json={"client_id": client_id, "scopes": scopes},
    )


async def token_for(
    client: httpx.AsyncClient, p: partners.NewPartner, scope: str | None = None
) -> str:
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    r = await client.post("/oauth/token", data=data, headers=basic(p))
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_grant_token_and_revocation_end_to_end(
    probe_app: Litestar,
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    world: World,
    partner: partners.NewPartner,
    clock: Clock,
    owner_engine: AsyncEngine,
) -> None:
    a, b = world.tenant_a, world.tenant_b
    admin_a = await signed_in(a.users["client_admin"])
    admin_b = await signed_in(b.users["client_admin"])
    listed = await admin_a.get("/api/v1/partner-clients")
    assert listed.json() == [
        {
            "client_id": partner.client_id,
            "name": "Acme HR",
            "allowed_scopes": ["documents:write", "employees:read", "employees:write"],
        }
    ]
    created = await grant(admin_a, a.id, partner.client_id, ["employees:read"])
    assert created.status_code == 201
    body = created.json()
    assert body["tenant_id"] == str(a.id) and body["scopes"] == ["employees:read"]
    assert body["granted_by"] == str(a.users["client_admin"].id) and body["revoked_at"] is None
    assert (await grant(admin_b, b.id, partner.client_id, ["employees:read"])).status_code == 201

    issued = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "employees:read"},
        headers=basic(partner),
    )
    assert issued.status_code == 200
    assert issued.headers["cache-control"] == "no-store"
    assert set(issued.json()) == {"access_token", "token_type", "expires_in", "scope"}
    assert issued.json()["token_type"] == "Bearer"
    assert issued.json()["expires_in"] == 600
    assert issued.json()["scope"] == "employees:read"
    token = issued.json()["access_token"]

    me = await client.get("/api/v1/auth/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json()["kind"] == "partner" and me.json()["client_id"] == partner.client_id
    assert sorted(t["tenant_id"] for t in me.json()["tenants"]) == sorted([str(a.id), str(b.id)])
    ok = await client.get(f"/test/tenants/{a.id}/employees", headers=bearer(token))
    assert ok.status_code == 200 and ok.json() == {"tenant_id": str(a.id)}

    # Tenant A's admin revokes: the same token stops reaching A at once, B still works.
    revoked = await admin_a.delete(f"/api/v1/tenants/{a.id}/partner-grants/{body['id']}")
    assert revoked.status_code == 204
    gone = await client.get(f"/test/tenants/{a.id}/employees", headers=bearer(token))
    assert gone.status_code == 404
    assert (
        await client.get(f"/test/tenants/{b.id}/employees", headers=bearer(token))
    ).status_code == 200
    grants = (await admin_a.get(f"/api/v1/tenants/{a.id}/partner-grants")).json()
    assert len(grants) == 1 and grants[0]["revoked_at"] is not None
    async with owner_engine.connect() as conn:
        trail = (
            await conn.execute(
                text(
                    "select action, actor_id, resource_id from audit_events"
                    " where tenant_id = :t order by seq"
                ),
                {"t": a.id},
            )
        ).all()
    actor = str(a.users["client_admin"].id)
    assert [tuple(r) for r in trail] == [
        ("partner_grant.created", actor, body["id"]),
        ("partner_grant.revoked", actor, body["id"]),
    ]

    # With no grant left, the token reaches no tenant: the guard says 403.
    b_grant = (await admin_b.get(f"/api/v1/tenants/{b.id}/partner-grants")).json()[0]
    assert (
        await admin_b.delete(f"/api/v1/tenants/{b.id}/partner-grants/{b_grant['id']}")
    ).status_code == 204
    none = await client.get(f"/test/tenants/{b.id}/employees", headers=bearer(token))
    assert none.status_code == 403
    assert none.json()["type"] == "urn:daiko:problem:forbidden"


async def test_missing_scope_is_403(
    probe_app: Litestar,
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    world: World,
    partner: partners.NewPartner,
    clock: Clock,
) -> None:
    admin = await signed_in(world.tenant_a.users["client_admin"])
    await grant(admin, world.tenant_a.id, partner.client_id, ["employees:read", "documents:write"])
    token = await token_for(client, partner, "documents:write")
    r = await client.get(f"/test/tenants/{world.tenant_a.id}/employees", headers=bearer(token))
    assert r.status_code == 403
    assert r.json() == {
        "type": "urn:daiko:problem:forbidden",
        "title": "You may not do this",
        "status": 403,
        "detail": "employees:read is not allowed",
        "instance": f"/test/tenants/{world.tenant_a.id}/employees",
    }


async def _ring(runtime: Runtime) -> KeyRing:
    async with runtime.db.global_session() as session:
        return await load_ring(session, runtime.settings, utcnow(runtime))


def _b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


async def test_tampered_tokens_are_401(
    probe_app: Litestar,
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    world: World,
    partner: partners.NewPartner,
    clock: Clock,
    runtime: Runtime,
) -> None:
    admin = await signed_in(world.tenant_a.users["client_admin"])
    await grant(admin, world.tenant_a.id, partner.client_id, ["employees:read"])
    good = await token_for(client, partner)
    ring = await _ring(runtime)
    settings = runtime.settings
    kid = ring.current.kid

    def mint(r: KeyRing, **overrides: Any) -> str:
        args: dict[str, Any] = {
            "client_id": partner.client_id,
            "tenant_ids": [world.tenant_a.id],
            "scopes": ["employees:read"],
            "issuer": partners.token_issuer(settings),
            "audience": partners.token_audience(settings),
            "now": clock.now,
        }
        args.update(overrides)
        return issue_access_token(r, **args)[0]

    other = generate_signing_key(clock.now)
    forged_key = SigningKey(
        kid=kid, private_jwk={**other.private_jwk, "kid": kid}, created_at=clock.now
    )
    _, payload, _ = good.split(".")
    cases = {
        "forged": mint(KeyRing([forged_key], now=clock.now)),
        "alg none": _b64({"alg": "none", "typ": "at+jwt", "kid": kid}) + "." + payload + ".",
        "wrong issuer": mint(ring, issuer="https://evil.example"),
        "wrong audience": mint(ring, audience="https://other.example/api"),
        "garbage": "not.a.token",
    }
    url = f"/test/tenants/{world.tenant_a.id}/employees"
    assert (await client.get(url, headers=bearer(good))).status_code == 200
    for name, token in cases.items():
        r = await client.get(url, headers=bearer(token))
        assert r.status_code == 401, name
        assert r.json()["type"] == "urn:daiko:problem:not-authenticated", name
        assert r.json()["detail"] == "the access token is invalid, expired or revoked", name
        assert r.headers["www-authenticate"] == 'Bearer realm="daiko", error="invalid_token"'

    clock.advance(minutes=10)
    expired = await client.get(url, headers=bearer(good))
    assert expired.status_code == 401


async def test_revoked_token_is_401(
    probe_app: Litestar,
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    world: World,
    partner: partners.NewPartner,
    clock: Clock,
) -> None:
    admin = await signed_in(world.tenant_a.users["client_admin"])
    await grant(admin, world.tenant_a.id, partner.client_id, ["employees:read"])
    token = await token_for(client, partner)
    url = f"/test/tenants/{world.tenant_a.id}/employees"
    assert (await client.get(url, headers=bearer(token))).status_code == 200
    r = await client.post("/oauth/revoke", data={"token": token}, headers=basic(partner))
    assert r.status_code == 200
    assert (await client.get(url, headers=bearer(token))).status_code == 401
    # Unknown tokens are "revoked" too, silently (RFC 7009 §2.2).
    assert (
        await client.post("/oauth/revoke", data={"token": "junk"}, headers=basic(partner))
    ).status_code == 200


async def test_token_endpoint_errors_follow_rfc_6749(
    client: httpx.AsyncClient, partner: partners.NewPartner, clock: Clock
) -> None:
    async def post(data: dict[str, str], headers: dict[str, str] | None = None) -> httpx.Response:
        return await client.post("/oauth/token", data=data, headers=headers or {})

    r = await post({"grant_type": "password", "username": "x"}, basic(partner))
    assert (r.status_code, r.json()["error"]) == (400, "unsupported_grant_type")
    r = await post({}, basic(partner))
    assert (r.status_code, r.json()["error"]) == (400, "invalid_request")
    wrong = {
        "Authorization": "Basic " + base64.b64encode(f"{partner.client_id}:nope".encode()).decode()
    }
    r = await post({"grant_type": "client_credentials"}, wrong)
    assert r.status_code == 401
    assert r.json() == {
        "error": "invalid_client",
        "error_description": "client authentication failed",
    }
    assert r.headers["www-authenticate"] == 'Basic realm="daiko"'
    r = await post({"grant_type": "client_credentials"})
    assert (r.status_code, r.json()["error"]) == (401, "invalid_client")
    r = await post({"grant_type": "client_credentials", "scope": "payroll:read"}, basic(partner))
    assert (r.status_code, r.json()["error"]) == (400, "invalid_scope")
    r = await post({"grant_type": "client_credentials", "scope": "root:all"}, basic(partner))
    assert (r.status_code, r.json()["error"]) == (400, "invalid_scope")
    # Form-field client authentication works too.
    r = await post(
        {
            "grant_type": "client_credentials",
            "client_id": partner.client_id,
            "client_secret": partner.client_secret,
        }
    )
    assert r.status_code == 200
    assert r.json()["scope"] == "documents:write employees:read employees:write"


async def test_jwks_publishes_public_keys_and_rotation_keeps_old_tokens(
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    world: World,
    partner: partners.NewPartner,
    clock: Clock,
    runtime: Runtime,
) -> None:
    token = await token_for(client, partner)
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert len(jwks["keys"]) == 1
    key = jwks["keys"][0]
    assert key["alg"] == "ES256" and key["use"] == "sig" and "d" not in key
    async with runtime.db.global_session() as session:
        await rotate_keys(session, runtime.settings, clock.now)
    assert len((await client.get("/.well-known/jwks.json")).json()["keys"]) == 2
    assert (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code == 200
    newer = await token_for(client, partner)
    assert json.loads(base64.urlsafe_b64decode(newer.split(".")[0] + "=="))["kid"] != key["kid"]


class TestGrantRoutes:
    """Every grant route: anonymous 401, weak role 403, other tenant 404, valid."""

    async def test_anonymous_is_401(self, client: httpx.AsyncClient, world: World) -> None:
        a = world.tenant_a.id
        for method, path in (
            ("GET", "/api/v1/partner-clients"),
            ("GET", f"/api/v1/tenants/{a}/partner-grants"),
            ("POST", f"/api/v1/tenants/{a}/partner-grants"),
            ("DELETE", f"/api/v1/tenants/{a}/partner-grants/{uuid.uuid4()}"),
        ):
            r = await client.request(method, path, json={} if method == "POST" else None)
            assert r.status_code == 401, path
            assert r.json()["type"] == "urn:daiko:problem:not-authenticated"

    async def test_weak_roles_are_403(
        self, signed_in: SignedIn, world: World, partner: partners.NewPartner
    ) -> None:
        a = world.tenant_a
        for user in (a.users["client_member"], a.users["client_viewer"], world.lead):
            c = await signed_in(user)
            r = await grant(c, a.id, partner.client_id, ["employees:read"])
            assert r.status_code == 403, user.email
            assert (await c.get(f"/api/v1/tenants/{a.id}/partner-grants")).status_code == 403

    async def test_other_tenant_is_404(
        self, signed_in: SignedIn, world: World, partner: partners.NewPartner, clock: Clock
    ) -> None:
        admin_a = await signed_in(world.tenant_a.users["client_admin"])
        admin_b = await signed_in(world.tenant_b.users["client_admin"])
        made = await grant(admin_a, world.tenant_a.id, partner.client_id, ["employees:read"])
        grant_id = made.json()["id"]
        a, b = world.tenant_a.id, world.tenant_b.id
        assert (await admin_b.get(f"/api/v1/tenants/{a}/partner-grants")).status_code == 404
        assert (await grant(admin_b, a, partner.client_id, ["employees:read"])).status_code == 404
        assert (
            await admin_b.delete(f"/api/v1/tenants/{a}/partner-grants/{grant_id}")
        ).status_code == 404
        # Through B's own tenant path, A's grant id is simply not there.
        assert (
            await admin_b.delete(f"/api/v1/tenants/{b}/partner-grants/{grant_id}")
        ).status_code == 404

    async def test_bad_grants_are_refused(
        self, signed_in: SignedIn, world: World, partner: partners.NewPartner, clock: Clock
    ) -> None:
        admin = await signed_in(world.tenant_a.users["client_admin"])
        a = world.tenant_a.id
        beyond = await grant(admin, a, partner.client_id, ["payroll:read"])
        assert beyond.status_code == 422
        assert beyond.json()["errors"] == [
            {"field": "scopes", "reason": "this partner may not request: payroll:read"}
        ]
        unknown = await grant(admin, a, "dkp_nobody", ["employees:read"])
        assert unknown.status_code == 422
        assert (await grant(admin, a, partner.client_id, ["employees:read"])).status_code == 201
        dup = await grant(admin, a, partner.client_id, ["employees:write"])
        assert dup.status_code == 409
        assert dup.json()["type"] == "urn:daiko:problem:conflict"
