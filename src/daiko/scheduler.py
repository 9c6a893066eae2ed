"""The scheduler process: periodic work, fired by exactly one leader.

Leadership is a PostgreSQL session advisory lock held on a dedicated connection: any
number of replicas can run; one fires, the others wait and take over within a tick if
the leader dies (its connection closes and the lock is released).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from croniter import croniter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from daiko.config import Settings
from daiko.logging import configure_logging
from daiko.runtime import Runtime

log = structlog.get_logger("daiko.scheduler")

LEADER_LOCK_KEY = 0x6461696B6F  # "daiko"
TICK_SECONDS = 1.0


@dataclass(frozen=True)
class Periodic:
    """A periodic job: `cron` in UTC (five fields), `run` receives the runtime and the
    scheduled time of the tick it fires for."""

    name: str
    cron: str
    run: Callable[[Runtime, datetime], Awaitable[None]]


def periodic_jobs() -> list[Periodic]:
    """Every periodic job, declared in one place (`daiko.schedule`)."""
    from daiko.schedule import PERIODIC

    return list(PERIODIC)


async def _try_lead(conn: AsyncConnection) -> bool:
    got = await conn.execute(text("select pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK_KEY})
    await conn.commit()
    return bool(got.scalar())


async def run_scheduler(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    configure_logging(settings.log_level, settings.log_format, is_dev=settings.is_dev)
    runtime = Runtime.from_settings(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    jobs = periodic_jobs()
    next_at = {j.name: croniter(j.cron, datetime.now(UTC)).get_next(datetime) for j in jobs}
    try:
        async with runtime.db.app_engine.connect() as leader_conn:
            leading = False
            while not stop.is_set():
                if not leading:
                    leading = await _try_lead(leader_conn)
                    if leading:
                        log.info("leader", jobs=[j.name for j in jobs])
                if leading:
                    now = datetime.now(UTC)
                    for job in jobs:
                        due = next_at[job.name]
                        if due <= now:
                            next_at[job.name] = croniter(job.cron, now).get_next(datetime)
                            try:
                                await job.run(runtime, due)
                            except Exception:
                                log.exception("periodic job failed", job=job.name)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), TICK_SECONDS)
    finally:
        await runtime.close()
        log.info("scheduler stopped")
