"""Import jobs: write a confirmed, staged import in one transaction.

The rows commit together with the job's completion (all or nothing). Progress is written
meanwhile through a second, short transaction per batch, so the portal's progress bar
moves while the import's own transaction is still open.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from daiko.audit.service import SystemActor
from daiko.db.engine import SET_SCOPE
from daiko.employees import imports
from daiko.employees import repository as repo
from daiko.jobs.handlers import Handler
from daiko.jobs.kinds import JobKind
from daiko.jobs.models import Job
from daiko.tenancy.scope import scope_of_tenant


class ImportPayload(msgspec.Struct, forbid_unknown_fields=True):
    import_id: uuid.UUID


def progress_writer(session: AsyncSession, job: Job) -> imports.Progress:
    engine = session.bind

    async def write(done: int, total: int) -> None:
        if not isinstance(engine, AsyncEngine):  # pragma: no cover - sessions are bound
            return
        async with AsyncSession(engine) as side, side.begin():
            await side.execute(SET_SCOPE, {"ids": scope_of_tenant(job.tenant_id).setting()})
            await side.execute(
                update(Job)
                .where(Job.tenant_id == job.tenant_id, Job.id == job.id)
                .values(
                    progress_done=done,
                    progress_total=total,
                    progress_message=f"{done} of {total} rows",
                )
            )

    return write


async def run_import(session: AsyncSession, job: Job) -> dict[str, Any] | None:
    payload = msgspec.convert(job.payload, ImportPayload)
    imp = await repo.get_import(session, payload.import_id, tenant_id=job.tenant_id)
    if imp is None:
        raise LookupError(f"import {payload.import_id} not found")
    if imp.status == "done":  # a redelivered message after a commit
        return dict(imp.summary)
    counts = await imports.apply(
        session,
        SystemActor("jobs.employee_import", display="Employee import"),
        imp,
        progress_writer(session, job),
    )
    return {"import_id": str(imp.id), **counts}


HANDLERS: dict[JobKind, Handler] = {
    JobKind.EMPLOYEE_IMPORT: Handler(payload_type=ImportPayload, run=run_import),
    JobKind.ATTENDANCE_IMPORT: Handler(payload_type=ImportPayload, run=run_import),
}
