"""One SLA scan over 1,000,000 open cases across 10,000 tenants, timed beside a plain
indexed count over the same table in the same run.

Data: a scratch database built by the real migrations; 10,000 tenants × 100 open cases,
each with a resolution clock in `sla_clocks`, loaded as the owner with
`generate_series`. Thresholds are spread over the next three days; 1 clock in 1,000 has a
warning due now (about a minute's worth at this size: each case crosses three thresholds
over its life).

Figures (median of 5 for the read-only queries; the scan runs once, as it writes):
- baseline: `select count(*) from sla_clocks where next_event_at <= now` as daiko_system
  (an index-only range count);
- due query: the scanner's set-wise read (`daiko.sla.system.due_clocks`);
- full scan: `daiko.sla.scanner.scan` — the due query, then per tenant in its own scope:
  load the cases, insert the events once, advance the clocks (mail built, not sent).

    uv run python bench/sla.py                      # embedded PostgreSQL
    DAIKO_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres uv run python bench/sla.py
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from daiko.config import load_settings
from daiko.db.engine import Database
from daiko.db.migrate import upgrade
from daiko.sla import system
from daiko.sla.scanner import scan
from daiko.tenancy.scope import NO_TENANTS

TENANTS = int(os.environ.get("BENCH_TENANTS", "10000"))
CASES_PER_TENANT = int(os.environ.get("BENCH_CASES_PER_TENANT", "100"))
DUE_EVERY = 1000  # one clock in DUE_EVERY has a threshold due now
REPEAT = 5


def server_url() -> str:
    url = os.environ.get("DAIKO_DATABASE_URL")
    if url:
        return url
    from daiko.embedded import start_postgres

    return start_postgres(Path(".daiko"), stop_at_exit=True).url("postgres")


LOAD = [
    """
    insert into tenants (id, slug, name, name_kana, corporate_number, prefecture, services)
    select gen_random_uuid(), 'bench-' || g, 'ベンチ ' || g, 'ベンチ', lpad(g::text, 13, '0'),
           '13', '{payroll}'
      from generate_series(1, :tenants) g
    """,
    """
    insert into cases (tenant_id, id, type, service, title, status, priority)
    select t.id, gen_random_uuid(), 'inquiry', 'general', 'bench case ' || g, 'in_progress',
           'normal'
      from tenants t cross join generate_series(1, :per_tenant) g
    """,
    """
    insert into sla_clocks (tenant_id, id, case_id, clock, kind, service, label, status,
                            target_seconds, started_at, due_at, warn1_at, warn2_at, breach_at,
                            next_event_at, policy_hash)
    select c.tenant_id, gen_random_uuid(), c.id, 'resolution', 'contractual', 'general',
           '完了 (resolution)', 'ok', 97200, s.started, s.breach,
           s.warn1, s.warn2, s.breach, s.warn1, 'bench'
      from (select tenant_id, id, abs(hashtext(id::text)) as n from cases) c
      cross join lateral (
        select cast(:now as timestamptz) - interval '1 day' as started,
               case when c.n % :due_every = 0
                    then cast(:now as timestamptz) - interval '30 seconds'
                    else cast(:now as timestamptz) + (c.n % 4320) * interval '1 minute'
                         + interval '1 minute'
               end as warn1
      ) w
      cross join lateral (
        select w.started, w.warn1, w.warn1 + interval '2 hours' as warn2,
               w.warn1 + interval '6 hours' as breach
      ) s
    """,
]


async def timed_median(fn: object, repeat: int = REPEAT) -> tuple[float, object]:
    samples = []
    result: object = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = await fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


async def main() -> int:
    server = make_url(server_url()).set(drivername="postgresql+asyncpg")
    name = f"daiko_bench_sla_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'create database "{name}"')
        version = (await conn.exec_driver_sql("show server_version")).scalar()
    url = server.set(database=name).render_as_string(hide_password=False)
    settings = load_settings(database_url=url, log_level="WARNING", env="test")
    print(f"PostgreSQL {version} at {server.render_as_string(hide_password=True)}, db {name}")
    db = Database(settings)
    try:
        await upgrade(settings)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        owner = create_async_engine(server.set(database=name))
        started = time.perf_counter()
        async with owner.begin() as conn:
            params = {
                "tenants": TENANTS,
                "per_tenant": CASES_PER_TENANT,
                "now": now,
                "due_every": DUE_EVERY,
            }
            for stmt in LOAD:
                await conn.execute(text(stmt), params)
        async with owner.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("vacuum analyze tenants, cases, sla_clocks")
            open_clocks = (await conn.exec_driver_sql("select count(*) from sla_clocks")).scalar()
        await owner.dispose()
        print(
            f"loaded {TENANTS:,} tenants, {open_clocks:,} open cases with clocks "
            f"(generate_series) in {time.perf_counter() - started:.1f} s"
        )

        async def count() -> int:
            async with db.system_engine.connect() as conn:
                value = await conn.execute(
                    text("select count(*) from sla_clocks where next_event_at <= :now"),
                    {"now": now},
                )
                return int(value.scalar() or 0)

        async def due() -> list[system.DueClock]:
            return await system.due_clocks(db, now, 100_000)

        await count()  # warm-up: connections, plans, caches
        await due()
        count_ms, due_n = await timed_median(count)
        due_ms, rows = await timed_median(due)
        assert isinstance(rows, list)
        tenants_due = len({r.tenant_id for r in rows})
        async with db.system_engine.connect() as conn:
            plan = await conn.execute(
                text(
                    "explain (analyze, costs off, timing off, summary off) "
                    "select tenant_id, id from sla_clocks where next_event_at <= :now "
                    "order by next_event_at limit 100000"
                ),
                {"now": now},
            )
            lines = [r[0] for r in plan]
        async with db.session(NO_TENANTS) as session:  # warm the app role's pool
            await session.execute(text("select 1"))
        started = time.perf_counter()
        result = await scan(db, settings, now=now, notify=False)
        scan_ms = (time.perf_counter() - started) * 1000
        again_started = time.perf_counter()
        again = await scan(db, settings, now=now, notify=False)
        again_ms = (time.perf_counter() - again_started) * 1000

        print(
            f"\ndue now: {due_n:,} clocks in {tenants_due:,} tenants; "
            f"scan recorded {result.recorded:,} events ({result.failed_tenants} tenants failed)"
        )
        print(f"{'':48} {'ms':>10} {'× baseline':>11}")
        print(f"{'plain indexed count (baseline, daiko_system)':48} {count_ms:10.2f} {1:11.2f}")
        print(f"{'scanner due query (set-wise, daiko_system)':48} {due_ms:10.2f} "
              f"{due_ms / count_ms:11.2f}")  # fmt: skip
        print(f"{'full scan (due query + per-tenant writes)':48} {scan_ms:10.2f} "
              f"{scan_ms / count_ms:11.2f}")  # fmt: skip
        print(f"{'second scan (nothing left due)':48} {again_ms:10.2f} "
              f"{again_ms / count_ms:11.2f}")  # fmt: skip
        print(
            f"per tenant written: {(scan_ms - due_ms) / max(tenants_due, 1):.2f} ms; "
            f"second scan recorded {again.recorded}"
        )
        print("\nEXPLAIN ANALYZE of the due query:\n" + "\n".join(lines))
        if result.recorded != due_n or again.recorded != 0:
            print("error: every due clock must be recorded exactly once", file=sys.stderr)
            return 1
        if not any("Index" in line for line in lines):
            print("error: the due query does not use an index", file=sys.stderr)
            return 1
        return 0
    finally:
        await db.dispose()
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
        await admin.dispose()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
