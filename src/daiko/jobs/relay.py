"""The outbox relay: publishes committed outbox rows to the broker.

Woken by LISTEN/NOTIFY (the outbox trigger notifies at commit) and by a periodic sweep
(a missed notification, a retry's backoff coming due, a broker that was down). On
RabbitMQ each publish waits for the broker's confirm. It also runs the recovery sweep
that requeues work whose worker died. Runs in the scheduler process, on every replica:
`for update skip locked` lets relays share the outbox without publishing a row twice
concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import dramatiq
import structlog

from daiko.broker import build_broker
from daiko.db.engine import Database
from daiko.jobs import system
from daiko.jobs.system import OutboxRow

log = structlog.get_logger("daiko.jobs.relay")

BATCH = 500


class Publisher:
    """Publishes from one dedicated thread: the broker clients are blocking, and pika's
    connection belongs to the thread that opened it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._broker: dramatiq.Broker | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-publish")

    def _publish(self, rows: Sequence[OutboxRow]) -> None:
        if self._broker is None:
            self._broker = build_broker(self.url)
        try:
            for row in rows:
                self._broker.enqueue(
                    dramatiq.Message(
                        queue_name=row.queue,
                        actor_name=row.actor,
                        args=(
                            str(row.tenant_id),
                            str(row.job_id),
                            str(row.chunk_id) if row.chunk_id else None,
                        ),
                        kwargs={},
                        options={},
                    )
                )
        except Exception:
            self._reset()
            raise

    def _reset(self) -> None:
        broker, self._broker = self._broker, None
        if broker is not None:
            with contextlib.suppress(Exception):
                broker.close()

    async def publish(self, rows: Sequence[OutboxRow]) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._publish, rows)

    def close(self) -> None:
        self._executor.submit(self._reset).result(timeout=10)
        self._executor.shutdown(wait=True)


def _brief(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


async def _wait(event: asyncio.Event, stop: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(stop.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()


async def run_relay(
    db: Database,
    broker_url: str,
    stop: asyncio.Event,
    *,
    poll: float = 1.0,
    sweep_every: float = 5.0,
    queued_for: timedelta = timedelta(minutes=10),
    on_published: Callable[[Sequence[OutboxRow]], None] | None = None,
) -> None:
    """Relay until `stop` is set. Errors (database or broker down) are logged and
    retried after a pause; nothing is lost because rows leave the outbox only once
    published."""
    publisher = Publisher(broker_url)
    wake = asyncio.Event()
    last_sweep = 0.0
    try:
        while not stop.is_set():
            try:
                async with system.listen_outbox(db, wake.set):
                    while not stop.is_set():
                        wake.clear()
                        rows = await system.relay_batch(db, publisher.publish, limit=BATCH)
                        if rows and on_published is not None:
                            on_published(rows)
                        if time.monotonic() - last_sweep >= sweep_every:
                            last_sweep = time.monotonic()
                            try:
                                await system.recover_stale_work(db, queued_for=queued_for)
                            except Exception as exc:
                                log.warning("recovery sweep failed", error=_brief(exc))
                        if len(rows) >= BATCH:
                            continue
                        due = await system.seconds_until_next_due(db)
                        timeout = poll if due is None else min(poll, max(due, 0.01))
                        await _wait(wake, stop, timeout)
            except Exception as exc:
                log.warning("relay error; retrying", error=_brief(exc))
                await _wait(asyncio.Event(), stop, 1.0)
    finally:
        await asyncio.get_running_loop().run_in_executor(None, publisher.close)
