"""The bearer-token cache: used only while the database can say what changed.

Each test resolves a token through the app, then changes auth state the way an operator
or another process would (a second connection, a truncate, a lost listener) and checks
that the next request sees the change, not the cached answer.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth import partners
from daiko.auth.bearer import principal_cache
from daiko.runtime import Runtime
from daiko.tenancy.principals import partner_principal
from tests.auth.test_partners import (  # noqa: F401  (fixtures)
    SignedIn,
    app,
    bearer,
    grant,
    partner,
    probe_app,
    token_for,
)
from tests.factories import World


async def change_elsewhere(runtime: Runtime, owner_engine: AsyncEngine, sql: str) -> None:
    """Run `sql` on another connection (psql, another API process, a script…) and wait
    for its NOTIFY to reach this process's listener."""
    cache = principal_cache(runtime)
    seen = cache.generation
    async with owner_engine.begin() as conn:
        await conn.execute(text(sql))
    for _ in range(200):
        if cache.generation != seen:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no notification on daiko_principals within 2 s")


async def settled(runtime: Runtime, owner_engine: AsyncEngine) -> None:
    """Listen, and let every notification already sent (the fixture's grant, the first
    token's signing key) arrive: PostgreSQL delivers them in commit order, so once a
    notification sent now is heard, none older is still on its way to empty the cache."""
    assert await principal_cache(runtime).ready()
    await change_elsewhere(runtime, owner_engine, "select pg_notify('daiko_principals', 'sync')")


@pytest.fixture
async def granted(
    probe_app: Litestar,  # noqa: F811
    client: httpx.AsyncClient,
    signed_in: SignedIn,
    world: World,
    partner: partners.NewPartner,  # noqa: F811
) -> tuple[str, str]:
    """A token of a partner granted employees:read in tenant A, and A's probe URL."""
    admin = await signed_in(world.tenant_a.users["client_admin"])
    assert (await grant(admin, world.tenant_a.id, partner.client_id, ["employees:read"])).is_success
    return await token_for(client, partner), f"/test/tenants/{world.tenant_a.id}/employees"


async def test_second_request_is_served_from_the_cache(
    runtime: Runtime,
    client: httpx.AsyncClient,
    owner_engine: AsyncEngine,
    granted: tuple[str, str],
) -> None:
    token, url = granted
    await settled(runtime, owner_engine)
    assert (await client.get(url, headers=bearer(token))).status_code == 200
    cache = principal_cache(runtime)
    assert cache.listening
    cached = cache.get(token, dt.datetime.now(dt.UTC))
    assert cached is not None and cached.kind == "partner"
    assert (await client.get(url, headers=bearer(token))).status_code == 200


async def test_grant_revoked_by_another_connection_is_seen_on_the_next_request(
    runtime: Runtime,
    client: httpx.AsyncClient,
    owner_engine: AsyncEngine,
    granted: tuple[str, str],
) -> None:
    token, url = granted
    assert (await client.get(url, headers=bearer(token))).status_code == 200
    await change_elsewhere(runtime, owner_engine, "update partner_grants set revoked_at = now()")
    assert principal_cache(runtime).get(token, dt.datetime.now(dt.UTC)) is None
    # With no grant the token reaches no tenant: the probe's guard answers 403.
    assert (await client.get(url, headers=bearer(token))).status_code == 403


@pytest.mark.parametrize(
    "change",
    [
        "update partner_clients set active = false",
        "insert into revoked_tokens (jti, client_id, expires_at, revoked_at)"
        " select 'x', client_id, now() + interval '1 hour', now() from partner_clients",
        "update tenants set status = 'suspended'",
        "truncate signing_keys cascade",
    ],
)
async def test_every_watched_table_notifies(
    runtime: Runtime,
    client: httpx.AsyncClient,
    owner_engine: AsyncEngine,
    granted: tuple[str, str],
    change: str,
) -> None:
    token, url = granted
    assert (await client.get(url, headers=bearer(token))).status_code == 200
    await change_elsewhere(runtime, owner_engine, change)
    assert principal_cache(runtime).get(token, dt.datetime.now(dt.UTC)) is None


async def test_a_write_in_this_process_empties_the_cache_when_it_commits(
    runtime: Runtime, client: httpx.AsyncClient, granted: tuple[str, str]
) -> None:
    token, url = granted
    assert (await client.get(url, headers=bearer(token))).status_code == 200
    cache = principal_cache(runtime)
    async with runtime.db.global_session() as session:
        [client_row] = await partners.active_clients(session)
        client_row.active = False
        await session.flush()
        held = cache.generation
    # No waiting for the notification: the session's own commit emptied the cache.
    assert cache.generation > held
    assert cache.get(token, dt.datetime.now(dt.UTC)) is None
    r = await client.get(url, headers=bearer(token))
    assert (r.status_code, r.json()["detail"]) == (
        401,
        "the access token is invalid, expired or revoked",
    )


async def test_no_listener_no_cache(
    runtime: Runtime,
    client: httpx.AsyncClient,
    owner_engine: AsyncEngine,
    granted: tuple[str, str],
) -> None:
    token, url = granted
    assert (await client.get(url, headers=bearer(token))).status_code == 200
    cache = principal_cache(runtime)
    async with owner_engine.begin() as conn:
        await conn.execute(
            text(
                "select pg_terminate_backend(pid) from pg_stat_activity"
                " where application_name = 'daiko-principals'"
            )
        )
    for _ in range(200):
        if not cache.listening:
            break
        await asyncio.sleep(0.01)
    assert not cache.listening
    assert cache.get(token, dt.datetime.now(dt.UTC)) is None
    # The next request listens again before it trusts the cache, and still answers.
    assert (await client.get(url, headers=bearer(token))).status_code == 200
    assert cache.listening


async def test_an_answer_read_before_a_change_is_not_stored_after_it(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    cache = principal_cache(runtime)
    await settled(runtime, owner_engine)
    principal = partner_principal("dkp_x", {}, frozenset())
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    read_at = cache.generation
    cache.invalidate()  # a notification arrives while the resolution was querying
    cache.put("token", principal, later, read_at)
    assert cache.get("token", dt.datetime.now(dt.UTC)) is None
    cache.put("token", principal, later, cache.generation)
    assert cache.get("token", dt.datetime.now(dt.UTC)) is principal
    # …and never past the token's own expiry.
    assert cache.get("token", later) is None
