"""Engines and sessions.

An asyncpg connection belongs to the event loop that opened it, so a `Database` creates
its engines lazily on first use, inside the loop that uses them (uvicorn's in the API,
the AsyncIO middleware's in workers, the test session's in tests).

`Database.session(scope)` is the only way application code reaches tenant tables: it
opens one transaction and writes the scope with `set_config(..., true)`, which is
transaction-local and therefore safe on pooled connections. The edges (request
dependency, actor) own commit and rollback; services only flush.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from sqlalchemy import URL, event, exc, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from daiko.config import Settings
from daiko.db.urls import app_url, system_url
from daiko.tenancy.scope import NO_TENANTS, TenantScope

SET_SCOPE = text("select set_config('daiko.tenant_ids', :ids, true)")

# Connections are checked when they leave the pool without a round trip. SQLAlchemy's
# `pool_pre_ping` costs three on asyncpg (BEGIN, `;`, ROLLBACK) per checkout, which was
# a third of a partner request's database time. asyncpg marks a connection closed as
# soon as its socket ends (a server restart, an idle-timeout kill), so a dead connection
# is still swapped for a new one before use; one that dies silently mid-flight fails
# that one statement and is invalidated, as it would with pre-ping. `pool_recycle`
# retires connections before common proxy and firewall idle limits.
POOL_RECYCLE_SECONDS = 1800


def _refuse_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("connection closed by the server")


def _engine(url: URL, application_name: str, pool_size: int, overflow: int) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=overflow,
        pool_recycle=POOL_RECYCLE_SECONDS,
        connect_args={"server_settings": {"application_name": application_name}},
    )
    event.listen(engine.sync_engine, "checkout", _refuse_closed)
    return engine


class Database:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._app: AsyncEngine | None = None
        self._system: AsyncEngine | None = None

    @property
    def app_engine(self) -> AsyncEngine:
        if self._app is None:
            size = self.settings.db_pool_size
            self._app = _engine(app_url(self.settings), "daiko", size, size)
        return self._app

    @property
    def system_engine(self) -> AsyncEngine:
        """`daiko_system` (BYPASSRLS): only for set-wise sweeps named in `daiko.system`."""
        if self._system is None:
            self._system = _engine(system_url(self.settings), "daiko-system", 2, 4)
        return self._system

    @asynccontextmanager
    async def session(self, scope: TenantScope) -> AsyncIterator[AsyncSession]:
        """One transaction in `scope`; committed when the block ends, rolled back on error."""
        async with (
            AsyncSession(self.app_engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            await session.execute(SET_SCOPE, {"ids": scope.setting()})
            yield session

    def global_session(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session with no tenant scope: global tables only (auth, tenancy, outbox);
        every tenant table reads empty and refuses writes."""
        return self.session(NO_TENANTS)

    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        return async_sessionmaker(self.app_engine, expire_on_commit=False)

    async def set_scope(self, session: AsyncSession, scope: TenantScope) -> None:
        """Re-scope an open transaction (for a request whose principal was resolved after
        the transaction began)."""
        await session.execute(SET_SCOPE, {"ids": scope.setting()})

    async def dispose(self) -> None:
        for engine in (self._app, self._system):
            if engine is not None:
                await engine.dispose()
        self._app = self._system = None
