"""`daiko jobs …`: run a job for a tenant, wait for one with a progress bar, list them.

    daiko jobs kinds
    daiko jobs run KIND --tenant SLUG [--payload JSON] [--wait]
    daiko jobs wait JOB_ID
    daiko jobs list --tenant SLUG [--status S]
    daiko jobs cancel JOB_ID | retry JOB_ID

The job runs when the scheduler's relay publishes it and a worker takes it (`daiko dev`
runs both).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import text

from daiko.config import Settings, get_settings
from daiko.jobs import repository, service, system
from daiko.jobs.kinds import KINDS, JobKind
from daiko.jobs.models import FINISHED
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant


def _settings() -> Settings:
    from daiko.cli import settings_with_embedded_database

    return settings_with_embedded_database(get_settings())


async def _tenant_id(runtime: Runtime, slug: str) -> uuid.UUID:
    async with runtime.db.global_session() as session:
        value = (
            await session.execute(text("select id from tenants where slug = :s"), {"s": slug})
        ).scalar()
    if not isinstance(value, uuid.UUID):
        raise click.ClickException(f"no tenant with slug {slug!r}")
    return value


async def _job_tenant(runtime: Runtime, job_id: uuid.UUID) -> uuid.UUID:
    tenant_id = await system.tenant_of_job(runtime.db, job_id)
    if tenant_id is None:
        raise click.ClickException(f"no job {job_id}")
    return tenant_id


async def _snapshot(runtime: Runtime, tenant_id: uuid.UUID, job_id: uuid.UUID) -> dict[str, Any]:
    async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
        job = await repository.get_job(session, job_id)
        if job is None:
            raise click.ClickException(f"no job {job_id}")
        return {
            "status": job.status,
            "done": job.progress_done,
            "total": job.progress_total,
            "message": job.progress_message,
            "error": job.last_error,
        }


async def wait_for_job(
    runtime: Runtime, tenant_id: uuid.UUID, job_id: uuid.UUID, *, give_up_after: float | None = None
) -> dict[str, Any]:
    """Poll the job, drawing a progress bar until it finishes; return its last state."""
    console = Console(stderr=True)
    deadline = None if give_up_after is None else time.monotonic() + give_up_after
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[message]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(str(job_id)[:13], total=None, message="queued")
        while True:
            snap = await _snapshot(runtime, tenant_id, job_id)
            total = snap["total"] or None
            progress.update(
                task,
                completed=snap["done"],
                total=total,
                message=snap["message"] or snap["status"],
            )
            if snap["status"] in FINISHED:
                return snap
            if deadline is not None and time.monotonic() > deadline:
                raise click.ClickException(f"gave up waiting; the job is {snap['status']}")
            await asyncio.sleep(0.5)


def _finish(snap: dict[str, Any]) -> None:
    if snap["status"] == "succeeded":
        click.secho("succeeded", fg="green")
        return
    click.secho(f"{snap['status']}: {snap['error'] or ''}".rstrip(": "), fg="red", err=True)
    raise SystemExit(1)


@click.group("jobs")
def group() -> None:
    """Background jobs: run one for a tenant, wait for it, list them."""


@group.command("kinds")
def kinds() -> None:
    """List the job kinds, their queues and limits."""
    for kind, spec in KINDS.items():
        click.echo(
            f"{kind.value:<18} queue={spec.queue.value:<9} time_limit={spec.time_limit:g}s "
            f"max_attempts={spec.max_attempts}  {spec.description}"
        )


@group.command("run")
@click.argument("kind", type=click.Choice([k.value for k in JobKind]))
@click.option("--tenant", "slug", required=True, help="Tenant slug.")
@click.option("--payload", default="{}", help="JSON payload, e.g. '{\"count\": 1000}'.")
@click.option("--wait", "wait_", is_flag=True, help="Wait with a progress bar until it ends.")
def run_job(kind: str, slug: str, payload: str, wait_: bool) -> None:
    """Enqueue a job of KIND for a tenant."""
    try:
        data = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--payload") from None

    async def go() -> dict[str, Any] | None:
        runtime = Runtime.from_settings(_settings())
        try:
            tenant_id = await _tenant_id(runtime, slug)
            async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
                job = await service.enqueue(session, tenant_id, JobKind(kind), data)
            click.echo(str(job.id))
            if wait_:
                return await wait_for_job(runtime, tenant_id, job.id)
            return None
        finally:
            await runtime.close()

    snap = asyncio.run(go())
    if snap is not None:
        _finish(snap)


@group.command("wait")
@click.argument("job_id", type=click.UUID)
@click.option("--timeout", type=float, default=None, help="Give up after this many seconds.")
def wait(job_id: uuid.UUID, timeout: float | None) -> None:
    """Wait for a job with a progress bar; exit 1 if it failed or was cancelled."""

    async def go() -> dict[str, Any]:
        runtime = Runtime.from_settings(_settings())
        try:
            tenant_id = await _job_tenant(runtime, job_id)
            return await wait_for_job(runtime, tenant_id, job_id, give_up_after=timeout)
        finally:
            await runtime.close()

    _finish(asyncio.run(go()))


@group.command("list")
@click.option("--tenant", "slug", required=True, help="Tenant slug.")
@click.option("--status", default=None, help="Only jobs in this status.")
@click.option("--limit", type=int, default=20, show_default=True)
def list_jobs(slug: str, status: str | None, limit: int) -> None:
    """A tenant's jobs, newest first."""

    async def go() -> None:
        runtime = Runtime.from_settings(_settings())
        try:
            tenant_id = await _tenant_id(runtime, slug)
            async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
                jobs = await repository.list_jobs(session, status=status, limit=limit)
                for j in jobs:
                    progress = f"{j.progress_done}/{j.progress_total}"
                    started = f"{j.created_at:%Y-%m-%d %H:%M}"
                    click.echo(f"{j.id}  {j.kind:<16} {j.status:<10} {progress:>12}  {started}")
        finally:
            await runtime.close()

    asyncio.run(go())


def _console_action(job_id: uuid.UUID, action: str) -> None:
    async def go() -> str:
        runtime = Runtime.from_settings(_settings())
        try:
            tenant_id = await _job_tenant(runtime, job_id)
            async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
                job = await repository.get_job(session, job_id)
                assert job is not None
                if action == "cancel":
                    job = await service.cancel_job(session, job)
                else:
                    job = await service.retry_job(session, job)
                return job.status
        finally:
            await runtime.close()

    from daiko.errors import DaikoError

    try:
        click.echo(asyncio.run(go()))
    except DaikoError as exc:
        raise click.ClickException(exc.detail) from None


@group.command("cancel")
@click.argument("job_id", type=click.UUID)
def cancel(job_id: uuid.UUID) -> None:
    """Cancel a queued or running job."""
    _console_action(job_id, "cancel")


@group.command("retry")
@click.argument("job_id", type=click.UUID)
def retry(job_id: uuid.UUID) -> None:
    """Run a failed or cancelled job again."""
    _console_action(job_id, "retry")
