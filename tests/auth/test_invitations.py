"""A person added to a company is told so by mail: a new person gets a link to choose a
password (valid a week), someone who already signs in gets the sign-in address, and a
company that signs its people in through its own IdP never hands out a password link."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.runtime import Runtime
from tests.auth.conftest import Clock, login, set_tenant
from tests.factories import TestUser, World

SignedIn = Callable[[TestUser], Awaitable[httpx.AsyncClient]]
CHOSEN = "しずかな湖畔の森の影から"
LINK = re.compile(r"/auth/password-reset/confirm\?token=([A-Za-z0-9_-]+)")


def mails(runtime: Runtime) -> list[Message]:
    folder = Path(runtime.settings.data_dir) / "mail"
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]


def clear(runtime: Runtime) -> None:
    for mail in (Path(runtime.settings.data_dir) / "mail").glob("*.eml"):
        mail.unlink()


def body(mail: Message) -> str:
    raw = mail.get_payload(decode=True)
    assert isinstance(raw, bytes)
    return raw.decode()


async def test_a_new_person_added_on_the_page_chooses_a_password_from_the_mail(
    runtime: Runtime,
    passwords: World,
    signed_in: SignedIn,
    client: httpx.AsyncClient,
    clock: Clock,
) -> None:
    clear(runtime)
    a = passwords.tenant_a
    admin = await signed_in(a.users["client_admin"])
    page = await admin.get("/portal/members", headers={"accept-language": "en"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    r = await admin.post(
        "/portal/members",
        headers={"accept-language": "en"},
        data={
            "csrf_token": token.group(1),
            "tenant_id": str(a.id),
            "email": "Hana.Sato@tenant-a.example",
            "display_name": "佐藤 花",
            "role": "client_member",
        },
    )
    assert r.status_code == 303
    followed = await admin.get(r.headers["location"], headers={"accept-language": "en"})
    assert "hana.sato@tenant-a.example was added and sent an invitation." in followed.text

    [mail] = mails(runtime)
    assert (mail["To"], mail["Subject"]) == ("hana.sato@tenant-a.example", f"Daiko: {a.name}")
    text = body(mail)
    assert f"You have been given access to {a.name} on Daiko." in text
    assert "Choose your password within 7 days:" in text
    link = LINK.search(text)
    assert link is not None

    # Six days later the link still works, and the password signs her in.
    clock.advance(days=6)
    done = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": link.group(1), "password": CHOSEN}
    )
    assert done.status_code == 200, done.text
    signed = await login(client, "hana.sato@tenant-a.example", CHOSEN)
    assert signed.status_code == 200, signed.text


async def test_a_link_older_than_a_week_no_longer_sets_a_password(
    runtime: Runtime, passwords: World, signed_in: SignedIn, client: httpx.AsyncClient, clock: Clock
) -> None:
    clear(runtime)
    a = passwords.tenant_a
    admin = await signed_in(a.users["client_admin"])
    r = await admin.post(
        f"/api/v1/tenants/{a.id}/members",
        json={"email": "late@tenant-a.example", "role": "client_viewer"},
    )
    assert r.status_code == 201, r.text
    [mail] = mails(runtime)
    link = LINK.search(body(mail))
    assert link is not None
    clock.advance(days=7, seconds=1)
    late = await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": link.group(1), "password": CHOSEN}
    )
    assert late.status_code == 400, late.text


async def test_someone_who_already_signs_in_gets_the_sign_in_address(
    runtime: Runtime, passwords: World, signed_in: SignedIn
) -> None:
    clear(runtime)
    a, b = passwords.tenant_a, passwords.tenant_b
    admin = await signed_in(a.users["client_admin"])
    known = b.users["client_viewer"]  # has a password, at the other company
    r = await admin.post(
        f"/api/v1/tenants/{a.id}/members", json={"email": known.email, "role": "client_viewer"}
    )
    assert r.status_code == 201, r.text
    [mail] = mails(runtime)
    text = body(mail)
    assert mail["To"] == known.email
    assert "Sign in as usual:" in text and "/auth/login" in text
    assert LINK.search(text) is None


async def test_a_company_on_its_own_sign_in_hands_out_no_password_link(
    runtime: Runtime, passwords: World, signed_in: SignedIn, owner_engine: AsyncEngine
) -> None:
    clear(runtime)
    a = passwords.tenant_a
    oidc = {
        "issuer": "https://idp.tenant-a.example",
        "client_id": "daiko",
        "client_secret": "s3cret",
        "required": True,
    }
    admin = await signed_in(a.users["client_admin"])
    await set_tenant(owner_engine, a.id, settings={"oidc": oidc})
    r = await admin.post(
        f"/api/v1/tenants/{a.id}/members",
        json={"email": "sso.person@tenant-a.example", "role": "client_member"},
    )
    assert r.status_code == 201, r.text
    [mail] = mails(runtime)
    text = body(mail)
    assert "Sign in with your company account:" in text
    assert LINK.search(text) is None


async def test_a_refused_addition_sends_nothing(
    runtime: Runtime, passwords: World, signed_in: SignedIn
) -> None:
    clear(runtime)
    a = passwords.tenant_a
    admin = await signed_in(a.users["client_admin"])
    member = a.users["client_member"]
    r = await admin.post(
        f"/api/v1/tenants/{a.id}/members", json={"email": member.email, "role": "client_viewer"}
    )
    assert r.status_code == 409
    assert mails(runtime) == []
