"""Jobs benchmark: Daiko's no-op jobs end to end (enqueue → outbox → relay → broker →
worker → `succeeded` in the database), and outbox commit→publish latency, beside raw
Dramatiq send/consume of a no-op actor on the same broker and worker, in the same run.

    uv run python bench/jobs.py            # embedded PostgreSQL + Redis (like `daiko dev`)
    DAIKO_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    DAIKO_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/%2F uv run python bench/jobs.py

Options through the environment: BENCH_JOBS (default 2000), BENCH_PACED (200).
The worker runs as `dramatiq workers jobs --path bench` (1 process, 8 threads): this
file doubles as the module declaring the raw baseline actor.
"""

from __future__ import annotations

import dramatiq

RAW_QUEUE = "bench_raw"


@dramatiq.actor(queue_name=RAW_QUEUE, actor_name="bench_raw_noop", max_retries=0)
async def raw_noop(i: int) -> None:
    """The baseline: a no-op async actor (same AsyncIO middleware as our actors)."""


def main() -> None:
    import asyncio
    import os
    import signal
    import subprocess
    import sys
    import time
    import uuid
    from pathlib import Path

    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    from daiko.broker import build_broker
    from daiko.config import load_settings, redact_url
    from daiko.db.migrate import upgrade
    from daiko.db.urls import owner_url
    from daiko.ids import new_id
    from daiko.jobs.kinds import JobKind
    from daiko.jobs.relay import run_relay
    from daiko.jobs.service import enqueue
    from daiko.runtime import Runtime
    from daiko.tenancy.scope import scope_of_tenant

    n_jobs = int(os.environ.get("BENCH_JOBS", "2000"))
    n_paced = int(os.environ.get("BENCH_PACED", "200"))
    repo = Path(__file__).resolve().parent.parent
    data_dir = repo / ".daiko" / "bench"
    services: list[object] = []

    server_url = os.environ.get("DAIKO_DATABASE_URL")
    if not server_url:
        from daiko.embedded import start_postgres

        pg = start_postgres(data_dir, stop_at_exit=True)
        services.append(pg)
        server_url = pg.url("postgres")
    broker_url = os.environ.get("DAIKO_BROKER_URL")
    if not broker_url:
        from daiko.embedded import start_redis

        redis = start_redis(data_dir)
        services.append(redis)
        broker_url = redis.url

    db_name = f"daiko_bench_{uuid.uuid4().hex[:8]}"
    server = make_url(server_url).set(drivername="postgresql+asyncpg")

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    async def run() -> dict[str, float]:
        admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'create database "{db_name}"'))
        settings = load_settings(
            env="test",
            database_url=server.set(database=db_name).render_as_string(hide_password=False),
            broker_url=broker_url,
            data_dir=data_dir,
            log_level="WARNING",
            db_pool_size=20,
        )
        worker: subprocess.Popen[bytes] | None = None
        figures: dict[str, float] = {}
        try:
            await upgrade(settings)
            owner = create_async_engine(owner_url(settings))
            tenant_id = new_id()
            async with owner.begin() as conn:
                await conn.execute(
                    text(
                        "insert into tenants (id, slug, name, name_kana, corporate_number,"
                        " prefecture)"
                        " values (:i, 'bench', 'Bench', 'ベンチ', '7000012050002', '13')"
                    ),
                    {"i": tenant_id},
                )
            env = dict(
                os.environ,
                DAIKO_ENV="test",
                DAIKO_DATABASE_URL=str(settings.database_url),
                DAIKO_BROKER_URL=broker_url,
                DAIKO_LOG_LEVEL="WARNING",
                DAIKO_DATA_DIR=str(data_dir),
            )
            worker = subprocess.Popen(  # noqa: ASYNC220 (started once, before timing)
                [
                    sys.executable,
                    "-m",
                    "dramatiq",
                    "workers",
                    "jobs",
                    "--path",
                    "bench",
                    "--processes",
                    "1",
                    "--threads",
                    "8",
                    "--queues",
                    "default",
                    RAW_QUEUE,
                ],
                cwd=repo,
                env=env,
                start_new_session=True,
            )
            broker = build_broker(broker_url)
            broker.declare_queue(RAW_QUEUE)

            # Warm-up: the worker is up when a raw message comes back through.
            broker.enqueue(raw_noop.message(-1))
            broker.join(RAW_QUEUE, timeout=120_000)

            # --- raw Dramatiq: send N, wait until consumed.
            sends: list[float] = []
            t0 = time.perf_counter()
            for i in range(n_jobs):
                s = time.perf_counter()
                broker.enqueue(raw_noop.message(i))
                sends.append(time.perf_counter() - s)
            t_sent = time.perf_counter()
            broker.join(RAW_QUEUE, timeout=600_000)
            t_done = time.perf_counter()
            figures["raw_send_rate"] = n_jobs / (t_sent - t0)
            figures["raw_e2e_rate"] = n_jobs / (t_done - t0)
            figures["raw_send_p50_ms"] = pct(sends, 50) * 1000
            figures["raw_send_p99_ms"] = pct(sends, 99) * 1000
            broker.close()

            # --- Daiko jobs: enqueue N (one transaction each, 16 at a time), relay
            # in-process as the scheduler runs it, wait until all succeeded.
            runtime = Runtime.from_settings(settings)
            committed: dict[uuid.UUID, float] = {}
            published: dict[uuid.UUID, float] = {}

            def on_published(rows: object) -> None:
                now = time.perf_counter()
                for row in rows:  # type: ignore[attr-defined]
                    published.setdefault(row.job_id, now)

            stop = asyncio.Event()
            relay = asyncio.create_task(
                run_relay(runtime.db, broker_url, stop, on_published=on_published)
            )
            await asyncio.sleep(1.0)  # relay listening
            scope = scope_of_tenant(tenant_id)

            async def one() -> None:
                async with runtime.db.session(scope) as session:
                    job = await enqueue(session, tenant_id, JobKind.NOOP, {})
                committed[job.id] = time.perf_counter()

            sem = asyncio.Semaphore(16)

            async def bounded() -> None:
                async with sem:
                    await one()

            t0 = time.perf_counter()
            await asyncio.gather(*(bounded() for _ in range(n_jobs)))
            t_enq = time.perf_counter()
            while True:
                async with owner.connect() as conn:
                    done = (
                        await conn.execute(
                            text("select count(*) from jobs where status = 'succeeded'")
                        )
                    ).scalar_one()
                if done >= n_jobs:
                    break
                await asyncio.sleep(0.05)
            t_done = time.perf_counter()
            burst = [published[j] - committed[j] for j in committed if j in published]
            figures["daiko_enqueue_rate"] = n_jobs / (t_enq - t0)
            figures["daiko_e2e_rate"] = n_jobs / (t_done - t0)
            figures["burst_p50_ms"] = pct(burst, 50) * 1000
            figures["burst_p99_ms"] = pct(burst, 99) * 1000

            # Paced: one job at a time, as API requests arrive: the NOTIFY wake-up path.
            committed.clear()
            published.clear()
            for _ in range(n_paced):
                await one()
                await asyncio.sleep(0.01)
            await asyncio.sleep(1.0)
            paced = [published[j] - committed[j] for j in committed if j in published]
            figures["paced_n"] = len(paced)
            figures["paced_p50_ms"] = pct(paced, 50) * 1000
            figures["paced_p99_ms"] = pct(paced, 99) * 1000
            stop.set()
            await relay
            await runtime.close()
            await owner.dispose()
        finally:
            if worker is not None and worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
            async with admin.connect() as conn:
                await conn.execute(text(f'drop database if exists "{db_name}" with (force)'))
            await admin.dispose()
        return figures

    try:
        f = asyncio.run(run())
    finally:
        for service in reversed(services):
            stop_fn = getattr(service, "stop", None)
            if stop_fn is not None:
                stop_fn()

    print(f"jobs benchmark  database={redact_url(server_url)}  broker={redact_url(broker_url)}")
    print(f"N={n_jobs} no-op jobs; worker: 1 process x 8 threads; relay in-process")
    print()
    print(f"{'':34}{'raw Dramatiq':>14}{'Daiko jobs':>14}{'ratio':>8}")
    rows = [
        ("send / enqueue (msg/s)", f["raw_send_rate"], f["daiko_enqueue_rate"]),
        ("end to end (jobs/s)", f["raw_e2e_rate"], f["daiko_e2e_rate"]),
    ]
    for name, raw, ours in rows:
        print(f"{name:34}{raw:>14.0f}{ours:>14.0f}{ours / raw:>8.2f}")
    print()

    def line(name: str, a: float, b: float, fmt: str = ".2f") -> None:
        print(f"{name:34}{a:>14{fmt}}{b:>14{fmt}}")

    print(f"{'latency (ms)':34}{'p50':>14}{'p99':>14}")
    line("raw broker.enqueue (one message)", f["raw_send_p50_ms"], f["raw_send_p99_ms"])
    line("outbox commit→publish, burst", f["burst_p50_ms"], f["burst_p99_ms"])
    paced = f"outbox commit→publish, paced ({int(f['paced_n'])})"
    line(paced, f["paced_p50_ms"], f["paced_p99_ms"])
    line(
        "paced ÷ raw enqueue",
        f["paced_p50_ms"] / f["raw_send_p50_ms"],
        f["paced_p99_ms"] / f["raw_send_p99_ms"],
        ".1f",
    )


if __name__ == "__main__":
    main()
