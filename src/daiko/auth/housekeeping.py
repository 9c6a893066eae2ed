"""Sweeping sign-in leftovers that have expired: sessions, revoked-token records, login
throttle windows, password-reset and OIDC state rows. All global tables, reached only
through `daiko.auth`; run daily by the scheduler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.models import LoginThrottle, OidcState, PasswordReset, RevokedToken, UserSession

# Expired sessions are kept a while so "where was I signed in" can still be answered.
KEEP_ENDED_SESSIONS = timedelta(days=30)
THROTTLE_IDLE = timedelta(days=1)


@dataclass(frozen=True)
class Swept:
    sessions: int
    revoked_tokens: int
    throttles: int
    password_resets: int
    oidc_states: int


async def sweep(session: AsyncSession, now: datetime) -> Swept:
    cutoff = now - KEEP_ENDED_SESSIONS

    async def count(stmt: object) -> int:
        result = await session.execute(stmt)  # type: ignore[call-overload]
        return int(result.rowcount)

    return Swept(
        sessions=await count(
            delete(UserSession).where(
                or_(UserSession.expires_at < cutoff, UserSession.revoked_at < cutoff)
            )
        ),
        revoked_tokens=await count(delete(RevokedToken).where(RevokedToken.expires_at < now)),
        throttles=await count(
            delete(LoginThrottle).where(
                or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
                LoginThrottle.window_started_at < now - THROTTLE_IDLE,
            )
        ),
        password_resets=await count(delete(PasswordReset).where(PasswordReset.expires_at < now)),
        oidc_states=await count(delete(OidcState).where(OidcState.expires_at < now)),
    )
