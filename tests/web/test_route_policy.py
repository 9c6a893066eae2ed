"""Deny by default, proven over `app.routes`: every route is either explicitly public or
names an `Action` of the policy module. A new route without one fails here."""

from __future__ import annotations

from litestar import Litestar

from daiko.auth.policy import Action


def test_every_route_declares_a_policy(app: Litestar) -> None:
    missing = []
    for route in app.routes:
        for handler in route.route_handlers:  # type: ignore[attr-defined]
            opt = handler.opt
            if set(getattr(handler, "http_methods", ())) == {"OPTIONS"}:
                continue  # Litestar's generated OPTIONS handlers carry no data
            if opt.get("public") is True:
                continue
            if not isinstance(opt.get("action"), Action):
                missing.append(f"{sorted(getattr(handler, 'http_methods', []))} {route.path}")
    assert missing == []


async def test_guarded_route_without_credentials_is_401(app: Litestar) -> None:
    from tests.conftest import http_client

    guarded = [
        (r.path, bool(h.opt.get("page")))
        for r in app.routes
        for h in r.route_handlers  # type: ignore[attr-defined]
        if not h.opt.get("public") and "{" not in r.path and "GET" in getattr(h, "http_methods", ())
    ]
    assert guarded
    async with http_client(app) as c:
        for path, is_page in guarded:
            r = await c.get(path)
            if is_page:  # pages send the browser to sign in instead
                assert (r.status_code, r.headers["location"]) == (303, f"/auth/login?next={path}")
                continue
            assert r.status_code == 401, path
            assert r.json()["type"] == "urn:daiko:problem:not-authenticated"
