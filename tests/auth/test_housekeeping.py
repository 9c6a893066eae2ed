"""The daily sweep removes expired sign-in leftovers and nothing live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from daiko.auth.housekeeping import sweep
from daiko.auth.models import LoginThrottle, RevokedToken, UserSession
from daiko.runtime import Runtime
from tests.factories import World

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


async def test_sweep_removes_only_what_expired(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    user = world.tenant_a.users["client_admin"].id
    async with owner_engine.begin() as conn:
        for sid, expires in (
            ("old", NOW - timedelta(days=31)),
            ("recent", NOW - timedelta(days=1)),
            ("live", NOW + timedelta(hours=1)),
        ):
            await conn.execute(
                insert(UserSession).values(
                    id=sid,
                    user_id=user,
                    created_at=expires - timedelta(hours=12),
                    last_seen_at=expires - timedelta(hours=1),
                    expires_at=expires,
                    idle_expires_at=expires,
                    csrf_token="t",
                )
            )
        await conn.execute(
            insert(RevokedToken).values(
                jti="gone", client_id="c", expires_at=NOW - timedelta(minutes=1)
            )
        )
        await conn.execute(
            insert(RevokedToken).values(
                jti="kept", client_id="c", expires_at=NOW + timedelta(minutes=5)
            )
        )
        await conn.execute(
            insert(LoginThrottle).values(
                key="ip:1", failures=3, window_started_at=NOW - timedelta(days=2)
            )
        )
        await conn.execute(
            insert(LoginThrottle).values(
                key="ip:2",
                failures=5,
                window_started_at=NOW - timedelta(days=2),
                locked_until=NOW + timedelta(minutes=10),
            )
        )
    async with AsyncSession(runtime.db.app_engine) as s, s.begin():
        swept = await sweep(s, NOW)
    assert (swept.sessions, swept.revoked_tokens, swept.throttles) == (1, 1, 1)
    async with owner_engine.connect() as conn:
        assert sorted((await conn.execute(select(UserSession.id))).scalars()) == ["live", "recent"]
        assert list((await conn.execute(select(RevokedToken.jti))).scalars()) == ["kept"]
        assert list((await conn.execute(select(LoginThrottle.key))).scalars()) == ["ip:2"]
        assert (await conn.execute(select(func.count()).select_from(UserSession))).scalar() == 2
