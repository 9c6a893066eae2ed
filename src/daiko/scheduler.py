"""The scheduler process: periodic work fired by exactly one leader, and the outbox relay.

- Leadership is a PostgreSQL session advisory lock held on a dedicated connection: any
  number of replicas can run; one fires, the others wait and take over within a tick if
  the leader dies (its connection closes and the lock is released).
- Each tick is claimed by inserting `(name, tick)` into `scheduler_ticks` before it
  fires: the primary key makes a tick fire once even in a split brain (a leader that
  lost its connection but has not noticed yet, a replica started with the lock off).
- Per-tenant fan-out runs each tenant in its own try: one tenant's failure never stops
  the others.
- The outbox relay (and its recovery sweep) runs on every replica: it shares the outbox
  through `for update skip locked`, so it needs no leader.

Long waits are scheduled here, never as broker delays.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
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
    """A periodic job. `cron` is UTC: five fields, or six with seconds last. Either `run`
    (once per tick) or `per_tenant` (once per tick for each active tenant, each in its
    own try) receives the runtime and the scheduled time of the tick."""

    name: str
    cron: str
    run: Callable[[Runtime, datetime], Awaitable[None]] | None = None
    per_tenant: Callable[[Runtime, uuid.UUID, datetime], Awaitable[None]] | None = None

    def next_after(self, moment: datetime) -> datetime:
        value: datetime = croniter(self.cron, moment).get_next(datetime)
        return value


def periodic_jobs() -> list[Periodic]:
    """Every periodic job, declared in one place (`daiko.schedule`)."""
    from daiko.schedule import PERIODIC

    return list(PERIODIC)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def claim_tick(runtime: Runtime, name: str, tick: datetime, holder: str) -> bool:
    """True for exactly one caller per `(name, tick)`, whoever else believes it leads."""
    async with runtime.db.global_session() as session:
        inserted = await session.execute(
            text(
                "insert into scheduler_ticks (name, tick, fired_by) values (:n, :t, :h)"
                " on conflict do nothing returning 1"
            ),
            {"n": name, "t": tick, "h": holder},
        )
        return inserted.scalar() is not None


async def fan_out(runtime: Runtime, job: Periodic, tick: datetime) -> dict[str, int]:
    """Run `job.per_tenant` for every active tenant; count successes and failures."""
    from daiko.jobs.system import active_tenant_ids

    assert job.per_tenant is not None
    counts = {"ok": 0, "failed": 0}
    for tenant_id in await active_tenant_ids(runtime.db):
        try:
            await job.per_tenant(runtime, tenant_id, tick)
            counts["ok"] += 1
        except Exception:
            counts["failed"] += 1
            log.exception(
                "periodic job failed for a tenant", job=job.name, tenant_id=str(tenant_id)
            )
    return counts


async def fire(runtime: Runtime, job: Periodic, tick: datetime, holder: str) -> bool:
    """Fire `job` for `tick` unless that tick was already claimed. Errors are logged."""
    if not await claim_tick(runtime, job.name, tick, holder):
        return False
    try:
        if job.run is not None:
            await job.run(runtime, tick)
        if job.per_tenant is not None:
            await fan_out(runtime, job, tick)
    except Exception:
        log.exception("periodic job failed", job=job.name, tick=tick.isoformat())
    return True


async def _try_lead(conn: AsyncConnection) -> bool:
    got = await conn.execute(text("select pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK_KEY})
    await conn.commit()
    return bool(got.scalar())


async def _still_connected(conn: AsyncConnection) -> None:
    await conn.execute(text("select 1"))
    await conn.commit()


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), max(0.0, seconds))


async def run_periodic(
    runtime: Runtime,
    stop: asyncio.Event,
    jobs: Sequence[Periodic],
    *,
    leader_lock: bool = True,
    tick_seconds: float = TICK_SECONDS,
) -> None:
    """Fire `jobs` on their cron schedule while this process leads."""
    holder = holder_name()
    next_at = {j.name: j.next_after(datetime.now(UTC)) for j in jobs}
    while not stop.is_set():
        try:
            async with runtime.db.app_engine.connect() as leader_conn:
                leading = not leader_lock
                while not stop.is_set():
                    if not leading:
                        leading = await _try_lead(leader_conn)
                        if leading:
                            log.info("leader", holder=holder, jobs=[j.name for j in jobs])
                            now = datetime.now(UTC)
                            next_at = {j.name: j.next_after(now) for j in jobs}
                    elif leader_lock:
                        await _still_connected(leader_conn)
                    if leading:
                        now = datetime.now(UTC)
                        for job in jobs:
                            due = next_at[job.name]
                            if due <= now:
                                next_at[job.name] = job.next_after(now)
                                await fire(runtime, job, due, holder)
                    wait = tick_seconds
                    if leading and next_at:
                        soonest = min(next_at.values()) - datetime.now(UTC)
                        wait = min(tick_seconds, max(0.01, soonest.total_seconds()))
                    await _sleep(stop, wait)
        except Exception as exc:
            log.warning("scheduler lost its database connection; retrying", error=str(exc)[:200])
            await _sleep(stop, tick_seconds)


async def run_scheduler(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    periodic: Sequence[Periodic] | None = None,
    relay: bool = True,
    leader_lock: bool = True,
    tick_seconds: float = TICK_SECONDS,
) -> None:
    configure_logging(settings.log_level, settings.log_format, is_dev=settings.is_dev)
    runtime = Runtime.from_settings(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    jobs = list(periodic) if periodic is not None else periodic_jobs()
    tasks = [
        asyncio.create_task(
            run_periodic(runtime, stop, jobs, leader_lock=leader_lock, tick_seconds=tick_seconds)
        )
    ]
    if relay:
        from daiko.jobs.relay import run_relay

        tasks.append(asyncio.create_task(run_relay(runtime.db, runtime.broker_url, stop)))
    try:
        await asyncio.gather(*tasks)
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await runtime.close()
        log.info("scheduler stopped")
