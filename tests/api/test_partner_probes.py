"""Every /api/v1 route, generated from `app.routes` (as the people's route matrix in
tests/tenancy is), called by partner machines:

- a partner granted every scope by tenant B only, with tenant A's real ids in the path
  (and tenant A as `tenant_id` where the path names one) → 404 problem+json;
- a bearer token that does not verify → 401 with a Bearer challenge, never the data;
- a partner of tenant A whose token lacks the route's scope → 403;
- GET with ids, as a partner of tenant A with every scope → success (the positive
  control, so the 404s are not an artefact of bogus ids).

Routes only people may use (no partner scope for their action) expect 403 from every
partner; `self` routes (about the caller) only the 401. New routes are covered with no change here; their ids come from the domains'
tests/<domain>/seed.py, as for the people's matrix.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.policy import PARTNER_SCOPES, Action
from daiko.runtime import Runtime
from tests.factories import World
from tests.partners.conftest import ALL_SCOPES, Partner, make_partner
from tests.seeds import seed_everything
from tests.tenancy.test_route_matrix import UNSAFE, Endpoint, endpoints, route_bodies, uncovered


def api_endpoints(app: Litestar) -> list[Endpoint]:
    return [ep for ep in endpoints(app) if ep.path.startswith("/api/v1/")]


async def test_partners_never_reach_another_tenant_and_auth_is_never_ignored(
    papp: Litestar,
    pclient: httpx.AsyncClient,
    loopback_runtime: Runtime,
    owner_engine: AsyncEngine,
    world: World,
) -> None:
    params = await seed_everything(owner_engine, world)
    bodies = route_bodies()
    skip = {line.split(":", 1)[0] for line in uncovered(papp, params, bodies)}
    partner_a = await make_partner(pclient, loopback_runtime, owner_engine, [world.tenant_a])
    partner_b = await make_partner(
        pclient, loopback_runtime, owner_engine, [world.tenant_b], name="Beta"
    )
    narrow = await make_partner(
        pclient,
        loopback_runtime,
        owner_engine,
        [world.tenant_a],
        name="Narrow",
        scopes=frozenset({"jobs:read"}),
    )
    forged = Partner(partner_a.new, partner_a.token[:-4] + "AAAA")
    # Objects that belong to one partner client (webhook subscriptions) are seeded
    # without one; give tenant A's to partner A for the positive control.
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("update webhook_subscriptions set client_id = :c where tenant_id = :t"),
            {"c": partner_a.new.client_id, "t": world.tenant_a.id},
        )
    failures: list[str] = []

    async def call(
        ep: Endpoint, who: str, p: Partner, values: Mapping[str, str], expect: int | None
    ) -> None:
        kwargs: dict[str, Any] = {"headers": {**p.headers}}
        if ep.method in UNSAFE:
            kwargs["json"] = bodies.get(ep.key, {})
            kwargs["headers"]["Idempotency-Key"] = str(uuid.uuid4())
        r = await pclient.request(ep.method, ep.url(values), **kwargs)
        if expect is None:
            ok = r.status_code < 400
        else:
            ok = r.status_code == expect and r.headers.get("content-type", "").startswith(
                "application/problem+json"
            )
            if ok and expect == 401:
                ok = "Bearer" in r.headers.get("www-authenticate", "")
        if not ok:
            want = "success" if expect is None else str(expect)
            failures.append(f"{ep.key} as {who}: {r.status_code} (want {want}) {r.text[:160]}")

    other = {**params, "tenant_id": str(world.tenant_b.id)}
    checked = 0
    for ep in api_endpoints(papp):
        if ep.key in skip:
            continue
        checked += 1
        scope = PARTNER_SCOPES.get(ep.action)
        await call(ep, "a forged token", forged, params, 401)
        if ep.action is Action.SELF:
            continue  # about the caller itself: partners may ask too
        if scope is None:
            await call(ep, "a partner (people-only action)", partner_a, params, 403)
            continue
        assert scope in ALL_SCOPES, scope
        if scope != "jobs:read":
            await call(ep, "a partner without the scope", narrow, params, 403)
        if ep.params:
            await call(ep, "tenant B's partner", partner_b, params, 404)
        if "tenant_id" in ep.params and len(ep.params) > 1:
            await call(ep, "tenant A's partner, tenant B in the path", partner_a, other, 404)
        if ep.method == "GET" and ep.params:
            await call(ep, "tenant A's partner (positive control)", partner_a, params, None)
    assert failures == [], "\n".join(failures)
    assert checked >= 20
