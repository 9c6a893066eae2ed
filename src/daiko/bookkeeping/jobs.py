"""Bookkeeping job handlers: the statement import (`JobKind.BOOKKEEPING_IMPORT`).

The import runs whole in the job's transaction (imported entirely or not at all); its
progress is written beside it in short transactions of their own, so the portal and
console see the bar move while the lines load.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from daiko.bookkeeping.imports import service
from daiko.bookkeeping.imports.models import ImportBatch
from daiko.db.engine import SET_SCOPE
from daiko.jobs.handlers import Handler
from daiko.jobs.kinds import JobKind
from daiko.jobs.models import Job
from daiko.tenancy.scope import scope_of_tenant


class BookkeepingImportPayload(msgspec.Struct, forbid_unknown_fields=True):
    batch_id: uuid.UUID


async def _report(engine: AsyncEngine, job: Job, done: int, total: int, what: str) -> None:
    async with AsyncSession(engine) as side, side.begin():
        await side.execute(SET_SCOPE, {"ids": scope_of_tenant(job.tenant_id).setting()})
        await side.execute(
            update(Job)
            .where(Job.tenant_id == job.tenant_id, Job.id == job.id, Job.status == "running")
            .values(
                progress_done=done,
                progress_total=max(total, done),
                progress_message=f"{done:,} of {total:,} {what}",
            )
        )


async def _mark_importing(engine: AsyncEngine, job: Job, batch_id: uuid.UUID) -> None:
    """Show the batch as importing while the job's own transaction is still open."""
    async with AsyncSession(engine) as side, side.begin():
        await side.execute(SET_SCOPE, {"ids": scope_of_tenant(job.tenant_id).setting()})
        await side.execute(
            update(ImportBatch)
            .where(
                ImportBatch.tenant_id == job.tenant_id,
                ImportBatch.id == batch_id,
                ImportBatch.status == "queued",
            )
            .values(status="importing")
        )


async def run_bookkeeping_import(session: AsyncSession, job: Job) -> dict[str, Any] | None:
    payload = msgspec.convert(job.payload, BookkeepingImportPayload)
    engine = session.bind
    if isinstance(engine, AsyncEngine):
        await _mark_importing(engine, job, payload.batch_id)

    async def progress(done: int, total: int) -> None:
        if isinstance(engine, AsyncEngine):
            await _report(engine, job, done, total, "lines read")

    async def booking(done: int, total: int) -> None:
        if isinstance(engine, AsyncEngine):
            await _report(engine, job, done, total, "matched lines booked")

    return await service.run_import(
        session, payload.batch_id, progress=progress, booking_progress=booking
    )


HANDLERS: dict[JobKind, Handler] = {
    JobKind.BOOKKEEPING_IMPORT: Handler(
        payload_type=BookkeepingImportPayload, run=run_bookkeeping_import
    ),
}
