"""Job rules: enqueue, claim, finish, fail, retry, cancel, recover.

Services only flush; the edge (request, actor shell in `daiko.jobs.runner`, CLI) owns the
transaction. Every function takes a tenant-scoped session.

How a message is handled, in three transactions:

1. `claim`: the job (or chunk) goes `running` with `attempts + 1` and a lease
   (`time_limit + grace`). A message for finished work, or for work another worker holds
   under a live lease, claims nothing and stops: that is the idempotency on job id and
   chunk id. A lease that ran out means its holder died; the next claim takes over.
2. `finish`: the handler's effect and the completion commit together, fenced by the
   attempt number, so a superseded worker's late commit is refused (`Superseded`).
3. `record_failure`: on error the attempt is recorded with a readable message and,
   while attempts remain, a retry is written to the outbox with exponential backoff
   (`available_at`), never as a broker delay. The last failure marks the chunk and the
   job `failed`; `retry_job` starts failed work again (failed chunks alone).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import delete, func, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.errors import Conflict, InvalidInput
from daiko.ids import new_id
from daiko.jobs import repository
from daiko.jobs.handlers import handler_of
from daiko.jobs.kinds import JobKind, spec_of
from daiko.jobs.models import FINISHED, Job, JobChunk

MAX_ERROR_CHARS = 2000


class Superseded(Exception):
    """This attempt lost its claim (lease taken over, job cancelled): drop its effect."""


@dataclass(frozen=True)
class Claim:
    tenant_id: uuid.UUID
    job_id: uuid.UUID
    chunk_id: uuid.UUID | None
    kind: JobKind
    attempt: int
    stage: Literal["job", "plan", "chunk"]


def describe(exc: BaseException) -> str:
    """A readable one-line error for the console (no traceback)."""
    if isinstance(exc, TimeoutError):
        return "time limit exceeded"
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:MAX_ERROR_CHARS]


# --- enqueue ------------------------------------------------------------------------------


async def enqueue(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: JobKind | str,
    payload: dict[str, Any] | None = None,
    *,
    created_by: uuid.UUID | None = None,
) -> Job:
    """Write a job and its outbox message in the caller's transaction. The job runs after
    the caller commits (the relay publishes it), and never if it rolls back."""
    try:
        kind = JobKind(kind)
    except ValueError:
        raise InvalidInput.field("kind", f"unknown job kind {kind!r}") from None
    spec = spec_of(kind)
    job = Job(
        tenant_id=tenant_id,
        id=new_id(),
        kind=kind.value,
        status="queued",
        payload=handler_of(kind).validate(payload),
        max_attempts=spec.max_attempts,
        attempts=0,
        progress_done=0,
        progress_total=0,
        chunks_total=0,
        chunks_done=0,
        created_by=created_by,
    )
    session.add(job)
    await session.flush()
    await repository.add_outbox(session, job)
    return job


# --- claim --------------------------------------------------------------------------------


def _lease(kind: JobKind) -> Any:
    from datetime import timedelta

    return func.now() + timedelta(seconds=spec_of(kind).lease_seconds)


async def claim(
    session: AsyncSession, kind: JobKind, job_id: uuid.UUID, chunk_id: uuid.UUID | None
) -> Claim | None:
    job = await repository.get_job(session, job_id, for_update=chunk_id is None)
    if job is None or job.kind != kind.value:
        return None
    if chunk_id is not None:
        return await _claim_chunk(session, job, chunk_id)
    now = await _now(session)
    if job.status == "running" and job.chunks_total == 0:
        if job.lease_until is not None and job.lease_until > now:
            return None  # a live worker holds it
    elif job.status != "queued":
        return None  # finished, cancelled, or a batch already planned
    if job.attempts >= job.max_attempts:
        await _fail_job(session, job, _lost_message(job.attempts))
        return None
    attempt = job.attempts + 1
    await session.execute(
        update(Job)
        .where(Job.tenant_id == job.tenant_id, Job.id == job.id)
        .values(
            status="running",
            attempts=attempt,
            lease_until=_lease(kind),
            started_at=func.coalesce(Job.started_at, func.now()),
        )
    )
    stage: Literal["job", "plan"] = "plan" if handler_of(kind).chunked else "job"
    return Claim(job.tenant_id, job.id, None, kind, attempt, stage)


async def _claim_chunk(session: AsyncSession, job: Job, chunk_id: uuid.UUID) -> Claim | None:
    if job.status != "running":
        return None
    chunk = await repository.get_chunk(session, chunk_id, for_update=True)
    if chunk is None or chunk.job_id != job.id:
        return None
    now = await _now(session)
    if chunk.status == "running":
        if chunk.lease_until is not None and chunk.lease_until > now:
            return None
    elif chunk.status != "queued":
        return None
    if chunk.attempts >= job.max_attempts:
        locked = await repository.get_job(session, job.id, for_update=True)
        assert locked is not None
        await _fail_chunk(session, locked, chunk, _lost_message(chunk.attempts))
        return None
    attempt = chunk.attempts + 1
    await session.execute(
        update(JobChunk)
        .where(JobChunk.tenant_id == chunk.tenant_id, JobChunk.id == chunk.id)
        .values(
            status="running",
            attempts=attempt,
            lease_until=_lease(JobKind(job.kind)),
            started_at=func.now(),
        )
    )
    return Claim(job.tenant_id, job.id, chunk.id, JobKind(job.kind), attempt, "chunk")


async def _now(session: AsyncSession) -> Any:
    return (await session.execute(func.now().select())).scalar_one()


def _lost_message(attempts: int) -> str:
    return f"the worker was lost (no result within its lease) and all {attempts} attempts are used"


# --- finish -------------------------------------------------------------------------------


async def finish(session: AsyncSession, claim: Claim) -> None:
    """Run the handler for `claim` and record its completion in this transaction."""
    handler = handler_of(claim.kind)
    job = await repository.get_job(session, claim.job_id)
    if job is None:
        raise Superseded("job vanished")
    if claim.stage == "job":
        assert handler.run is not None
        result = await handler.run(session, job)
        done = await session.execute(
            update(Job)
            .where(
                Job.tenant_id == job.tenant_id,
                Job.id == job.id,
                Job.status == "running",
                Job.attempts == claim.attempt,
            )
            .values(
                status="succeeded",
                result=result,
                last_error=None,
                lease_until=None,
                finished_at=func.now(),
                progress_done=func.greatest(Job.progress_total, 1),
                progress_total=func.greatest(Job.progress_total, 1),
            )
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Superseded("job claim lost")
    elif claim.stage == "plan":
        await _plan(session, job, claim)
    else:
        await _finish_chunk(session, job, claim)


async def _plan(session: AsyncSession, job: Job, claim: Claim) -> None:
    handler = handler_of(claim.kind)
    assert handler.plan is not None
    plans = handler.plan(job)
    locked = await repository.get_job(session, job.id, for_update=True)
    if locked is None or locked.status != "running" or locked.attempts != claim.attempt:
        raise Superseded("plan claim lost")
    total_items = sum(p.item_count for p in plans)
    if not plans:
        locked.status = "succeeded"
        locked.finished_at = func.now()
        locked.lease_until = None
        locked.progress_message = "nothing to do"
        await session.flush()
        return
    chunk_ids = [new_id() for _ in plans]
    await session.execute(
        insert(JobChunk),
        [
            {
                "tenant_id": job.tenant_id,
                "id": chunk_id,
                "job_id": job.id,
                "seq": seq,
                "item_start": plan.item_start,
                "item_count": plan.item_count,
                "status": "queued",
                "attempts": 0,
            }
            for seq, (chunk_id, plan) in enumerate(zip(chunk_ids, plans, strict=True))
        ],
    )
    locked.chunks_total = len(plans)
    locked.progress_total = total_items
    locked.progress_message = f"0 of {len(plans)} chunks done"
    locked.lease_until = None
    await session.flush()
    for chunk_id in chunk_ids:
        await repository.add_outbox(session, locked, chunk_id=chunk_id)


async def _finish_chunk(session: AsyncSession, job: Job, claim: Claim) -> None:
    handler = handler_of(claim.kind)
    assert handler.run_chunk is not None
    assert claim.chunk_id is not None
    chunk = await repository.get_chunk(session, claim.chunk_id)
    if chunk is None or chunk.attempts != claim.attempt:
        raise Superseded("chunk claim lost")
    await handler.run_chunk(session, job, chunk)
    done = await session.execute(
        update(JobChunk)
        .where(
            JobChunk.tenant_id == chunk.tenant_id,
            JobChunk.id == chunk.id,
            JobChunk.status == "running",
            JobChunk.attempts == claim.attempt,
        )
        .values(status="succeeded", lease_until=None, last_error=None, finished_at=func.now())
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Superseded("chunk claim lost")
    # Count the chunk on the job; the last one finishes it. The row lock serialises
    # concurrent chunk completions and a concurrent cancel.
    locked = await repository.get_job(session, job.id, for_update=True)
    if locked is None or locked.status == "cancelled":
        raise Superseded("job cancelled")
    locked.chunks_done += 1
    locked.progress_done += chunk.item_count
    locked.progress_message = f"{locked.chunks_done} of {locked.chunks_total} chunks done"
    if locked.chunks_done >= locked.chunks_total and locked.status == "running":
        locked.status = "succeeded"
        locked.finished_at = func.now()
        locked.last_error = None
        locked.result = {"items": locked.progress_done, "chunks": locked.chunks_total}
    await session.flush()


# --- failure ------------------------------------------------------------------------------


async def record_failure(session: AsyncSession, claim: Claim, error: str) -> str:
    """Record a failed attempt; retry with backoff or fail for good. Returns the new
    status (`queued`, `failed`) or `superseded` when the claim was no longer ours."""
    spec = spec_of(claim.kind)
    job = await repository.get_job(session, claim.job_id, for_update=True)
    if job is None:
        return "superseded"
    if claim.stage == "chunk":
        assert claim.chunk_id is not None
        chunk = await repository.get_chunk(session, claim.chunk_id, for_update=True)
        if chunk is None or chunk.status != "running" or chunk.attempts != claim.attempt:
            return "superseded"
        if claim.attempt >= job.max_attempts:
            await _fail_chunk(
                session, job, chunk, f"failed after {claim.attempt} attempts: {error}"
            )
            return "failed"
        chunk.status = "queued"
        chunk.lease_until = None
        chunk.last_error = error
        await session.flush()
        await repository.add_outbox(
            session, job, chunk_id=chunk.id, delay=spec.backoff(claim.attempt)
        )
        return "queued"
    if job.status != "running" or job.attempts != claim.attempt:
        return "superseded"
    if claim.attempt >= job.max_attempts:
        await _fail_job(session, job, f"failed after {claim.attempt} attempts: {error}")
        return "failed"
    job.status = "queued"
    job.lease_until = None
    job.last_error = f"attempt {claim.attempt} of {job.max_attempts} failed: {error}"
    await session.flush()
    await repository.add_outbox(session, job, delay=spec.backoff(claim.attempt))
    return "queued"


async def _fail_job(session: AsyncSession, job: Job, error: str) -> None:
    job.status = "failed"
    job.last_error = error[:MAX_ERROR_CHARS]
    job.lease_until = None
    job.finished_at = func.now()
    await session.flush()


async def _fail_chunk(session: AsyncSession, job: Job, chunk: JobChunk, error: str) -> None:
    chunk.status = "failed"
    chunk.last_error = error[:MAX_ERROR_CHARS]
    chunk.lease_until = None
    chunk.finished_at = func.now()
    last = chunk.item_start + chunk.item_count - 1
    where = f"chunk {chunk.seq + 1} of {job.chunks_total} (items {chunk.item_start}–{last})"
    if job.status == "running":
        job.status = "failed"
        job.finished_at = func.now()
    job.last_error = f"{where} {error}"[:MAX_ERROR_CHARS]
    await session.flush()


# --- recovery (stale leases, lost messages) -------------------------------------------------


async def recover(
    session: AsyncSession, job_id: uuid.UUID, chunk_id: uuid.UUID | None
) -> str | None:
    """Requeue work whose lease ran out (its worker died) or whose message was lost, or
    fail it when its attempts are used up. Called per item by the scheduler's sweep,
    in the item's tenant scope; re-checks under a row lock, so it races safely."""
    job = await repository.get_job(session, job_id, for_update=True)
    if job is None:
        return None
    now = await _now(session)
    if chunk_id is None:
        stale = job.status == "queued" or (
            job.status == "running"
            and job.chunks_total == 0
            and (job.lease_until is None or job.lease_until <= now)
        )
        if not stale:
            return None
        if job.attempts >= job.max_attempts:
            await _fail_job(session, job, _lost_message(job.attempts))
            return "failed"
        job.status = "queued"
        job.lease_until = None
        await session.flush()
        await repository.add_outbox(session, job)
        return "queued"
    if job.status != "running":
        return None
    chunk = await repository.get_chunk(session, chunk_id, for_update=True)
    if chunk is None:
        return None
    stale = chunk.status == "queued" or (
        chunk.status == "running" and (chunk.lease_until is None or chunk.lease_until <= now)
    )
    if not stale:
        return None
    if chunk.attempts >= job.max_attempts:
        await _fail_chunk(session, job, chunk, _lost_message(chunk.attempts))
        return "failed"
    chunk.status = "queued"
    chunk.lease_until = None
    await session.flush()
    await repository.add_outbox(session, job, chunk_id=chunk.id)
    return "queued"


# --- console actions ----------------------------------------------------------------------


async def cancel_job(session: AsyncSession, job: Job) -> Job:
    locked = await repository.get_job(session, job.id, for_update=True)
    assert locked is not None
    if locked.status in FINISHED:
        raise Conflict(f"the job is already {locked.status}")
    locked.status = "cancelled"
    locked.lease_until = None
    locked.finished_at = func.now()
    locked.progress_message = "cancelled"
    await session.flush()
    await repository.drop_outbox(session, locked)
    await session.refresh(locked)
    return locked


async def retry_job(session: AsyncSession, job: Job) -> Job:
    """Run failed (or cancelled) work again: a batch requeues only its unfinished
    chunks, so what succeeded is not redone."""
    locked = await repository.get_job(session, job.id, for_update=True)
    assert locked is not None
    if locked.status not in ("failed", "cancelled"):
        raise Conflict(f"only a failed or cancelled job can be retried, not a {locked.status} one")
    locked.last_error = None
    locked.finished_at = None
    if locked.chunks_total == 0:
        locked.status = "queued"
        locked.attempts = 0
        locked.progress_message = None
        await session.flush()
        await repository.add_outbox(session, locked)
    else:
        locked.status = "running"
        locked.progress_message = f"{locked.chunks_done} of {locked.chunks_total} chunks done"
        now = await _now(session)
        for chunk in await repository.chunks_of(
            session, locked, statuses=("queued", "running", "failed")
        ):
            if chunk.status == "running" and chunk.lease_until and chunk.lease_until > now:
                continue  # still being worked on
            chunk.status = "queued"
            chunk.attempts = 0
            chunk.last_error = None
            chunk.lease_until = None
            chunk.finished_at = None
            await session.flush()
            await repository.add_outbox(session, locked, chunk_id=chunk.id)
    await session.flush()
    await session.refresh(locked)
    return locked


async def prune_finished(session: AsyncSession, *, older_than: timedelta) -> int:
    """Delete succeeded and cancelled jobs finished before `older_than` ago (their chunks
    and sample records go with them). Failed jobs stay until someone looks at them."""
    deleted = await session.execute(
        delete(Job).where(
            Job.status.in_(("succeeded", "cancelled")),
            Job.finished_at < func.now() - older_than,
        )
    )
    return int(deleted.rowcount)  # type: ignore[attr-defined]
