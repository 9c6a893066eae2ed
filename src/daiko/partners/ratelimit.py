"""Rate limits for partner clients under /api/v1: one GCRA bucket per (client, tenant).

The limit is `DAIKO_RATE_LIMIT` requests per `DAIKO_RATE_LIMIT_WINDOW` seconds, with a
burst of the whole quota. State lives in the broker's Redis (one Lua script, atomic)
when the broker is Redis, else in PostgreSQL (`rate_limit_buckets`, one upsert). Every
answer carries the draft-ietf-httpapi-ratelimit-headers fields
`RateLimit-Policy: "default";q=600;w=60` and `RateLimit: "default";r=<left>;t=<secs>`;
a refused request gets 429 `urn:daiko:problem:rate-limited` with `Retry-After`.

People signed in to the portal are not limited here (sign-in throttling and sessions
guard them); anonymous requests are refused by the guard before doing any work. If the
limiter's store fails, the request is let through and the failure logged.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import text

from daiko.errors import PROBLEM_JSON, problem_type
from daiko.partners.requests import (
    API_PREFIX,
    is_public,
    principal_key,
    principal_of,
    request_tenant,
)
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant

log = structlog.get_logger("daiko.partners.ratelimit")

POLICY = "default"
_EXTRA_KEY = "partners.ratelimiter"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    reset: int  # seconds until the bucket is full again
    retry_after: int  # seconds (0 when allowed)


def decide(tat_ms: float, now_ms: float, interval_ms: float, burst_ms: float, ok: bool) -> Decision:
    """Headers from a GCRA state. `tat_ms` is the new theoretical arrival time when
    allowed, the unchanged one when refused."""
    if ok:
        remaining = max(0, math.floor((burst_ms - (tat_ms - now_ms)) / interval_ms + 1e-6))
        return Decision(True, remaining, max(0, math.ceil((tat_ms - now_ms) / 1000)), 0)
    wait = tat_ms + interval_ms - burst_ms - now_ms
    return Decision(
        False, 0, max(0, math.ceil((tat_ms - now_ms) / 1000)), max(1, math.ceil(wait / 1000))
    )


class Limiter(Protocol):
    async def hit(self, tenant_id: uuid.UUID, bucket: str) -> Decision: ...

    async def aclose(self) -> None: ...


_GCRA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
local new_tat = tat + interval
if new_tat - burst > now then
  return {0, string.format('%d', tat)}
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil(new_tat - now) + 1000)
return {1, string.format('%d', new_tat)}
"""


class RedisLimiter:
    def __init__(self, url: str, limit: int, window: int) -> None:
        import redis.asyncio as aioredis

        self.client: Any = aioredis.from_url(url)
        self.script: Any = self.client.register_script(_GCRA)
        self.interval_ms = window * 1000 / limit
        self.burst_ms = window * 1000.0

    async def hit(self, tenant_id: uuid.UUID, bucket: str) -> Decision:
        now_ms = int(time.time() * 1000)  # whole milliseconds: exact in Lua's doubles
        ok, tat = await self.script(
            keys=[f"daiko:ratelimit:{tenant_id}:{bucket}"],
            args=[now_ms, round(self.interval_ms), round(self.burst_ms)],
        )
        return decide(float(tat), now_ms, self.interval_ms, self.burst_ms, bool(int(ok)))

    async def aclose(self) -> None:
        await self.client.aclose()


_PG_HIT = text(
    """
    insert into rate_limit_buckets as b (tenant_id, bucket, tat)
    values (:tenant_id, :bucket, clock_timestamp() + cast(:interval as interval))
    on conflict (tenant_id, bucket) do update
      set tat = greatest(b.tat, clock_timestamp()) + cast(:interval as interval)
      where greatest(b.tat, clock_timestamp()) + cast(:interval as interval)
            - cast(:burst as interval) <= clock_timestamp()
    returning extract(epoch from tat) * 1000 as tat_ms,
              extract(epoch from clock_timestamp()) * 1000 as now_ms
    """
)
_PG_PEEK = text(
    "select extract(epoch from tat) * 1000 as tat_ms,"
    " extract(epoch from clock_timestamp()) * 1000 as now_ms"
    " from rate_limit_buckets where tenant_id = :tenant_id and bucket = :bucket"
)


class PostgresLimiter:
    def __init__(self, runtime: Runtime, limit: int, window: int) -> None:
        self.runtime = runtime
        self.interval_ms = window * 1000 / limit
        self.burst_ms = window * 1000.0

    async def hit(self, tenant_id: uuid.UUID, bucket: str) -> Decision:
        params = {
            "tenant_id": tenant_id,
            "bucket": bucket,
            "interval": timedelta(milliseconds=self.interval_ms),
            "burst": timedelta(milliseconds=self.burst_ms),
        }
        async with self.runtime.db.session(scope_of_tenant(tenant_id)) as session:
            row = (await session.execute(_PG_HIT, params)).first()
            if row is not None:
                return decide(
                    float(row.tat_ms), float(row.now_ms), self.interval_ms, self.burst_ms, True
                )
            peek = (await session.execute(_PG_PEEK, params)).one()
            return decide(
                float(peek.tat_ms), float(peek.now_ms), self.interval_ms, self.burst_ms, False
            )

    async def aclose(self) -> None:
        return None


def limiter_for(runtime: Runtime) -> Limiter:
    """The process's limiter (built on first use, in the serving event loop)."""
    found = runtime.extras.get(_EXTRA_KEY)
    if found is not None:
        return found  # type: ignore[return-value]
    s = runtime.settings
    limiter: Limiter
    if runtime.broker_url.startswith(("redis://", "rediss://", "unix://")):
        limiter = RedisLimiter(runtime.broker_url, s.rate_limit, s.rate_limit_window)
    else:
        limiter = PostgresLimiter(runtime, s.rate_limit, s.rate_limit_window)
    runtime.extras[_EXTRA_KEY] = limiter
    return limiter


def policy_header(runtime: Runtime) -> bytes:
    s = runtime.settings
    return f'"{POLICY}";q={s.rate_limit};w={s.rate_limit_window}'.encode()


def state_header(decision: Decision) -> bytes:
    return f'"{POLICY}";r={decision.remaining};t={decision.reset}'.encode()


def ratelimit_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not scope["path"].startswith(API_PREFIX):
            await app(scope, receive, send)
            return
        principal = principal_of(scope)
        if principal is None or principal.kind != "partner" or is_public(scope):
            await app(scope, receive, send)
            return
        tenant_id = request_tenant(scope, principal)
        if tenant_id is None:
            await app(scope, receive, send)
            return
        runtime: Runtime = scope["litestar_app"].state.runtime
        try:
            decision = await limiter_for(runtime).hit(tenant_id, principal_key(principal))
        except Exception:
            log.exception("rate limiter unavailable; request let through")
            await app(scope, receive, send)
            return
        extra = [
            (b"ratelimit-policy", policy_header(runtime)),
            (b"ratelimit", state_header(decision)),
        ]
        if not decision.allowed:
            body = json.dumps(
                {
                    "type": problem_type("rate-limited"),
                    "title": "Too many requests",
                    "status": 429,
                    "detail": (
                        f"this client may make {runtime.settings.rate_limit} requests per "
                        f"{runtime.settings.rate_limit_window} s for a tenant; retry in "
                        f"{decision.retry_after} s"
                    ),
                    "instance": scope["path"],
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [
                        (b"content-type", PROBLEM_JSON.encode()),
                        (b"content-length", str(len(body)).encode()),
                        (b"retry-after", str(decision.retry_after).encode()),
                        *extra,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await app(scope, receive, with_headers)

    return middleware
