"""RLS cost on a tenant-scoped list: `daiko_app` under the real policy vs `daiko_system`
(BYPASSRLS) with an explicit `WHERE tenant_id`, measured in the same run.

Data: 1,000 tenants × 1,000 rows (1M), plus one large tenant of 12,000 rows so that a
200th page of 50 exists. Loaded with COPY as the owner into `bench_items`, a table this
script creates WITH the production policy (`daiko.db.rls.enable_rls_sql`), in a scratch
database it creates and drops.

Query: keyset pagination (`id < :cursor ORDER BY id DESC LIMIT 50`, ids are UUIDv7) over
the primary key `(tenant_id, id)`, page 1 and page 200. Both roles run the same SQL with
`tenant_id = $1` (the application filters by tenant too); for `daiko_app` the policy
adds `tenant_id = any(<scope>)`. Latency is the statement's round trip, timed inside a
transaction whose scope is already set; the scope's own `set_config` round trip is
reported on its own line (one per transaction, not per query).

    uv run python bench/rls.py                      # embedded PostgreSQL
    DAIKO_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres uv run python bench/rls.py
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from daiko.config import APP_ROLE, SYSTEM_ROLE, load_settings
from daiko.db.bootstrap import ensure_roles
from daiko.db.rls import enable_rls_sql
from daiko.db.urls import app_url, libpq_dsn, system_url
from daiko.ids import new_id

TENANTS = 1_000
ROWS = 1_000
BIG_ROWS = 12_000
PAGE = 50
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "400"))
GOAL = 1.10

LIST_SQL = (
    "select id, title, amount, created_at from bench_items"
    " where tenant_id = $1 and id < $2 order by id desc limit 50"
)
RLS_ONLY_SQL = (
    "select id, title, amount, created_at from bench_items where id < $1 order by id desc limit 50"
)
SET_SCOPE = "select set_config('daiko.tenant_ids', $1, true)"
MAX_ID = uuid.UUID("ffffffff-ffff-ffff-ffff-ffffffffffff")


def server_url() -> str:
    url = os.environ.get("DAIKO_DATABASE_URL")
    if url:
        return url
    from daiko.embedded import start_postgres

    return start_postgres(Path(".daiko"), stop_at_exit=True).url("postgres")


async def load(owner_dsn: str) -> tuple[list[uuid.UUID], uuid.UUID]:
    conn = await asyncpg.connect(owner_dsn)
    try:
        await conn.execute(
            """
            create table bench_items (
              tenant_id uuid not null,
              id uuid not null,
              created_at timestamptz not null default now(),
              title text not null,
              amount integer not null,
              primary key (tenant_id, id)
            )
            """
        )
        tenants = [new_id() for _ in range(TENANTS)]
        big = new_id()
        started = time.perf_counter()

        def records(tenant: uuid.UUID, n: int) -> list[tuple[uuid.UUID, uuid.UUID, str, int]]:
            return [(tenant, new_id(), f"item {i}", i * 100) for i in range(n)]

        for chunk in range(0, TENANTS, 50):
            batch = [r for t in tenants[chunk : chunk + 50] for r in records(t, ROWS)]
            await conn.copy_records_to_table(
                "bench_items", records=batch, columns=["tenant_id", "id", "title", "amount"]
            )
        await conn.copy_records_to_table(
            "bench_items",
            records=records(big, BIG_ROWS),
            columns=["tenant_id", "id", "title", "amount"],
        )
        for stmt in enable_rls_sql("bench_items"):
            await conn.execute(stmt)
        db = await conn.fetchval("select current_database()")
        for role in (APP_ROLE, SYSTEM_ROLE):
            await conn.execute(f'grant connect on database "{db}" to {role}')
            await conn.execute(f"grant usage on schema public to {role}")
            await conn.execute(f"grant select on bench_items to {role}")
        await conn.execute("vacuum analyze bench_items")
        total = await conn.fetchval("select count(*) from bench_items")
        print(f"loaded {total:,} rows with COPY in {time.perf_counter() - started:.1f} s")
        return tenants, big
    finally:
        await conn.close()


async def cursor_for_page(conn: asyncpg.Connection, tenant: uuid.UUID, page: int) -> uuid.UUID:
    """The keyset cursor that starts page `page` (1-based) of `tenant`'s list."""
    if page == 1:
        return MAX_ID
    value: uuid.UUID = await conn.fetchval(
        "select id from bench_items where tenant_id = $1 order by id desc offset $2 limit 1",
        tenant,
        (page - 1) * PAGE - 1,
    )
    return value


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(
    app: asyncpg.Connection,
    system: asyncpg.Connection,
    cases: list[tuple[uuid.UUID, uuid.UUID]],
) -> tuple[list[float], list[float], list[float]]:
    """Interleaved samples (ms): app under RLS, system with WHERE, and set_config."""
    rls: list[float] = []
    bypass: list[float] = []
    scope: list[float] = []
    for i, (tenant, cursor) in enumerate(cases):
        order = (0, 1) if i % 2 == 0 else (1, 0)  # alternate who goes first
        for who in order:
            if who == 0:
                async with app.transaction():
                    t0 = time.perf_counter()
                    await app.fetchval(SET_SCOPE, str(tenant))
                    t1 = time.perf_counter()
                    rows = await app.fetch(LIST_SQL, tenant, cursor)
                    t2 = time.perf_counter()
                scope.append((t1 - t0) * 1000)
                rls.append((t2 - t1) * 1000)
            else:
                async with system.transaction():
                    t1 = time.perf_counter()
                    rows = await system.fetch(LIST_SQL, tenant, cursor)
                    t2 = time.perf_counter()
                bypass.append((t2 - t1) * 1000)
            assert len(rows) == PAGE, (who, len(rows))
    return rls, bypass, scope


async def explain(conn: asyncpg.Connection, tenant: uuid.UUID, cursor: uuid.UUID) -> str:
    async with conn.transaction():
        await conn.fetchval(SET_SCOPE, str(tenant))
        rows = await conn.fetch(
            "explain (analyze, costs off, timing off, summary off) " + LIST_SQL, tenant, cursor
        )
    return "\n".join(r[0] for r in rows)


async def rls_only(conn: asyncpg.Connection, tenant: uuid.UUID) -> tuple[float, str]:
    """The same list relying on the policy alone (no explicit WHERE): p50 and plan."""
    times: list[float] = []
    for _ in range(50):
        async with conn.transaction():
            await conn.fetchval(SET_SCOPE, str(tenant))
            t0 = time.perf_counter()
            await conn.fetch(RLS_ONLY_SQL, MAX_ID)
            times.append((time.perf_counter() - t0) * 1000)
    async with conn.transaction():
        await conn.fetchval(SET_SCOPE, str(tenant))
        plan = await conn.fetch("explain (costs off) " + RLS_ONLY_SQL, MAX_ID)
    return statistics.median(times), "\n".join(r[0] for r in plan)


async def main() -> int:
    server = make_url(server_url()).set(drivername="postgresql+asyncpg")
    name = f"daiko_bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'create database "{name}"')
        version = (await conn.exec_driver_sql("show server_version")).scalar()
    settings = load_settings(database_url=server.set(database=name).render_as_string(False))
    print(f"PostgreSQL {version} at {server.render_as_string(hide_password=True)}, db {name}")
    try:
        owner = create_async_engine(server.set(database=name))
        async with owner.begin() as conn:
            await conn.run_sync(lambda c: ensure_roles(c, settings))
        await owner.dispose()
        owner_dsn = libpq_dsn(server.set(database=name))
        tenants, big = await load(owner_dsn)

        app = await asyncpg.connect(libpq_dsn(app_url(settings)))
        system = await asyncpg.connect(libpq_dsn(system_url(settings)))
        assert not await app.fetchval("select rolbypassrls from pg_roles where rolname = user")
        assert await system.fetchval("select rolbypassrls from pg_roles where rolname = user")
        # Fail-closed sanity: no scope, no rows.
        assert await app.fetchval("select count(*) from bench_items") == 0
        try:
            rng = random.Random(7)
            first = [(rng.choice(tenants), MAX_ID) for _ in range(SAMPLES)]
            cursor200 = await cursor_for_page(system, big, 200)
            deep = [(big, cursor200)] * SAMPLES
            await measure(app, system, first[:50])  # warm-up: plans, caches
            results = {
                "page 1 (random tenant of 1,000)": await measure(app, system, first),
                "page 200 (tenant of 12,000 rows)": await measure(app, system, deep),
            }
            print(f"\nkeyset list, {PAGE} rows, {SAMPLES} interleaved samples per figure (ms)")
            print(
                f"{'':34} {'RLS p50':>8} {'p95':>7} {'WHERE p50':>10} {'p95':>7} "
                f"{'ratio p50':>10} {'p95':>6}"
            )
            worst = 0.0
            scope_all: list[float] = []
            for label, (rls, bypass, scope) in results.items():
                r50, r95 = statistics.median(rls), pct(rls, 0.95)
                b50, b95 = statistics.median(bypass), pct(bypass, 0.95)
                worst = max(worst, r50 / b50)
                scope_all += scope
                print(
                    f"{label:34} {r50:8.3f} {r95:7.3f} {b50:10.3f} {b95:7.3f} "
                    f"{r50 / b50:10.2f} {r95 / b95:6.2f}"
                )
            print(
                f"set_config scope round trip (once per transaction): "
                f"p50 {statistics.median(scope_all):.3f} ms, p95 {pct(scope_all, 0.95):.3f} ms"
            )
            verdict = "meets" if worst <= GOAL else "MISSES"
            print(f"worst p50 ratio {worst:.2f} {verdict} the goal (≤ {GOAL:.2f})")

            plan = await explain(app, big, cursor200)
            print("\nEXPLAIN ANALYZE as daiko_app, page 200:\n" + plan)
            if "Index" not in plan:
                print("error: the plan does not use an index", file=sys.stderr)
                return 1
            only50, only_plan = await rls_only(app, tenants[0])
            print(
                f"\nfor information, the policy alone (no explicit WHERE), page 1: "
                f"p50 {only50:.3f} ms; plan:\n{only_plan}"
            )
        finally:
            await app.close()
            await system.close()
    finally:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
        await admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
