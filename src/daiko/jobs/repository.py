"""The only place with job queries. Every function takes a tenant-scoped session: RLS
limits it to the caller's tenants, so another tenant's job simply is not found."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.jobs.kinds import JobKind, spec_of
from daiko.jobs.models import Job, JobChunk, OutboxMessage


async def get_job(
    session: AsyncSession, job_id: uuid.UUID, *, for_update: bool = False
) -> Job | None:
    stmt = select(Job).where(Job.id == job_id)
    if for_update:
        # No key update: chunk and record inserts hold KEY SHARE on the job row
        # (their foreign key); a plain FOR UPDATE would deadlock against them.
        # populate_existing: an object already in the session must take the locked
        # row's values, or increments would be computed from stale ones.
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_chunk(
    session: AsyncSession, chunk_id: uuid.UUID, *, for_update: bool = False
) -> JobChunk | None:
    stmt = select(JobChunk).where(JobChunk.id == chunk_id)
    if for_update:
        # No key update: chunk and record inserts hold KEY SHARE on the job row
        # (their foreign key); a plain FOR UPDATE would deadlock against them.
        # populate_existing: an object already in the session must take the locked
        # row's values, or increments would be computed from stale ones.
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_jobs(
    session: AsyncSession,
    *,
    status: str | None = None,
    kind: str | None = None,
    tenant_ids: Sequence[uuid.UUID] | None = None,
    before: uuid.UUID | None = None,
    limit: int = 50,
) -> Sequence[Job]:
    """Newest first; `before` is the id of the last job of the previous page (ids are
    UUIDv7, so id order is creation order)."""
    stmt = select(Job).order_by(Job.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(Job.status == status)
    if kind is not None:
        stmt = stmt.where(Job.kind == kind)
    if tenant_ids is not None:
        stmt = stmt.where(Job.tenant_id.in_(tenant_ids))
    if before is not None:
        stmt = stmt.where(Job.id < before)
    return (await session.execute(stmt)).scalars().all()


async def chunks_of(
    session: AsyncSession, job: Job, *, statuses: Sequence[str] | None = None
) -> Sequence[JobChunk]:
    stmt = (
        select(JobChunk)
        .where(JobChunk.tenant_id == job.tenant_id, JobChunk.job_id == job.id)
        .order_by(JobChunk.seq)
    )
    if statuses is not None:
        stmt = stmt.where(JobChunk.status.in_(statuses))
    return (await session.execute(stmt)).scalars().all()


async def add_outbox(
    session: AsyncSession,
    job: Job,
    *,
    chunk_id: uuid.UUID | None = None,
    delay: float = 0.0,
) -> None:
    """One message for the relay, in the caller's transaction: it leaves after commit
    or never (rollback drops it with the job)."""
    spec = spec_of(JobKind(job.kind))
    available = func.now() + timedelta(seconds=delay) if delay > 0 else func.now()
    await session.execute(
        insert(OutboxMessage).values(
            tenant_id=job.tenant_id,
            job_id=job.id,
            chunk_id=chunk_id,
            actor=spec.actor,
            queue=spec.queue.value,
            available_at=available,
        )
    )


async def drop_outbox(session: AsyncSession, job: Job) -> None:
    """Pending messages of a cancelled job need not leave at all."""
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.tenant_id == job.tenant_id, OutboxMessage.job_id == job.id
        )
    )
