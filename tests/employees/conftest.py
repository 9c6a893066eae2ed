"""Fixtures of the employee tests: signed-in clients that can write (CSRF header)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.sessions import COOKIE_NAME, hash_token
from tests.factories import TestUser

As = Callable[[TestUser], Awaitable[httpx.AsyncClient]]


@pytest.fixture
def as_user(
    client_for: Callable[[TestUser], Awaitable[httpx.AsyncClient]], owner_engine: AsyncEngine
) -> As:
    """`await as_user(user)`: a client signed in as `user`, sending its CSRF token."""
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
