"""Set-wise work across tenants, as `daiko_system` (BYPASSRLS): the one module that
names that role's engine.

Only the scheduler process calls these: the outbox relay drains `outbox` for every
tenant, the recovery sweep finds stale work in every tenant, and the fan-out lists
tenants. Whatever then changes a tenant's rows runs in that tenant's scope
(`Database.session(scope_of_tenant(...))`), so RLS still vets every write.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import structlog
from sqlalchemy import text

from daiko.db.engine import Database
from daiko.db.urls import libpq_dsn, system_url
from daiko.jobs import service
from daiko.tenancy.scope import scope_of_tenant

log = structlog.get_logger("daiko.jobs.system")

OUTBOX_CHANNEL = "daiko_outbox"


@dataclass(frozen=True)
class OutboxRow:
    id: int
    tenant_id: uuid.UUID
    job_id: uuid.UUID
    chunk_id: uuid.UUID | None
    actor: str
    queue: str
    created_at: datetime


_CLAIM_OUTBOX = text(
    """
    select id, tenant_id, job_id, chunk_id, actor, queue, created_at
      from outbox
     where available_at <= now()
     order by id
     limit :limit
       for update skip locked
    """
)


async def relay_batch(
    db: Database,
    publish: Callable[[Sequence[OutboxRow]], Awaitable[None]],
    *,
    limit: int = 500,
) -> list[OutboxRow]:
    """Publish due outbox rows and delete them, in one transaction. Rows locked by
    another relay are skipped (several scheduler replicas may relay at once). If
    publishing fails the transaction rolls back and the rows stay for the next sweep;
    a crash after publishing and before commit publishes them again, which idempotent
    actors absorb."""
    async with db.system_engine.begin() as conn:
        result = await conn.execute(_CLAIM_OUTBOX, {"limit": limit})
        rows = [OutboxRow(**r._mapping) for r in result]
        if not rows:
            return rows
        await publish(rows)
        await conn.execute(
            text("delete from outbox where id = any(:ids)"), {"ids": [r.id for r in rows]}
        )
    return rows


async def seconds_until_next_due(db: Database) -> float | None:
    """When the next delayed message (a retry's backoff) becomes due."""
    async with db.system_engine.connect() as conn:
        value = (
            await conn.execute(
                text("select extract(epoch from min(available_at) - now()) from outbox")
            )
        ).scalar()
    return None if value is None else max(0.0, float(value))


@asynccontextmanager
async def listen_outbox(db: Database, on_notify: Callable[[], None]) -> AsyncIterator[None]:
    """Call `on_notify` whenever a transaction that wrote outbox rows commits."""
    conn = await asyncpg.connect(libpq_dsn(system_url(db.settings)))

    def callback(*_: Any) -> None:
        on_notify()

    try:
        await conn.add_listener(OUTBOX_CHANNEL, callback)
        yield
    finally:
        try:
            await conn.close(timeout=2)
        except Exception:  # closing a broken connection is best effort
            conn.terminate()


_STALE_WORK = text(
    """
    select tenant_id, id as job_id, null::uuid as chunk_id from jobs
     where status = 'running' and chunks_total = 0 and lease_until < now()
    union all
    select j.tenant_id, j.id, null::uuid from jobs j
     where j.status = 'queued' and j.updated_at < now() - make_interval(secs => :queued_for)
       and not exists (select from outbox o where o.job_id = j.id and o.chunk_id is null)
    union all
    select c.tenant_id, c.job_id, c.id from job_chunks c
      join jobs j on j.tenant_id = c.tenant_id and j.id = c.job_id and j.status = 'running'
     where c.status = 'running' and c.lease_until < now()
    union all
    select c.tenant_id, c.job_id, c.id from job_chunks c
      join jobs j on j.tenant_id = c.tenant_id and j.id = c.job_id and j.status = 'running'
     where c.status = 'queued' and c.updated_at < now() - make_interval(secs => :queued_for)
       and not exists (select from outbox o where o.chunk_id = c.id)
    limit :limit
    """
)


async def recover_stale_work(
    db: Database, *, queued_for: timedelta = timedelta(minutes=10), limit: int = 1000
) -> dict[str, int]:
    """Requeue work whose worker died (lease expired) or whose message the broker lost
    (queued for longer than `queued_for` with nothing left in the outbox). Each item is
    re-checked and changed in its own tenant's scope, each in its own try."""
    async with db.system_engine.connect() as conn:
        items = (
            await conn.execute(
                _STALE_WORK, {"queued_for": queued_for.total_seconds(), "limit": limit}
            )
        ).all()
    counts: dict[str, int] = {}
    for tenant_id, job_id, chunk_id in items:
        try:
            async with db.session(scope_of_tenant(tenant_id)) as session:
                outcome = await service.recover(session, job_id, chunk_id)
        except Exception:
            log.exception("recovering stale work failed", job_id=str(job_id))
            outcome = "error"
        if outcome is not None:
            counts[outcome] = counts.get(outcome, 0) + 1
            log.info("recovered stale work", job_id=str(job_id), outcome=outcome)
    return counts


async def active_tenant_ids(db: Database) -> list[uuid.UUID]:
    """Tenants the scheduler fans periodic work out to (offboarded ones never)."""
    async with db.system_engine.connect() as conn:
        rows = await conn.execute(
            text("select id from tenants where status <> 'offboarded' order by id")
        )
        return list(rows.scalars())


async def tenant_of_job(db: Database, job_id: uuid.UUID) -> uuid.UUID | None:
    """The tenant a job belongs to (the CLI waits for a job given only its id)."""
    async with db.system_engine.connect() as conn:
        value = (
            await conn.execute(text("select tenant_id from jobs where id = :id"), {"id": job_id})
        ).scalar()
    return value if isinstance(value, uuid.UUID) else None


async def prune_ticks(db: Database, *, older_than: timedelta) -> int:
    async with db.system_engine.begin() as conn:
        deleted = await conn.execute(
            text("delete from scheduler_ticks where tick < now() - make_interval(secs => :s)"),
            {"s": older_than.total_seconds()},
        )
    return int(deleted.rowcount)
