"""Payroll benchmark: one monthly run of N employees (default 10,000) calculated on 2
worker processes — members fixed, chunks of 500 computed, results persisted, totals and
journal written, run in review — beside a raw asyncpg COPY of the same result rows into
a plain table in the same run; then payslip PDFs rendered for a sample (default 500) in
this process, extrapolated to N on 2 processes.

    uv run python bench/payroll.py          # embedded PostgreSQL + Redis (like `daiko dev`)
    DAIKO_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    DAIKO_BROKER_URL=redis://127.0.0.1:6379/0 uv run python bench/payroll.py

Options through the environment: BENCH_EMPLOYEES (10000), BENCH_PAYSLIPS (500),
BENCH_PROCESSES (2). Goal: calculation + persistence ≤ 10 s for 10,000 employees.
"""

from __future__ import annotations


def main() -> None:
    import asyncio
    import datetime as dt
    import os
    import signal
    import subprocess
    import sys
    import time
    import uuid
    from pathlib import Path

    import asyncpg
    from sqlalchemy import insert, select, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    from daiko.auth.principal import Principal
    from daiko.config import load_settings, redact_url
    from daiko.db.migrate import upgrade
    from daiko.db.urls import owner_url
    from daiko.employees.models import Employee, EmployeeGrade
    from daiko.ids import new_id
    from daiko.jobs.relay import run_relay
    from daiko.payroll import service
    from daiko.payroll.jobs import payslip_data
    from daiko.payroll.models import PayrollResult, PayrollRun
    from daiko.payroll.payslip import render_payslip, render_payslips
    from daiko.payroll.schemas import RunCreate
    from daiko.runtime import Runtime
    from daiko.tenancy.models import Tenant
    from daiko.tenancy.scope import scope_of_tenant

    n = int(os.environ.get("BENCH_EMPLOYEES", "10000"))
    n_slips = int(os.environ.get("BENCH_PAYSLIPS", "500"))
    processes = int(os.environ.get("BENCH_PROCESSES", "2"))
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
            db_pool_size=10,
        )
        worker: subprocess.Popen[bytes] | None = None
        figures: dict[str, float] = {}
        try:
            await upgrade(settings)
            owner = create_async_engine(owner_url(settings))
            tenant_id, user_id = new_id(), new_id()
            async with owner.begin() as conn:
                await conn.execute(
                    insert(Tenant).values(
                        id=tenant_id,
                        slug="bench",
                        name="株式会社ベンチ",
                        name_kana="ベンチ",
                        corporate_number="7000012050002",
                        prefecture="13",
                        services=["payroll"],
                    )
                )
                await conn.execute(
                    text(
                        "insert into users (id, email, display_name, kind)"
                        " values (:i, 'bench@daiko.example', 'bench', 'operator')"
                    ),
                    {"i": user_id},
                )
                rows = []
                grades = []
                for i in range(n):
                    eid = new_id()
                    base = 200_000 + (i % 40) * 5_000
                    rows.append(
                        {
                            "tenant_id": tenant_id,
                            "id": eid,
                            "code": f"{i:06d}",
                            "family_name": "山田",
                            "given_name": f"太郎{i}",
                            "family_name_kana": "ヤマダ",
                            "given_name_kana": "タロウ",
                            "birth_date": dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                            "hire_date": dt.date(2015, 4, 1),
                            "pay_group": "monthly",
                            "base_amount": base,
                            "scheduled_monthly_hours": 160,
                            "scheduled_days": 20,
                            "allowances": [
                                {"kind": "commuting", "name": "通勤手当", "amount": 12_000,
                                 "taxable": False}
                            ],
                            "dependents": i % 4,
                            "prefecture": "13",
                        }
                    )  # fmt: skip
                    grades.append(
                        {
                            "tenant_id": tenant_id,
                            "id": new_id(),
                            "employee_id": eid,
                            "effective_month": dt.date(2025, 9, 1),
                            "health_standard": 200_000 + (i % 40) * 5_000 // 20_000 * 20_000,
                            "pension_standard": 200_000 + (i % 40) * 5_000 // 20_000 * 20_000,
                            "reason": "annual",
                        }
                    )
                for start in range(0, n, 2000):
                    await conn.execute(insert(Employee), rows[start : start + 2000])
                    await conn.execute(insert(EmployeeGrade), grades[start : start + 2000])
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
                    sys.executable, "-m", "dramatiq", "workers",
                    "--processes", str(processes), "--threads", "2", "--queues", "batch",
                ],
                cwd=repo,
                env=env,
                start_new_session=True,
            )  # fmt: skip
            runtime = Runtime.from_settings(settings)
            stop = asyncio.Event()
            relay = asyncio.create_task(run_relay(runtime.db, broker_url, stop, poll=0.05))
            scope = scope_of_tenant(tenant_id)
            principal = Principal(
                kind="user",
                scope=scope,
                user_id=user_id,
                user_kind="operator",
                email="bench@daiko.example",
                roles={tenant_id: "lead"},
            )

            async def one_run(pay_date: dt.date) -> tuple[uuid.UUID, float]:
                t0 = time.perf_counter()
                async with runtime.db.session(scope) as session:
                    run_row = await service.create_run(
                        session,
                        principal,
                        tenant_id,
                        RunCreate(kind="monthly", pay_group="monthly", pay_date=pay_date),
                    )
                    t1 = time.perf_counter()
                    await service.start_calculation(session, principal, run_row)
                    t2 = time.perf_counter()
                    run_id = run_row.id
                t3 = time.perf_counter()
                figures["t_create"], figures["t_start"] = t1 - t0, t2 - t1
                figures["t_commit"] = t3 - t2
                while True:
                    async with owner.connect() as conn:
                        status = (
                            await conn.execute(
                                select(PayrollRun.status).where(PayrollRun.id == run_id)
                            )
                        ).scalar_one()
                        failed = (
                            (
                                await conn.execute(
                                    text("select last_error from jobs where status = 'failed'")
                                )
                            )
                            .scalars()
                            .first()
                        )
                    if status == "review":
                        return run_id, time.perf_counter() - t0
                    if failed:
                        raise RuntimeError(f"the calculation failed: {failed}")
                    await asyncio.sleep(0.05)

            # Warm-up (workers importing, connections opening): a run for another month.
            await one_run(dt.date(2026, 9, 25))
            run_id, elapsed = await one_run(dt.date(2026, 10, 23))
            figures["calc_seconds"] = elapsed
            figures["calc_rate"] = n / elapsed
            async with owner.connect() as conn:
                timing = (
                    await conn.execute(
                        text(
                            "select extract(epoch from j.started_at - j.created_at) as queued,"
                            " extract(epoch from j.finished_at - j.started_at) as ran,"
                            " (select avg(extract(epoch from c.finished_at - c.started_at))"
                            "  from job_chunks c where c.job_id = j.id) as chunk_avg,"
                            " (select count(*) from job_chunks c where c.job_id = j.id) as chunks,"
                            " extract(epoch from r.calculated_at - j.created_at) as to_review,"
                            " extract(epoch from clock_timestamp() - j.created_at) as to_now"
                            " from payroll_runs r join jobs j on j.id = r.calculate_job_id"
                            " where r.id = :r"
                        ),
                        {"r": run_id},
                    )
                ).one()
            figures["job_queued"] = float(timing.queued or 0)
            figures["job_ran"] = float(timing.ran or 0)
            figures["chunk_avg"] = float(timing.chunk_avg or 0)
            figures["chunks"] = float(timing.chunks or 0)
            figures["to_review"] = float(timing.to_review or 0)
            figures["to_now"] = float(timing.to_now or 0)

            # Baseline: the same result rows through raw asyncpg COPY into a plain table.
            dsn = make_url(owner_url(settings)).set(drivername="postgresql")
            conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
            try:
                records = await conn.fetch(
                    "select * from payroll_results where run_id = $1", run_id
                )
                columns = list(records[0].keys())
                await conn.execute(
                    "create table bench_copy (like payroll_results including defaults)"
                )
                t0 = time.perf_counter()
                await conn.copy_records_to_table(
                    "bench_copy", records=[tuple(r.values()) for r in records], columns=columns
                )
                figures["copy_seconds"] = time.perf_counter() - t0
                figures["copy_rate"] = len(records) / figures["copy_seconds"]
            finally:
                await conn.close()

            # Payslip PDFs: a sample rendered here, one process.
            async with runtime.db.session(scope) as session:
                run_row = await session.get(PayrollRun, (tenant_id, run_id))
                tenant = await session.get(Tenant, tenant_id)
                assert run_row is not None
                assert tenant is not None
                sample = (
                    (
                        await session.execute(
                            select(PayrollResult)
                            .where(PayrollResult.run_id == run_id)
                            .order_by(PayrollResult.seq)
                            .limit(n_slips)
                        )
                    )
                    .scalars()
                    .all()
                )
                slips = [payslip_data(run_row, tenant, r) for r in sample]
                render_payslip(slips[0])  # imports, font file in the page cache
                # Baseline: one at a time from the full font, as a single download would.
                singles = slips[:20]
                t0 = time.perf_counter()
                for one in singles:
                    render_payslip(one)
                figures["pdf_single"] = (time.perf_counter() - t0) / len(singles)
                # As the outputs job does: a chunk at a time, one cut-down font per chunk.
                t0 = time.perf_counter()
                size = 0
                for at in range(0, len(slips), service.OUTPUT_CHUNK_SIZE):
                    chunk = slips[at : at + service.OUTPUT_CHUNK_SIZE]
                    size += sum(len(pdf) for pdf in render_payslips(chunk))
                figures["pdf_seconds"] = time.perf_counter() - t0
                figures["pdf_n"] = len(sample)
                figures["pdf_chunk"] = service.OUTPUT_CHUNK_SIZE
                figures["pdf_kb"] = size / len(sample) / 1024
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
        for svc in reversed(services):
            stop_fn = getattr(svc, "stop", None)
            if stop_fn is not None:
                stop_fn()

    print(f"payroll benchmark  database={redact_url(server_url)}  broker={redact_url(broker_url)}")
    print(f"N={n} employees, one monthly run; workers: {processes} processes x 2 threads")
    print()
    print(f"{'':44}{'seconds':>10}{'rows/s':>12}")
    print(f"{'calculate + persist + journal (to review)':44}"
          f"{f['calc_seconds']:>10.2f}{f['calc_rate']:>12.0f}")  # fmt: skip
    print(f"{'raw asyncpg COPY of the same result rows':44}"
          f"{f['copy_seconds']:>10.2f}{f['copy_rate']:>12.0f}")  # fmt: skip
    print(f"{'ratio (COPY rows/s ÷ run employees/s)':44}{f['copy_rate'] / f['calc_rate']:>22.1f}")
    print(
        f"job: queued {f['job_queued']:.2f} s, planned→finished {f['job_ran']:.2f} s, "
        f"{int(f['chunks'])} chunks of ≤ 500 taking {f['chunk_avg']:.2f} s each on average; "
        f"in review {f['to_review']:.2f} s after the job was written ({f['to_now']:.2f} s to now)"
    )
    print(
        f"create run (case) {f['t_create']:.2f} s, fix members + enqueue {f['t_start']:.2f} s,"
        f" commit {f['t_commit']:.2f} s"
    )
    goal = "met" if f["calc_seconds"] <= 10 else "NOT met"
    print(f"goal ≤ 10 s for calculation + persistence: {goal}")
    print()
    per = f["pdf_seconds"] / f["pdf_n"]
    print(
        f"payslip PDFs: {int(f['pdf_n'])} rendered in {f['pdf_seconds']:.1f} s in one process "
        f"in chunks of {f['pdf_chunk']:.0f} ({per * 1000:.0f} ms each, {f['pdf_kb']:.0f} KiB "
        f"each) beside {f['pdf_single'] * 1000:.0f} ms each one at a time from the full font "
        f"(ratio {f['pdf_single'] / per:.1f}); extrapolated to {n} on {processes} processes: "
        f"{per * n / processes:.0f} s"
    )


if __name__ == "__main__":
    main()
