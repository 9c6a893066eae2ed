"""Login throttling and password reset by mail, over HTTP."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.runtime import Runtime
from tests.auth.conftest import PASSWORD, Clock, login, set_tenant
from tests.factories import World

NEW_PASSWORD = "しずかな湖畔の森の影から"


async def test_account_locks_after_five_failures_with_retry_after(
    client: httpx.AsyncClient, passwords: World, clock: Clock
) -> None:
    email = passwords.tenant_a.users["client_member"].email
    for _ in range(5):
        assert (await login(client, email, "wrong password here")).status_code == 401
    locked = await login(client, email)  # even the right password
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "900"
    assert locked.json() == {
        "type": "urn:daiko:problem:login-throttled",
        "title": "Too many failed sign-in attempts",
        "status": 429,
        "detail": "Too many failed sign-in attempts for this account. Try again in 15 "
        "minutes, or reset your password.",
        "instance": "/api/v1/auth/login",
        "retry_after": 900,
    }
    clock.advance(minutes=14)
    again = await login(client, email)
    assert again.status_code == 429
    assert again.headers["retry-after"] == "60"
    # Other accounts from the same address are not affected by this account's lock.
    other = await login(client, passwords.tenant_a.users["client_admin"].email)
    assert other.status_code == 200
    client.cookies.clear()
    clock.advance(minutes=1)
    assert (await login(client, email)).status_code == 200


async def test_failures_spread_over_time_do_not_lock(
    client: httpx.AsyncClient, passwords: World, clock: Clock
) -> None:
    email = passwords.tenant_a.users["client_member"].email
    for _ in range(3):
        for _ in range(4):
            assert (await login(client, email, "wrong password here")).status_code == 401
        clock.advance(minutes=16)
    assert (await login(client, email)).status_code == 200


async def test_address_locks_after_twenty_failures_across_accounts(
    client: httpx.AsyncClient, passwords: World, clock: Clock
) -> None:
    for i in range(20):
        r = await login(client, f"guess{i}@nowhere.example", "wrong password here")
        assert r.status_code == 401
    locked = await login(client, passwords.tenant_b.users["client_member"].email)
    assert locked.status_code == 429
    assert locked.json()["detail"] == (
        "Too many failed sign-in attempts for your network address. Try again in 15 "
        "minutes, or reset your password."
    )


def _mails(runtime: Runtime) -> list[Message]:
    folder = Path(runtime.settings.data_dir) / "mail"
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [message_from_bytes(f.read_bytes()) for f in files]


def _clear_mail(runtime: Runtime) -> None:
    for f in (Path(runtime.settings.data_dir) / "mail").glob("*.eml"):
        f.unlink()


def _token(mail: Message) -> str:
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(r"/auth/password-reset/confirm\?token=([A-Za-z0-9_-]+)", body.decode())
    assert found is not None
    return found.group(1)


async def test_password_reset_by_mail_end_to_end(
    client: httpx.AsyncClient, passwords: World, clock: Clock, runtime: Runtime
) -> None:
    _clear_mail(runtime)
    member = passwords.tenant_a.users["client_member"]
    signed = await login(client, member.email)
    assert signed.status_code == 200
    client.cookies.clear()

    unknown = await client.post("/api/v1/auth/password-reset", json={"email": "x@nowhere.example"})
    known = await client.post("/api/v1/auth/password-reset", json={"email": member.email})
    assert (unknown.status_code, known.status_code) == (202, 202)
    assert (
        unknown.json()
        == known.json()
        == {"detail": "If the address has an account, a reset link is on its way."}
    )
    mails = _mails(runtime)
    assert len(mails) == 1
    assert mails[0]["To"] == member.email
    assert mails[0]["Subject"] == "Daiko: reset your password"
    token = _token(mails[0])

    weak = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "password123"}
    )
    assert weak.status_code == 422
    assert weak.json()["type"] == "urn:daiko:problem:invalid-input"
    assert [e["code"] for e in weak.json()["errors"]] == ["too_short", "common_password"]

    done = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert done.status_code == 200
    # The session signed in before the reset is over; the old password no longer works.
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as old:
        old.cookies.set("daiko_session", signed.cookies["daiko_session"])
        assert (await old.get("/api/v1/auth/me")).status_code == 401
    assert (await login(client, member.email, PASSWORD)).status_code == 401
    assert (await login(client, member.email, NEW_PASSWORD)).status_code == 200

    reused = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "password": "another fine passphrase"},
        headers={"X-CSRF-Token": (await client.get("/api/v1/auth/me")).json()["csrf_token"]},
    )
    assert reused.status_code == 400
    assert reused.json()["type"] == "urn:daiko:problem:invalid-reset-token"


async def test_reset_link_expires_after_thirty_minutes(
    client: httpx.AsyncClient, passwords: World, clock: Clock, runtime: Runtime
) -> None:
    _clear_mail(runtime)
    member = passwords.tenant_b.users["client_admin"]
    await client.post("/api/v1/auth/password-reset", json={"email": member.email})
    token = _token(_mails(runtime)[0])
    clock.advance(minutes=31)
    r = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert r.status_code == 400
    assert r.json() == {
        "type": "urn:daiko:problem:invalid-reset-token",
        "title": "This password reset link is invalid, used or expired",
        "status": 400,
        "detail": "This password reset link is invalid, used or expired",
        "instance": "/api/v1/auth/password-reset/confirm",
    }


async def test_no_reset_mail_for_users_of_an_idp_only_tenant(
    client: httpx.AsyncClient,
    passwords: World,
    clock: Clock,
    runtime: Runtime,
    owner_engine: AsyncEngine,
) -> None:
    _clear_mail(runtime)
    oidc = {"issuer": "https://idp.example", "client_id": "d", "client_secret_env": "X"}
    await set_tenant(
        owner_engine, passwords.tenant_a.id, settings={"oidc": {**oidc, "required": True}}
    )
    r = await client.post(
        "/api/v1/auth/password-reset",
        json={"email": passwords.tenant_a.users["client_member"].email},
    )
    assert r.status_code == 202
    assert _mails(runtime) == []


async def test_reset_pages_round_trip(
    client: httpx.AsyncClient, passwords: World, clock: Clock, runtime: Runtime
) -> None:
    _clear_mail(runtime)
    client.headers["accept-language"] = "en"  # the English texts below
    member = passwords.tenant_b.users["client_viewer"]
    page = await client.get("/auth/password-reset")
    csrf = page.cookies["daiko_csrf"]
    sent = await client.post(
        "/auth/password-reset", data={"email": member.email, "csrf_token": csrf}
    )
    assert sent.status_code == 200
    assert "a reset link is on its way" in sent.text
    token = _token(_mails(runtime)[0])
    form = await client.get(f"/auth/password-reset/confirm?token={token}")
    assert form.headers["referrer-policy"] == "no-referrer"
    assert f'name="token" value="{token}"' in form.text
    done = await client.post(
        "/auth/password-reset/confirm",
        data={"token": token, "password": NEW_PASSWORD, "csrf_token": csrf},
    )
    assert done.status_code == 200
    assert "Your password has been changed" in done.text
    assert (await login(client, member.email, NEW_PASSWORD)).status_code == 200
