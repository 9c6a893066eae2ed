"""Handling one job message: the transactions an actor shell runs, free of Dramatiq.

`workers/` calls `handle_message` from each actor; tests and the benchmark call it
directly. The runner is the edge: it owns the three transactions (claim, finish, record
failure), each opened in the job's tenant scope.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Literal

import structlog

from daiko.db.engine import Database
from daiko.jobs import service
from daiko.jobs.kinds import JobKind, spec_of
from daiko.tenancy.scope import scope_of_tenant

log = structlog.get_logger("daiko.jobs")

Outcome = Literal["skipped", "succeeded", "superseded", "queued", "failed"]


async def handle_message(
    db: Database,
    kind: JobKind,
    tenant_id: uuid.UUID,
    job_id: uuid.UUID,
    chunk_id: uuid.UUID | None = None,
) -> Outcome:
    scope = scope_of_tenant(tenant_id)
    async with db.session(scope) as session:
        claim = await service.claim(session, kind, job_id, chunk_id)
    if claim is None:
        # Redelivered or duplicate: the work is done, cancelled, or held by a live lease.
        return "skipped"
    try:
        async with asyncio.timeout(spec_of(kind).time_limit):
            async with db.session(scope) as session:
                await service.finish(session, claim)
    except service.Superseded:
        return "superseded"
    except Exception as exc:
        error = service.describe(exc)
        if isinstance(exc, TimeoutError):
            error = f"time limit of {spec_of(kind).time_limit:g} s exceeded"
        log.warning(
            "job attempt failed",
            kind=kind.value,
            job_id=str(job_id),
            chunk_id=str(chunk_id) if chunk_id else None,
            attempt=claim.attempt,
            error=error,
        )
        async with db.session(scope) as session:
            status = await service.record_failure(session, claim, error)
        if status == "failed":
            await _announce(db, kind, tenant_id, job_id)
        return "failed" if status == "failed" else "queued"
    if claim.stage != "plan":
        await _announce(db, kind, tenant_id, job_id)
    return "succeeded"


async def _announce(db: Database, kind: JobKind, tenant_id: uuid.UUID, job_id: uuid.UUID) -> None:
    """`job.finished` for partners' webhooks once the job is done for good (the
    publisher checks the job's status; a failure here never fails the job)."""
    if kind is JobKind.WEBHOOK_DELIVER:
        return
    from daiko.partners.events import job_finished

    try:
        await job_finished(db, tenant_id, job_id)
    except Exception:
        log.exception("job.finished not published", job_id=str(job_id))
