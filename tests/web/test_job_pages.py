"""Job pages: each tenant sees its own jobs with progress, running rows poll themselves,
operators cancel and retry from the console."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import update

from daiko.jobs.models import Job
from daiko.jobs.service import enqueue
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import TestUser, World

HTML = {"accept": "text/html"}
ClientFor = Callable[[TestUser], Awaitable[httpx.AsyncClient]]


async def make_job(runtime: Runtime, tenant_id: uuid.UUID, **values: object) -> uuid.UUID:
    async with runtime.db.session(scope_of_tenant(tenant_id)) as s:
        job = await enqueue(s, tenant_id, "noop")
        job_id = job.id
    if values:
        async with runtime.db.session(scope_of_tenant(tenant_id)) as s:
            await s.execute(update(Job).where(Job.id == job_id).values(**values))
    return job_id


async def test_portal_lists_own_jobs_with_progress(
    runtime: Runtime, world: World, client_for: ClientFor
) -> None:
    mine = await make_job(
        runtime,
        world.tenant_a.id,
        status="running",
        progress_done=120,
        progress_total=500,
        progress_message="chunk 1 of 1",
    )
    theirs = await make_job(runtime, world.tenant_b.id)
    c = await client_for(world.tenant_a.users["client_viewer"])
    r = await c.get("/portal/jobs", headers=HTML)
    assert r.status_code == 200
    assert f'id="job-{mine}"' in r.text
    assert f'id="job-{theirs}"' not in r.text
    assert '<progress max="500" value="120"' in r.text
    assert "120 / 500" in r.text
    assert f'hx-get="/jobs/{mine}/row" hx-trigger="every 1s"' in r.text
    assert "実行中" in r.text  # running, in Japanese
    assert "/cancel" not in r.text  # clients do not get console actions


async def test_row_stops_polling_once_finished(
    runtime: Runtime, world: World, client_for: ClientFor
) -> None:
    job_id = await make_job(
        runtime, world.tenant_a.id, status="succeeded", progress_done=3, progress_total=3
    )
    c = await client_for(world.tenant_a.users["client_admin"])
    r = await c.get(f"/jobs/{job_id}/row", headers=HTML)
    assert r.status_code == 200
    assert r.text.lstrip().startswith(f'<tr id="job-{job_id}">')
    assert "hx-get" not in r.text
    assert "完了" in r.text


async def test_other_tenants_job_row_is_404(
    runtime: Runtime, world: World, client_for: ClientFor
) -> None:
    job_id = await make_job(runtime, world.tenant_b.id)
    c = await client_for(world.tenant_a.users["client_admin"])
    r = await c.get(f"/jobs/{job_id}/row", headers=HTML)
    assert r.status_code == 404
    operator = await client_for(world.operator)  # assigned to A only
    assert (await operator.get(f"/jobs/{job_id}/row", headers=HTML)).status_code == 404


async def test_console_cancel_and_retry(
    runtime: Runtime, world: World, client_for: ClientFor
) -> None:
    job_id = await make_job(runtime, world.tenant_a.id)
    op = await client_for(world.operator)
    page = await op.get("/console/jobs", headers=HTML)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    r = await op.post(
        f"/console/jobs/{job_id}/cancel", data={"csrf_token": token.group(1)}, headers=HTML
    )
    assert (r.status_code, r.headers["location"]) == (303, "/console/jobs")
    page = await op.get("/console/jobs", headers=HTML)
    assert "ジョブを取り消しました。" in page.text
    assert "取消" in page.text
    r = await op.post(
        f"/console/jobs/{job_id}/retry", data={"csrf_token": token.group(1)}, headers=HTML
    )
    assert r.status_code == 303
    async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as s:
        job = await s.get(Job, (world.tenant_a.id, job_id))
        assert job is not None
        assert job.status == "queued"


async def test_console_cancel_without_csrf_is_refused(
    runtime: Runtime, world: World, client_for: ClientFor
) -> None:
    job_id = await make_job(runtime, world.tenant_a.id)
    op = await client_for(world.operator)
    r = await op.post(f"/console/jobs/{job_id}/cancel", data={}, headers=HTML)
    assert r.status_code == 403


async def test_clients_cannot_use_the_console_jobs(world: World, client_for: ClientFor) -> None:
    c = await client_for(world.tenant_a.users["client_admin"])
    assert (await c.get("/console/jobs", headers=HTML)).status_code == 403
