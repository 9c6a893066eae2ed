"""The page shell: language negotiation and switch, sign-in redirect, error pages, and
the portal and console home pages, per role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from tests.factories import TestUser, World

HTML = {"accept": "text/html"}
ClientFor = Callable[[TestUser], Awaitable[httpx.AsyncClient]]


async def test_landing_page_is_japanese_by_default_and_english_on_request(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/", headers=HTML)
    assert r.status_code == 200
    assert '<html lang="ja">' in r.text
    assert "顧客ポータル" in r.text
    r = await client.get("/", headers={**HTML, "accept-language": "en-GB,en;q=0.9,ja;q=0.5"})
    assert '<html lang="en">' in r.text
    assert "Client portal" in r.text


async def test_language_switch_remembers_and_only_redirects_on_site(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/lang/en", params={"next": "/api/docs"})
    assert (r.status_code, r.headers["location"]) == (302, "/api/docs")
    assert "daiko_lang=en" in r.headers["set-cookie"]
    r = await client.get("/", headers=HTML)
    assert "Client portal" in r.text  # the cookie now chooses English
    r = await client.get("/lang/ja", params={"next": "//evil.example/x"})
    assert r.headers["location"] == "/"


async def test_pages_send_anonymous_visitors_to_sign_in(client: httpx.AsyncClient) -> None:
    r = await client.get("/portal", headers=HTML)
    assert (r.status_code, r.headers["location"]) == (303, "/auth/login?next=/portal")
    # The API keeps answering problem+json.
    r = await client.get("/api/v1/tenants", headers=HTML)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"


async def test_unknown_page_is_a_translated_error_page(client: httpx.AsyncClient) -> None:
    r = await client.get("/no/such/page", headers=HTML)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "<h1>見つかりません</h1>" in r.text


async def test_portal_shows_only_the_users_own_company(world: World, client_for: ClientFor) -> None:
    c = await client_for(world.tenant_a.users["client_admin"])
    r = await c.get("/portal", headers=HTML)
    assert r.status_code == 200
    assert "株式会社エー" in r.text
    assert "株式会社ビー" not in r.text
    assert "管理者" in r.text  # the role, translated
    assert (await c.get("/", headers=HTML)).headers["location"] == "/portal"


async def test_console_is_for_operators_and_lists_their_tenants(
    world: World, client_for: ClientFor
) -> None:
    client_user = await client_for(world.tenant_a.users["client_member"])
    r = await client_user.get("/console", headers=HTML)
    assert r.status_code == 403
    assert "この操作は許可されていません" in r.text
    operator = await client_for(world.operator)
    r = await operator.get("/console", headers=HTML)
    assert r.status_code == 200
    assert "株式会社エー" in r.text
    assert "株式会社ビー" not in r.text
    lead = await client_for(world.lead)
    r = await lead.get("/console", headers=HTML)
    assert "株式会社エー" in r.text
    assert "株式会社ビー" in r.text
    assert (await operator.get("/portal", headers=HTML)).headers["location"] == "/console"
