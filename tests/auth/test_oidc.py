"""OIDC sign-in against a real provider on loopback (tests/auth/oidc_provider.py)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.sessions import COOKIE_NAME
from daiko.runtime import Runtime
from tests.auth.conftest import Clock, login, set_tenant
from tests.auth.oidc_provider import OidcProvider, Subject
from tests.factories import World


@pytest.fixture(autouse=True)
def english(client: httpx.AsyncClient) -> None:
    client.headers["accept-language"] = "en"  # the refusal texts below are the English ones


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    p = OidcProvider(client_id="daiko-portal", client_secret="s3cret with spaces&symbols")
    p.start()
    yield p
    p.stop()


@pytest.fixture
def sso(runtime: Runtime, provider: OidcProvider) -> Iterator[OidcProvider]:
    """The platform-wide provider configured in settings."""
    original = runtime.settings
    runtime.settings = original.model_copy(
        update={
            "oidc_discovery_url": f"{provider.issuer}/.well-known/openid-configuration",
            "oidc_client_id": provider.client_id,
            "oidc_client_secret": SecretStr(provider.client_secret),
        }
    )
    runtime.extras.pop("oidc_discovery", None)
    yield provider
    runtime.settings = original
    runtime.extras.pop("oidc_discovery", None)


async def sign_in_via(
    client: httpx.AsyncClient, provider: OidcProvider, start: str
) -> httpx.Response:
    """Browser steps: our start URL → the provider's authorize → back to our callback."""
    began = await client.get(start)
    assert began.status_code == 302, began.text
    authorize = began.headers["location"]
    assert authorize.startswith(f"{provider.issuer}/authorize?")
    async with httpx.AsyncClient() as browser:
        at_idp = await browser.get(authorize)
    assert at_idp.status_code == 302
    back = urlsplit(at_idp.headers["location"])
    assert back.path == "/auth/oidc/callback"
    return await client.get(f"{back.path}?{back.query}")


async def test_client_user_signs_in_through_the_platform_idp(
    client: httpx.AsyncClient, world: World, sso: OidcProvider, clock: Clock
) -> None:
    member = world.tenant_a.users["client_member"]
    sso.next_subject = Subject(member.email.upper())
    began = await client.get("/auth/oidc/start?next=/portal")
    query = parse_qs(urlsplit(began.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == ["http://127.0.0.1:8000/auth/oidc/callback"]
    assert query["scope"] == ["openid email profile"]
    assert len(query["state"][0]) >= 40 and len(query["nonce"][0]) >= 40
    assert "HttpOnly" in began.headers["set-cookie"]

    done = await sign_in_via(client, sso, "/auth/oidc/start?next=/portal")
    assert done.status_code == 303
    assert done.headers["location"] == "/portal"  # nothing but the path: no token in a URL
    assert done.cookies.get(COOKIE_NAME)
    me = await client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["email"] == member.email
    # The provider saw PKCE and our redirect URI; client auth went in the Basic header.
    assert sso.token_requests[-1]["code_verifier"]
    assert "client_secret" not in sso.token_requests[-1]


async def test_operator_still_needs_totp_unless_the_idp_did_mfa(
    client: httpx.AsyncClient, world: World, sso: OidcProvider, clock: Clock
) -> None:
    sso.next_subject = Subject(world.operator.email)
    done = await sign_in_via(client, sso, "/auth/oidc/start")
    assert done.headers["location"] == "/auth/mfa/enroll"
    assert (await client.get("/api/v1/auth/me")).status_code == 401

    client.cookies.clear()
    sso.next_subject = Subject(world.operator.email, amr=["pwd", "mfa"])
    done = await sign_in_via(client, sso, "/auth/oidc/start")
    assert done.headers["location"] == "/"
    assert (await client.get("/api/v1/auth/me")).json()["mfa_verified"] is True


async def test_callback_in_another_browser_or_twice_is_refused(
    client: httpx.AsyncClient, world: World, sso: OidcProvider, clock: Clock
) -> None:
    sso.next_subject = Subject(world.tenant_a.users["client_member"].email)
    began = await client.get("/auth/oidc/start")
    async with httpx.AsyncClient() as browser:
        back = urlsplit((await browser.get(began.headers["location"])).headers["location"])
    callback = f"{back.path}?{back.query}"
    async with httpx.AsyncClient(
        transport=client._transport, base_url=client.base_url, headers={"accept-language": "en"}
    ) as victim:
        r = await victim.get(callback)  # no state cookie: login CSRF attempt
    assert r.status_code == 400
    assert "This sign-in was started in another browser" in r.text
    assert (await client.get(callback)).status_code == 303
    client.cookies.set("daiko_oidc", parse_qs(back.query)["state"][0], path="/auth/oidc")
    replay = await client.get(callback)
    assert replay.status_code == 400
    assert "expired or was already used" in replay.text


@pytest.mark.parametrize("switch", ["wrong_nonce", "wrong_audience"])
async def test_id_token_with_wrong_nonce_or_audience_is_refused(
    client: httpx.AsyncClient, world: World, sso: OidcProvider, clock: Clock, switch: str
) -> None:
    setattr(sso, switch, True)
    sso.next_subject = Subject(world.tenant_a.users["client_member"].email)
    r = await sign_in_via(client, sso, "/auth/oidc/start")
    assert r.status_code == 400
    assert "could not be verified" in r.text
    assert r.cookies.get(COOKIE_NAME) is None


async def test_unknown_or_unverified_email_is_refused(
    client: httpx.AsyncClient, world: World, sso: OidcProvider, clock: Clock
) -> None:
    sso.next_subject = Subject("stranger@nowhere.example")
    r = await sign_in_via(client, sso, "/auth/oidc/start")
    assert r.status_code == 400 and "No Daiko account matches" in r.text
    sso.next_subject = Subject(world.tenant_a.users["client_member"].email, email_verified=False)
    r = await sign_in_via(client, sso, "/auth/oidc/start")
    assert r.status_code == 400 and "verified e-mail" in r.text


async def test_tenant_idp_signs_in_only_its_own_users(
    client: httpx.AsyncClient,
    world: World,
    provider: OidcProvider,
    clock: Clock,
    owner_engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    runtime: Runtime,
) -> None:
    monkeypatch.setenv("TENANT_A_OIDC_SECRET", provider.client_secret)
    runtime.extras.pop("oidc_discovery", None)
    spec = {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "client_secret_env": "TENANT_A_OIDC_SECRET",
        "required": True,
    }
    await set_tenant(owner_engine, world.tenant_a.id, settings={"oidc": spec})
    provider.next_subject = Subject(world.tenant_a.users["client_admin"].email)
    done = await sign_in_via(client, provider, "/auth/oidc/start?tenant=tenant-a")
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert (await client.get("/api/v1/auth/me")).status_code == 200

    client.cookies.clear()
    provider.next_subject = Subject(world.tenant_b.users["client_admin"].email)
    refused = await sign_in_via(client, provider, "/auth/oidc/start?tenant=tenant-a")
    assert refused.status_code == 400 and "No Daiko account matches" in refused.text
    # And tenant A's users cannot use a password instead.
    r = await login(client, world.tenant_a.users["client_admin"].email, "whatever it is")
    assert r.status_code == 401  # no password set: the generic answer

    unknown = await client.get("/auth/oidc/start?tenant=tenant-b")
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "this organisation has no single sign-on"


async def test_sso_not_configured_is_404(client: httpx.AsyncClient, runtime: Runtime) -> None:
    r = await client.get("/auth/oidc/start")
    assert r.status_code == 404
    assert r.json()["detail"] == "single sign-on is not configured"


async def test_platform_sso_does_not_bypass_a_tenant_idp(
    client: httpx.AsyncClient,
    world: World,
    sso: OidcProvider,
    clock: Clock,
    owner_engine: AsyncEngine,
) -> None:
    spec = {"issuer": "https://idp.a.example", "client_id": "x", "client_secret_env": "X"}
    await set_tenant(owner_engine, world.tenant_a.id, settings={"oidc": {**spec, "required": True}})
    sso.next_subject = Subject(world.tenant_a.users["client_member"].email)
    r = await sign_in_via(client, sso, "/auth/oidc/start")
    assert r.status_code == 400
    assert "Sign in through 株式会社エー&#39;s identity provider." in r.text
