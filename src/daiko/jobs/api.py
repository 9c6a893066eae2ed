"""Jobs API: list, get, run, cancel, retry, chunks.

Jobs are loaded through the request's tenant-scoped session, so another tenant's job
is not found (404) before any permission is checked (403).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, allows, authorize, require_principal
from daiko.auth.principal import Principal
from daiko.errors import InvalidInput, NotFound
from daiko.jobs import repository, service
from daiko.jobs.kinds import JobKind, spec_of
from daiko.jobs.models import CHUNK_STATUSES, JOB_STATUSES, Job
from daiko.jobs.schemas import ChunkOut, JobCreate, JobOut, JobPage


async def _job(
    session: AsyncSession, principal: Principal, job_id: uuid.UUID, action: Action
) -> Job:
    job = await repository.get_job(session, job_id)
    if job is None:
        raise NotFound("no such job")
    authorize(principal, action, job.tenant_id)
    return job


class JobController(Controller):
    path = "/api/v1/jobs"
    tags = ["jobs"]

    @get("/", opt={"action": Action.JOBS_READ})
    async def list_jobs(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        status: str | None = None,
        kind: str | None = None,
        tenant_id: uuid.UUID | None = None,
        before: uuid.UUID | None = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> JobPage:
        """Jobs of your tenants, newest first; page with `before`."""
        principal = require_principal(request)
        if status is not None and status not in JOB_STATUSES:
            raise InvalidInput.field("status", f"must be one of {', '.join(JOB_STATUSES)}")
        readable = [t for t in principal.scope.tenant_ids if allows(principal, Action.JOBS_READ, t)]
        if tenant_id is not None:
            readable = [t for t in readable if t == tenant_id]
        jobs = await repository.list_jobs(
            db_session, status=status, kind=kind, tenant_ids=readable, before=before, limit=limit
        )
        next_before = jobs[-1].id if len(jobs) == limit else None
        return JobPage(items=[JobOut.of(j) for j in jobs], next_before=next_before)

    @post("/", opt={"action": Action.JOBS_RUN}, status_code=HTTP_201_CREATED)
    async def run_job(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: JobCreate
    ) -> JobOut:
        """Start a job of `kind` for a tenant (operators)."""
        principal = require_principal(request)
        if data.tenant_id not in principal.scope:
            raise NotFound("no such tenant")
        authorize(principal, Action.JOBS_RUN, data.tenant_id)
        try:
            kind = JobKind(data.kind)
        except ValueError:
            raise InvalidInput.field("kind", f"unknown job kind {data.kind!r}") from None
        if not spec_of(kind).runnable_by_operators:
            raise InvalidInput.field("kind", f"{kind} jobs are started by the system only")
        job = await service.enqueue(
            db_session, data.tenant_id, kind, data.payload, created_by=principal.user_id
        )
        await db_session.refresh(job)
        return JobOut.of(job)

    @get("/{job_id:uuid}", opt={"action": Action.JOBS_READ})
    async def get_job(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, job_id: uuid.UUID
    ) -> JobOut:
        """One job with its progress."""
        return JobOut.of(
            await _job(db_session, require_principal(request), job_id, Action.JOBS_READ)
        )

    @get("/{job_id:uuid}/chunks", opt={"action": Action.JOBS_READ})
    async def list_chunks(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        job_id: uuid.UUID,
        status: str | None = None,
    ) -> list[ChunkOut]:
        """The chunks of a batch job."""
        job = await _job(db_session, require_principal(request), job_id, Action.JOBS_READ)
        if status is not None and status not in CHUNK_STATUSES:
            raise InvalidInput.field("status", f"must be one of {', '.join(CHUNK_STATUSES)}")
        chunks = await repository.chunks_of(
            db_session, job, statuses=None if status is None else (status,)
        )
        return [ChunkOut.of(c) for c in chunks]

    @post("/{job_id:uuid}/cancel", opt={"action": Action.JOBS_CANCEL}, status_code=HTTP_200_OK)
    async def cancel_job(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, job_id: uuid.UUID
    ) -> JobOut:
        """Cancel a queued or running job; a finished one is a conflict."""
        job = await _job(db_session, require_principal(request), job_id, Action.JOBS_CANCEL)
        return JobOut.of(await service.cancel_job(db_session, job))

    @post("/{job_id:uuid}/retry", opt={"action": Action.JOBS_RUN}, status_code=HTTP_200_OK)
    async def retry_job(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, job_id: uuid.UUID
    ) -> JobOut:
        """Run a failed or cancelled job again (a batch retries only its unfinished chunks)."""
        job = await _job(db_session, require_principal(request), job_id, Action.JOBS_RUN)
        return JobOut.of(await service.retry_job(db_session, job))


routes = [JobController]
