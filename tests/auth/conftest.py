"""Sign-in test helpers: a controlled clock, users with passwords, CSRF-aware clients."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pyotp
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.clock import CLOCK_KEY
from daiko.auth.passwords import hash_password
from daiko.auth.sessions import COOKIE_NAME
from daiko.runtime import Runtime
from daiko.tenancy.models import Tenant, User
from tests.factories import TestUser, World

PASSWORD = "correct horse battery staple"


class Clock:
    """Time that moves only when a test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(runtime: Runtime) -> Iterator[Clock]:
    # Starts at the real time (sessions made by `client_for` use it), moved to 10 s into
    # a TOTP step so a code typed "now" is not on a step boundary.
    real = datetime.now(UTC).replace(microsecond=0)
    c = Clock(real - timedelta(seconds=real.second % 30) + timedelta(seconds=10))
    runtime.extras[CLOCK_KEY] = c
    yield c
    runtime.extras.pop(CLOCK_KEY, None)


_HASH: dict[str, str] = {}


def password_hash() -> str:
    # One argon2 hash for the whole run: each costs ~50 ms and 64 MiB.
    if "h" not in _HASH:
        _HASH["h"] = hash_password(PASSWORD)
    return _HASH["h"]


async def set_password(engine: AsyncEngine, user: TestUser) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(User).where(User.id == user.id).values(password_hash=password_hash())
        )


@pytest.fixture
async def passwords(world: World, owner_engine: AsyncEngine) -> World:
    """Every user of the world has the password `PASSWORD`."""
    users = [u for t in (world.tenant_a, world.tenant_b) for u in t.users.values()]
    for user in [*users, world.operator, world.lead, world.ops_admin]:
        await set_password(owner_engine, user)
    return world


async def set_tenant(engine: AsyncEngine, tenant_id: object, **values: object) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(Tenant).where(Tenant.id == tenant_id).values(**values))


async def login(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, csrf: str | None = None
) -> httpx.Response:
    """POST the JSON sign-in; `csrf` when the browser already holds a session."""
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return await client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}, headers=headers
    )


def session_cookie(response: httpx.Response) -> str | None:
    return response.cookies.get(COOKIE_NAME)


def code_at(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


async def csrf_token(client: httpx.AsyncClient) -> str:
    """The session's synchronizer token, as a single-page app reads it."""
    r = await client.get("/api/v1/auth/me")
    assert r.status_code == 200, r.text
    token: str = r.json()["csrf_token"]
    return token


@pytest.fixture
async def signed_in(
    client_for: Callable[[TestUser], Awaitable[httpx.AsyncClient]],
) -> Callable[[TestUser], Awaitable[httpx.AsyncClient]]:
    """`await signed_in(user)`: a client with a fully signed-in session (MFA done) that
    sends the session's CSRF token on every request, like the portal's pages do."""

    async def make(user: TestUser) -> httpx.AsyncClient:
        c = await client_for(user)
        c.headers["X-CSRF-Token"] = await csrf_token(c)
        return c

    return make
