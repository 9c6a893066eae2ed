"""Fixtures of the import tests: signed-in clients that send their CSRF token, and a
tenant-scoped session on the app role (RLS applies)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from daiko.auth.sessions import COOKIE_NAME, hash_token
from daiko.bookkeeping.accounts import ensure_chart
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import TestUser, World

As = Callable[[TestUser], Awaitable[httpx.AsyncClient]]
Scoped = Callable[[UUID], AbstractAsyncContextManager[AsyncSession]]


@pytest.fixture
def as_user(
    client_for: Callable[[TestUser], Awaitable[httpx.AsyncClient]], owner_engine: AsyncEngine
) -> As:
    made: dict[str, httpx.AsyncClient] = {}

    async def make(user: TestUser) -> httpx.AsyncClient:
        if user.email in made:
            return made[user.email]
        client = await client_for(user)
        token = client.cookies.get(COOKIE_NAME)
        assert token
        async with owner_engine.connect() as conn:
            csrf = await conn.scalar(
                text("select csrf_token from user_sessions where id = :id"),
                {"id": hash_token(token)},
            )
        if csrf:
            client.headers["X-CSRF-Token"] = csrf
        made[user.email] = client
        return client

    return make


@pytest.fixture
def scoped(runtime: Runtime) -> Scoped:
    """`async with scoped(tenant_id) as s`: one committed transaction as `daiko_app` in
    that tenant's scope."""

    @asynccontextmanager
    async def make(tenant_id: UUID) -> AsyncIterator[AsyncSession]:
        async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
            yield session

    return make


@pytest.fixture
async def charts(world: World, scoped: Scoped) -> None:
    for tenant in (world.tenant_a, world.tenant_b):
        async with scoped(tenant.id) as s:
            await ensure_chart(s, tenant.id)
