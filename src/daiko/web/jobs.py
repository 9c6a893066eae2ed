"""Job pages: the portal shows a tenant its jobs, the console shows operators theirs, each
with a live progress bar (HTMX re-fetches a running job's row every second and stops
once it has finished). Operators cancel and retry from the console."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, authorize, request_principal
from daiko.errors import DaikoError, Forbidden, NotFound
from daiko.jobs import repository, service
from daiko.jobs.models import FINISHED, Job
from daiko.tenancy.models import Tenant
from daiko.web.flash import flash
from daiko.web.i18n import gettext
from daiko.web.shell import render
from daiko.web.vocabulary import JOB_KIND_LABELS

PAGE_SIZE = 50


async def _tenant_names(session: AsyncSession, jobs: list[Job]) -> dict[uuid.UUID, str]:
    ids = {j.tenant_id for j in jobs}
    if not ids:
        return {}
    rows = await session.execute(select(Tenant.id, Tenant.name).where(Tenant.id.in_(ids)))
    return {r.id: r.name for r in rows}


def kind_label(kind: str) -> str:
    """The kind's short name in the page's language (its code when it has none yet)."""
    label = JOB_KIND_LABELS.get(kind)
    return gettext(label) if label else kind


async def _list(
    request: Request[Any, Any, Any], session: AsyncSession, status: str | None, template: str
) -> Template:
    jobs = list(await repository.list_jobs(session, status=status or None, limit=PAGE_SIZE))
    return render(
        request,
        template,
        {
            "jobs": jobs,
            "tenants": await _tenant_names(session, jobs),
            "status": status or "",
            "kind_label": kind_label,
            "finished": FINISHED,
        },
    )


@get("/portal/jobs", include_in_schema=False, opt={"action": Action.JOBS_READ, "page": True})
async def portal_jobs(
    request: Request[Any, Any, Any], db_session: AsyncSession, status: str | None = None
) -> Template:
    return await _list(request, db_session, status, "portal/jobs.html")


@get("/console/jobs", include_in_schema=False, opt={"action": Action.JOBS_READ, "page": True})
async def console_jobs(
    request: Request[Any, Any, Any], db_session: AsyncSession, status: str | None = None
) -> Template:
    principal = request_principal(request)
    if principal is None or principal.user_kind != "operator":
        raise Forbidden("the console is for operators")
    return await _list(request, db_session, status, "console/jobs.html")


async def _job_or_404(session: AsyncSession, job_id: uuid.UUID) -> Job:
    job = await repository.get_job(session, job_id)
    if job is None:
        raise NotFound("no such job")
    return job


@get(
    "/jobs/{job_id:uuid}/row",
    include_in_schema=False,
    opt={"action": Action.JOBS_READ, "page": True},
)
async def job_row(
    request: Request[Any, Any, Any], db_session: AsyncSession, job_id: uuid.UUID
) -> Template:
    """One job's table row (HTMX polls it while the job runs)."""
    job = await _job_or_404(db_session, job_id)
    principal = request_principal(request)
    return Template(
        template_name="_job_row.html",
        context={
            "job": job,
            "tenants": await _tenant_names(db_session, [job]),
            "kind_label": kind_label,
            "finished": FINISHED,
            "console": principal is not None and principal.user_kind == "operator",
            "csrf_token": getattr(
                request.scope.get("state", {}).get("user_session"), "csrf_token", ""
            ),
        },
    )


async def _act(
    request: Request[Any, Any, Any], session: AsyncSession, job_id: uuid.UUID, action: Action
) -> Redirect:
    job = await _job_or_404(session, job_id)
    authorize(request_principal(request), action, job.tenant_id)
    response = Redirect("/console/jobs", status_code=303)
    try:
        if action is Action.JOBS_CANCEL:
            await service.cancel_job(session, job)
            flash(request, response, "success", gettext("The job was cancelled."))
        else:
            await service.retry_job(session, job)
            flash(request, response, "success", gettext("The job was queued again."))
    except DaikoError as exc:
        flash(request, response, "error", exc.detail)
    return response


@post(
    "/console/jobs/{job_id:uuid}/cancel",
    include_in_schema=False,
    opt={"action": Action.JOBS_CANCEL, "page": True},
)
async def cancel_from_console(
    request: Request[Any, Any, Any], db_session: AsyncSession, job_id: uuid.UUID
) -> Redirect:
    return await _act(request, db_session, job_id, Action.JOBS_CANCEL)


@post(
    "/console/jobs/{job_id:uuid}/retry",
    include_in_schema=False,
    opt={"action": Action.JOBS_RUN, "page": True},
)
async def retry_from_console(
    request: Request[Any, Any, Any], db_session: AsyncSession, job_id: uuid.UUID
) -> Redirect:
    return await _act(request, db_session, job_id, Action.JOBS_RUN)


routes = [portal_jobs, console_jobs, job_row, cancel_from_console, retry_from_console]
