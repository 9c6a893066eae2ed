"""People signing in over HTTP: password, sessions, CSRF, TOTP, timeouts, sign-out."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.sessions import COOKIE_NAME
from daiko.tenancy.models import User
from tests.auth.conftest import (
    PASSWORD,
    Clock,
    code_at,
    csrf_token,
    login,
    session_cookie,
    set_tenant,
)
from tests.factories import World

INVALID = {
    "type": "urn:daiko:problem:invalid-credentials",
    "title": "The e-mail address or password is not correct",
    "status": 401,
    "detail": "The e-mail address or password is not correct",
    "instance": "/api/v1/auth/login",
}


async def test_client_user_signs_in_with_password(
    client: httpx.AsyncClient, passwords: World, clock: Clock
) -> None:
    member = passwords.tenant_a.users["client_member"]
    r = await login(client, member.email.upper())  # e-mail is case-insensitive
    assert r.status_code == 200
    body = r.json()
    assert body["mfa_pending"] is False and body["mfa_enrolled"] is False
    set_cookie = r.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie and "Path=/" in set_cookie
    assert "Secure" not in set_cookie  # plain-HTTP test base URL
    assert r.headers["cache-control"] == "no-store"
    me = await client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == member.email
    assert me.json()["tenants"] == [
        {"tenant_id": str(passwords.tenant_a.id), "role": "client_member", "scopes": None}
    ]
    assert me.json()["csrf_token"] == body["csrf_token"]


async def test_unknown_user_and_wrong_password_get_the_same_answer(
    client: httpx.AsyncClient, passwords: World, clock: Clock
) -> None:
    member = passwords.tenant_a.users["client_member"]
    wrong = await login(client, member.email, "not the password at all")
    unknown = await login(client, "nobody@nowhere.example", PASSWORD)
    assert (wrong.status_code, unknown.status_code) == (401, 401)
    assert wrong.json() == INVALID
    assert unknown.json() == INVALID
    assert "set-cookie" not in wrong.headers


async def test_user_without_password_cannot_sign_in(
    client: httpx.AsyncClient, world: World, clock: Clock
) -> None:
    r = await login(client, world.tenant_a.users["client_member"].email)
    assert r.status_code == 401
    assert r.json() == INVALID


async def test_session_fixation_pre_login_id_is_never_the_signed_in_one(
    client: httpx.AsyncClient, passwords: World, clock: Clock
) -> None:
    member = passwords.tenant_a.users["client_member"]
    client.cookies.set(COOKIE_NAME, "attacker-planted-session-id")
    r = await login(client, member.email)
    new = session_cookie(r)
    assert new is not None and new != "attacker-planted-session-id"

    # Signing in again from a signed-in browser rotates the id and ends the old session.
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    again = await login(client, member.email)
    newer = session_cookie(again)
    assert newer is not None and newer != new
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as old:
        old.cookies.set(COOKIE_NAME, new)
        gone = await old.get("/api/v1/auth/me")
    assert gone.status_code == 401
    assert gone.json()["detail"] == "your session has ended; sign in again"


async def test_csrf_token_is_required_for_cookie_authenticated_unsafe_calls(
    client: httpx.AsyncClient, passwords: World, clock: Clock
) -> None:
    r = await login(client, passwords.tenant_a.users["client_admin"].email)
    token = r.json()["csrf_token"]
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        refused = await client.post("/api/v1/auth/logout-everywhere", headers=headers)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json() == {
            "type": "urn:daiko:problem:csrf",
            "title": "The request did not come from a Daiko page",
            "status": 403,
            "detail": "The form has expired or was not sent from a Daiko page; "
            "reload the page and try again.",
            "instance": "/api/v1/auth/logout-everywhere",
        }
    # A form field works as well as the header.
    ok = await client.post("/api/v1/auth/logout", data={"csrf_token": token})
    assert ok.status_code == 200
    assert ok.json() == {"sessions_revoked": 1}


async def test_sign_in_form_needs_the_double_submit_token(
    client: httpx.AsyncClient, passwords: World, clock: Clock
) -> None:
    email = passwords.tenant_a.users["client_member"].email
    forged = await client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert forged.status_code == 403
    assert forged.json()["type"] == "urn:daiko:problem:csrf"

    page = await client.get("/auth/login")
    assert page.status_code == 200
    token = page.cookies["daiko_csrf"]
    assert f'name="csrf_token" value="{token}"' in page.text
    done = await client.post(
        "/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/"
    assert session_cookie(done) is not None
    wrong = await client.post(
        "/auth/login",
        data={"email": email, "password": "nope", "csrf_token": token},
        headers={"X-CSRF-Token": ""},
    )
    assert wrong.status_code == 403  # now a session exists: its own token is required


async def test_sign_out_everywhere_ends_every_session(
    app: object, client: httpx.AsyncClient, passwords: World, clock: Clock
) -> None:
    email = passwords.tenant_a.users["client_admin"].email
    laptop = await login(client, email)
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as phone:
        assert (await login(phone, email)).status_code == 200
        assert (await phone.get("/api/v1/auth/me")).status_code == 200
        r = await client.post(
            "/api/v1/auth/logout-everywhere",
            headers={"X-CSRF-Token": laptop.json()["csrf_token"]},
        )
        assert r.status_code == 200
        assert r.json() == {"sessions_revoked": 2}
        assert (await phone.get("/api/v1/auth/me")).status_code == 401
    assert (await client.get("/api/v1/auth/me")).status_code == 401


async def test_idle_and_absolute_timeouts(
    client: httpx.AsyncClient, passwords: World, clock: Clock
) -> None:
    email = passwords.tenant_a.users["client_member"].email
    await login(client, email)
    clock.advance(minutes=29)
    assert (await client.get("/api/v1/auth/me")).status_code == 200  # pushes idle forward
    clock.advance(minutes=29)
    assert (await client.get("/api/v1/auth/me")).status_code == 200
    clock.advance(minutes=31)
    assert (await client.get("/api/v1/auth/me")).status_code == 401  # idle

    await login(client, email)
    for _ in range(23):  # active all day, every 29 minutes: 11 h 07 min
        clock.advance(minutes=29)
        assert (await client.get("/api/v1/auth/me")).status_code == 200
    clock.advance(minutes=29)  # 11 h 36 min
    assert (await client.get("/api/v1/auth/me")).status_code == 200
    clock.advance(minutes=25)  # past 12 h since sign-in
    r = await client.get("/api/v1/auth/me")
    assert r.status_code == 401
    assert r.json()["detail"] == "your session has ended; sign in again"


async def test_operator_enrols_totp_then_signs_in_with_it(
    client: httpx.AsyncClient, passwords: World, clock: Clock, owner_engine: AsyncEngine
) -> None:
    r = await login(client, passwords.operator.email)
    assert r.status_code == 200
    assert r.json()["mfa_pending"] is True and r.json()["mfa_enrolled"] is False
    csrf = {"X-CSRF-Token": r.json()["csrf_token"]}
    pending = await client.get("/api/v1/auth/me")
    assert pending.status_code == 401
    assert pending.json()["detail"] == (
        "sign-in is not complete: verify your second factor at /auth/mfa"
    )
    # Verifying before enrolment is refused.
    early = await client.post("/api/v1/auth/mfa/verify", json={"code": "123456"}, headers=csrf)
    assert early.status_code == 409
    assert early.json()["type"] == "urn:daiko:problem:mfa-not-enrolled"

    enrol = await client.post("/api/v1/auth/mfa/enrolment", headers=csrf)
    assert enrol.status_code == 200
    secret = enrol.json()["secret"]
    assert enrol.json()["otpauth_uri"].startswith("otpauth://totp/Daiko:operator%40daiko.example?")
    wrong = await client.post(
        "/api/v1/auth/mfa/enrolment/confirm", json={"code": "000000"}, headers=csrf
    )
    assert wrong.status_code == 401
    assert wrong.json()["type"] == "urn:daiko:problem:invalid-code"
    pending_cookie = client.cookies[COOKIE_NAME]
    confirmed = await client.post(
        "/api/v1/auth/mfa/enrolment/confirm",
        json={"code": code_at(secret, clock.now)},
        headers=csrf,
    )
    assert confirmed.status_code == 200
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10
    assert client.cookies[COOKIE_NAME] != pending_cookie  # rotated on MFA
    me = await client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["mfa_verified"] is True

    # Next sign-in: password, then the code. The code just used cannot be replayed.
    csrf = {"X-CSRF-Token": confirmed.json()["csrf_token"]}
    second = await login(client, passwords.operator.email, csrf=csrf["X-CSRF-Token"])
    assert second.json() == {
        "mfa_pending": True,
        "mfa_enrolled": True,
        "csrf_token": second.json()["csrf_token"],
    }
    csrf = {"X-CSRF-Token": second.json()["csrf_token"]}
    replay = await client.post(
        "/api/v1/auth/mfa/verify", json={"code": code_at(secret, clock.now)}, headers=csrf
    )
    assert replay.status_code == 401
    assert replay.json()["type"] == "urn:daiko:problem:invalid-code"
    clock.advance(seconds=30)
    ok = await client.post(
        "/api/v1/auth/mfa/verify", json={"code": code_at(secret, clock.now)}, headers=csrf
    )
    assert ok.status_code == 200
    assert (await client.get("/api/v1/auth/me")).status_code == 200

    # A recovery code works once.
    third = await login(client, passwords.operator.email, csrf=ok.json()["csrf_token"])
    csrf = {"X-CSRF-Token": third.json()["csrf_token"]}
    used = await client.post(
        "/api/v1/auth/mfa/verify", json={"recovery_code": codes[0].upper()}, headers=csrf
    )
    assert used.status_code == 200
    fourth = await login(client, passwords.operator.email, csrf=used.json()["csrf_token"])
    csrf = {"X-CSRF-Token": fourth.json()["csrf_token"]}
    again = await client.post(
        "/api/v1/auth/mfa/verify", json={"recovery_code": codes[0]}, headers=csrf
    )
    assert again.status_code == 401
    async with owner_engine.connect() as conn:
        remaining = (
            await conn.execute(
                select(User.recovery_code_hashes).where(User.id == passwords.operator.id)
            )
        ).scalar_one()
    assert len(remaining) == 9


async def test_pending_session_cannot_replace_an_enrolled_factor(
    client: httpx.AsyncClient, passwords: World, clock: Clock, owner_engine: AsyncEngine
) -> None:
    async with owner_engine.begin() as conn:
        await conn.execute(
            update(User)
            .where(User.id == passwords.operator.id)
            .values(totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", totp_enabled_at=clock.now)
        )
    r = await login(client, passwords.operator.email)
    refused = await client.post(
        "/api/v1/auth/mfa/enrolment", headers={"X-CSRF-Token": r.json()["csrf_token"]}
    )
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:daiko:problem:mfa-already-enrolled"


async def test_tenant_requiring_mfa_makes_its_client_users_pending(
    client: httpx.AsyncClient, passwords: World, clock: Clock, owner_engine: AsyncEngine
) -> None:
    await set_tenant(owner_engine, passwords.tenant_a.id, require_mfa=True)
    r = await login(client, passwords.tenant_a.users["client_viewer"].email)
    assert r.json()["mfa_pending"] is True
    assert (await client.get("/api/v1/auth/me")).status_code == 401
    b = await login(
        client, passwords.tenant_b.users["client_viewer"].email, csrf=r.json()["csrf_token"]
    )
    assert b.json()["mfa_pending"] is False


async def test_tenant_requiring_its_idp_refuses_passwords(
    client: httpx.AsyncClient, passwords: World, clock: Clock, owner_engine: AsyncEngine
) -> None:
    oidc = {
        "issuer": "https://idp.tenant-a.example",
        "client_id": "daiko",
        "client_secret_env": "TENANT_A_OIDC_SECRET",
        "required": True,
    }
    await set_tenant(owner_engine, passwords.tenant_a.id, settings={"oidc": oidc})
    r = await login(client, passwords.tenant_a.users["client_member"].email)
    assert r.status_code == 403
    assert r.json() == {
        "type": "urn:daiko:problem:oidc-required",
        "title": "Your organisation requires sign-in through its identity provider",
        "status": 403,
        "detail": "Sign in through 株式会社エー's identity provider.",
        "instance": "/api/v1/auth/login",
        "sign_in_url": "/auth/oidc/start?tenant=tenant-a",
    }
    assert "set-cookie" not in r.headers


@pytest.mark.parametrize("path", ["/api/v1/auth/me"])
async def test_bearer_requests_skip_the_cookie(
    client: httpx.AsyncClient, passwords: World, clock: Clock, path: str
) -> None:
    await login(client, passwords.tenant_a.users["client_member"].email)
    r = await client.get(path, headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer realm="daiko", error="invalid_token"'
    assert await csrf_token(client)
