"""Browser sessions: opaque random tokens in an HttpOnly cookie, hashed at rest."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.models import UserSession
from daiko.tenancy.models import User

COOKIE_NAME = "daiko_session"
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
TOUCH_EVERY = timedelta(seconds=60)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    token: str
    row: UserSession


async def create_session(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    mfa_verified: bool,
    ip: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> NewSession:
    """A fresh session id at every sign-in (no fixation: a pre-login id is never kept)."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    row = UserSession(
        id=hash_token(token),
        user_id=user_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + ABSOLUTE_TIMEOUT,
        idle_expires_at=now + IDLE_TIMEOUT,
        mfa_verified=mfa_verified,
        csrf_token=secrets.token_urlsafe(32),
        ip=ip,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(row)
    await session.flush()
    return NewSession(token, row)


async def load_session(
    session: AsyncSession, token: str, *, now: datetime | None = None
) -> tuple[UserSession, User] | None:
    """The live session and its user for a cookie token, touching the idle timeout."""
    now = now or datetime.now(UTC)
    found = (
        await session.execute(
            select(UserSession, User)
            .join(User, User.id == UserSession.user_id)
            .where(
                UserSession.id == hash_token(token),
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > now,
                UserSession.idle_expires_at > now,
                User.is_active.is_(True),
            )
        )
    ).one_or_none()
    if found is None:
        return None
    row, user = found
    if now - row.last_seen_at >= TOUCH_EVERY:
        await session.execute(
            update(UserSession)
            .where(UserSession.id == row.id)
            .values(last_seen_at=now, idle_expires_at=min(now + IDLE_TIMEOUT, row.expires_at))
        )
    return row, user


async def revoke_session(
    session: AsyncSession, session_id: str, *, now: datetime | None = None
) -> None:
    await session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now or datetime.now(UTC))
    )


async def revoke_all_sessions(
    session: AsyncSession, user_id: uuid.UUID, *, now: datetime | None = None
) -> int:
    """Sign out everywhere."""
    result = await session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now or datetime.now(UTC))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
