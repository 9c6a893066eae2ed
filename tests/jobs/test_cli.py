"""`daiko jobs run --wait` and `daiko jobs wait` against a real worker and relay."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.jobs.kinds import JobKind
from daiko.jobs.service import enqueue
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import World
from tests.jobs.conftest import REPO, RelayTask, WorkerProcess, service_env

pytestmark = [pytest.mark.slow, pytest.mark.broker]


async def _daiko(runtime: Runtime, *args: str) -> subprocess.CompletedProcess[bytes]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "daiko.cli", "jobs", *args],
        cwd=REPO,
        env=service_env(runtime.settings, COLUMNS="100"),
        capture_output=True,
        timeout=120,
        check=False,
    )


async def test_run_wait_and_wait_for_a_failed_job(
    runtime: Runtime,
    world: World,
    owner_engine: AsyncEngine,
    workers: Callable[..., WorkerProcess],
    relay: Callable[..., RelayTask],
) -> None:
    w = workers()
    relay()
    done = await _daiko(
        runtime,
        "run",
        "sample_records",
        "--tenant",
        "tenant-a",
        "--payload",
        '{"count": 20, "chunk_size": 5}',
        "--wait",
    )
    assert done.returncode == 0, done.stderr.decode() + w.log()
    out = done.stdout.decode().splitlines()
    assert out[-1] == "succeeded"
    assert "20/20" in done.stderr.decode()  # the progress bar's last state

    tenant = world.tenant_a.id
    async with runtime.db.session(scope_of_tenant(tenant)) as s:
        failing = await enqueue(s, tenant, JobKind.NOOP, {"fail_attempts": 9})
    failed = await _daiko(runtime, "wait", str(failing.id), "--timeout", "60")
    assert failed.returncode == 1
    assert failed.stderr.decode().strip().splitlines()[-1] == (
        "failed: failed after 3 attempts: DrillFailure: failing attempt 3 as asked"
    )
