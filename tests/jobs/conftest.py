"""Fixtures for the jobs tests: real worker processes, an in-process relay, and helpers
to wait for a job's state."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.config import Settings
from daiko.jobs.relay import run_relay
from daiko.runtime import Runtime

REPO = Path(__file__).resolve().parents[2]


def service_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DAIKO_ENV": "test",
            "DAIKO_DATABASE_URL": str(settings.database_url),
            "DAIKO_BROKER_URL": str(settings.broker_url),
            "DAIKO_STORAGE_URL": str(settings.storage_url),
            "DAIKO_DATA_DIR": str(settings.data_dir),
            "DAIKO_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


class WorkerProcess:
    """`dramatiq workers` as a child process in its own process group."""

    def __init__(self, settings: Settings, log_path: Path, threads: int = 4) -> None:
        self.settings = settings
        self.log_path = log_path
        self.threads = threads
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dramatiq",
                "workers",
                "--processes",
                "1",
                "--threads",
                str(self.threads),
                "--queues",
                "default",
                "batch",
            ],
            cwd=REPO,
            env=service_env(self.settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def workers(settings: Settings, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """`workers()` starts a worker process; all are killed at teardown."""
    started: list[WorkerProcess] = []

    def start(threads: int = 4) -> WorkerProcess:
        w = WorkerProcess(settings, tmp_path / f"worker-{len(started)}.log", threads).start()
        started.append(w)
        return w

    yield start
    for w in started:
        w.kill()


class RelayTask:
    def __init__(self, runtime: Runtime, **options: Any) -> None:
        self.runtime = runtime
        self.options = options
        self.stop_event = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> RelayTask:
        self.stop_event = asyncio.Event()
        self.task = asyncio.create_task(
            run_relay(self.runtime.db, self.runtime.broker_url, self.stop_event, **self.options)
        )
        return self

    async def stop(self) -> None:
        self.stop_event.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 20)
            self.task = None


@pytest.fixture
async def relay(runtime: Runtime) -> AsyncIterator[Callable[..., RelayTask]]:
    """`relay(**options)` runs the outbox relay in this event loop until teardown."""
    running: list[RelayTask] = []

    def start(**options: Any) -> RelayTask:
        options.setdefault("poll", 0.2)
        options.setdefault("sweep_every", 0.5)
        options.setdefault("queued_for", timedelta(seconds=30))
        r = RelayTask(runtime, **options).start()
        running.append(r)
        return r

    yield start
    for r in running:
        await r.stop()


async def job_row(owner: AsyncEngine, job_id: uuid.UUID) -> dict[str, Any]:
    async with owner.connect() as conn:
        row = (await conn.execute(text("select * from jobs where id = :id"), {"id": job_id})).one()
        return dict(row._mapping)


async def wait_for_status(
    owner: AsyncEngine,
    job_id: uuid.UUID,
    statuses: tuple[str, ...] = ("succeeded", "failed", "cancelled"),
    timeout: float = 60.0,
    describe: Callable[[], str] | None = None,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        row = await job_row(owner, job_id)
        if row["status"] in statuses:
            return row
        if time.monotonic() > deadline:
            extra = describe() if describe else ""
            raise AssertionError(f"job still {row['status']} after {timeout}s: {row}\n{extra}")
        await asyncio.sleep(0.1)


@asynccontextmanager
async def noop() -> AsyncIterator[None]:
    yield
