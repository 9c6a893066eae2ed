"""The sign-in pages as a browser uses them: forms, redirects, TOTP enrolment."""

from __future__ import annotations

import re

import httpx
import pytest

from daiko.auth import service
from tests.auth.conftest import PASSWORD, Clock, code_at, login
from tests.factories import World


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


async def test_operator_signs_in_and_enrols_through_the_pages(
    client: httpx.AsyncClient, passwords: World, clock: Clock
) -> None:
    client.headers["accept-language"] = "en"  # the English texts below
    page = await client.get("/auth/login")
    r = await client.post(
        "/auth/login",
        data={
            "email": passwords.operator.email,
            "password": PASSWORD,
            "csrf_token": _csrf(page.text),
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/auth/mfa/enroll"
    enrol = await client.get("/auth/mfa/enroll")
    assert enrol.status_code == 200
    secret = re.search(r"Key: <code>([A-Z2-7]+)</code>", enrol.text)
    assert secret is not None
    assert "otpauth://totp/Daiko:operator%40daiko.example?secret=" in enrol.text
    wrong = await client.post(
        "/auth/mfa/enroll", data={"code": "000000", "csrf_token": _csrf(enrol.text)}
    )
    assert wrong.status_code == 401 and "The code is wrong" in wrong.text
    done = await client.post(
        "/auth/mfa/enroll",
        data={"code": code_at(secret[1], clock.now), "csrf_token": _csrf(enrol.text)},
    )
    assert done.status_code == 200
    assert (
        len(re.findall(r"<li><code>[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}</code></li>", done.text))
        == 10
    )
    assert (await client.get("/api/v1/auth/me")).status_code == 200

    # Sign out with the form, then back in: password, then the code page.
    me = (await client.get("/api/v1/auth/me")).json()
    out = await client.post("/auth/logout", data={"csrf_token": me["csrf_token"]})
    assert out.status_code == 303 and out.headers["location"] == "/auth/login"
    assert (await client.get("/api/v1/auth/me")).status_code == 401
    page = await client.get("/auth/login")
    r = await client.post(
        "/auth/login",
        data={
            "email": passwords.operator.email,
            "password": PASSWORD,
            "csrf_token": _csrf(page.text),
        },
    )
    assert r.headers["location"] == "/auth/mfa"
    mfa = await client.get("/auth/mfa")
    clock.advance(seconds=30)
    ok = await client.post(
        "/auth/mfa", data={"code": code_at(secret[1], clock.now), "csrf_token": _csrf(mfa.text)}
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    assert (await client.get("/api/v1/auth/me")).json()["mfa_verified"] is True


async def test_login_page_shows_the_generic_error_and_lockout(
    client: httpx.AsyncClient, passwords: World, clock: Clock
) -> None:
    client.headers["accept-language"] = "en"  # the English texts below
    page = await client.get("/auth/login")
    token = _csrf(page.text)
    email = passwords.tenant_a.users["client_member"].email
    for _ in range(5):
        r = await client.post(
            "/auth/login", data={"email": email, "password": "wrong one", "csrf_token": token}
        )
        assert r.status_code == 401
        assert "The e-mail address or password is not correct" in r.text
    r = await client.post(
        "/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 429
    assert r.headers["retry-after"] == "900"
    assert "Try again in 15 minutes" in r.text


async def test_mfa_pages_send_strangers_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in ("/auth/mfa", "/auth/mfa/enroll"):
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/auth/login"


async def test_unknown_user_spends_one_dummy_verification(
    client: httpx.AsyncClient, passwords: World, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Roughly constant time: no account still costs one argon2 verification."""
    calls: list[str] = []
    real = service.dummy_verify
    monkeypatch.setattr(service, "dummy_verify", lambda pw: (calls.append("dummy"), real(pw))[1])
    assert (await login(client, "nobody@nowhere.example")).status_code == 401
    assert calls == ["dummy"]
