"""Pooled connections: checked on checkout without a round trip."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.runtime import Runtime
from daiko.tenancy.scope import NO_TENANTS


async def backend_pid(runtime: Runtime) -> int:
    async with runtime.db.session(NO_TENANTS) as session:
        pid: int = (await session.execute(text("select pg_backend_pid()"))).scalar_one()
    return pid


async def test_a_connection_the_server_closed_is_replaced_before_use(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    await runtime.db.app_engine.dispose()  # one pooled connection, known to us
    first = await backend_pid(runtime)
    async with owner_engine.begin() as conn:  # a server restart, an idle-timeout kill…
        await conn.execute(text("select pg_terminate_backend(:pid)"), {"pid": first})
    # pg_terminate_backend returns before the backend has gone; wait until it has, and
    # give the loop a moment to read the end of the socket, as it would have in life.
    for _ in range(100):
        async with owner_engine.connect() as conn:
            gone = not (
                await conn.execute(
                    text("select exists(select 1 from pg_stat_activity where pid = :pid)"),
                    {"pid": first},
                )
            ).scalar_one()
        if gone:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
    # The request after it gets a working connection, not "connection is closed".
    second = await backend_pid(runtime)
    assert second != first
    assert await backend_pid(runtime) == second  # and that one is pooled again
