"""Login throttling per account and per client address, counted in PostgreSQL.

Every failure counts against both keys within a sliding-start window; reaching the
limit locks the key for `LOCKOUT`. The account limit is low (guessing one person's
password), the address limit higher (an office behind one NAT mistypes a lot).
A locked key is refused before any password is checked, with `Retry-After`.

Counting runs in its own short transaction so a failed sign-in (which rolls back the
request) still counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.errors import LoginThrottled
from daiko.auth.events import auth_event
from daiko.auth.models import LoginThrottle
from daiko.runtime import Runtime

WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class Limit:
    key: str
    limit: int
    what: str  # for the message: "this account", "your network address"


def account_limit(email: str) -> Limit:
    return Limit(f"account:{email.strip().casefold()}", 5, "this account")


def address_limit(ip: str | None) -> Limit:
    return Limit(f"ip:{ip or 'unknown'}", 20, "your network address")


def mfa_limit(user_id: object) -> Limit:
    return Limit(f"mfa:{user_id}", 5, "this account")


_BUMP = text(
    """
    insert into login_throttle as t (key, failures, window_started_at, updated_at)
    values (:key, 1, :now, :now)
    on conflict (key) do update set
      failures = case when t.window_started_at <= :window_start then 1 else t.failures + 1 end,
      window_started_at = case when t.window_started_at <= :window_start
                               then :now else t.window_started_at end,
      updated_at = :now
    returning failures
    """
)


async def check(runtime: Runtime, limits: list[Limit], now: datetime) -> None:
    """Raise `LoginThrottled` (429, Retry-After) when any key is locked."""
    async with runtime.db.global_session() as session:
        rows = (
            await session.execute(
                select(LoginThrottle.key, LoginThrottle.locked_until).where(
                    LoginThrottle.key.in_([lim.key for lim in limits]),
                    LoginThrottle.locked_until > now,
                )
            )
        ).all()
    if not rows:
        return
    key, until = max(((r.key, r.locked_until) for r in rows), key=lambda r: r[1])
    what = next(lim.what for lim in limits if lim.key == key)
    seconds = max(1, math.ceil((until - now).total_seconds())) if until else 1
    minutes = math.ceil(seconds / 60)
    raise LoginThrottled(
        f"Too many failed sign-in attempts for {what}. Try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}, or reset your password.",
        headers={"Retry-After": str(seconds)},
        extra={"retry_after": seconds},
    )


async def record_failure(runtime: Runtime, limits: list[Limit], now: datetime) -> None:
    async with runtime.db.global_session() as session:
        for lim in limits:
            failures = (
                await session.execute(
                    _BUMP, {"key": lim.key, "now": now, "window_start": now - WINDOW}
                )
            ).scalar_one()
            if failures >= lim.limit:
                await _lock(session, lim.key, now)
                kind = lim.key.split(":")[0]
                auth_event("sign-in locked out", key_kind=kind, until=now + LOCKOUT)


async def _lock(session: AsyncSession, key: str, now: datetime) -> None:
    await session.execute(
        text(
            "update login_throttle set locked_until = :until, failures = 0,"
            " window_started_at = :now where key = :key"
        ),
        {"until": now + LOCKOUT, "now": now, "key": key},
    )


async def clear(runtime: Runtime, limits: list[Limit]) -> None:
    async with runtime.db.global_session() as session:
        await session.execute(
            delete(LoginThrottle).where(LoginThrottle.key.in_([lim.key for lim in limits]))
        )
