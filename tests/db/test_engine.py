"""Pooled connections: checked on checkout without a round trip."""

from __future__ import annotations

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
    # The request after it gets a working connection, not "connection is closed".
    second = await backend_pid(runtime)
    assert second != first
    assert await backend_pid(runtime) == second  # and that one is pooled again
