"""Partner API throughput: get-employee and list-employees through the whole Daiko stack
(uvicorn, bearer-token check, rate limiter in Redis, RLS-scoped session, msgspec) beside
a bare Litestar + asyncpg endpoint doing the same queries (same role, same RLS scope,
same rows), in the same run, each server in its own process, 32 concurrent connections.

    uv run python bench/api.py            # embedded PostgreSQL and Redis
    BENCH_SECONDS=10 BENCH_EMPLOYEES=2000 uv run python bench/api.py

Prints requests/s, p50 and p99 per endpoint and server, and Daiko's share of the bare
throughput (goal: at least 50 %).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

CONCURRENCY = 32
GOAL = 0.50
REPO = Path(__file__).resolve().parent.parent

GET_SQL = (
    "select id, code, family_name, given_name, family_name_kana, given_name_kana,"
    " birth_date, hire_date, pay_group, base_amount, version, updated_at"
    " from employees where tenant_id = $1 and id = $2"
)
LIST_SQL = (
    "select id, code, family_name, given_name, family_name_kana, given_name_kana,"
    " birth_date, hire_date, pay_group, base_amount, version, updated_at"
    " from employees where tenant_id = $1 order by code, id limit 50"
)
SET_SCOPE = "select set_config('daiko.tenant_ids', $1, true)"


# --- the bare server (run as a subprocess: `python bench/api.py --bare PORT DSN`) --------


def bare_app(dsn: str) -> Any:
    import asyncpg  # type: ignore[import-untyped]
    from litestar import Litestar, get

    state: dict[str, Any] = {}

    async def startup() -> None:
        state["pool"] = await asyncpg.create_pool(dsn, min_size=10, max_size=20)

    def row_out(r: Any) -> dict[str, Any]:
        return dict(r)

    @get("/employees/{employee_id:uuid}")
    async def get_employee(employee_id: uuid.UUID, tenant_id: uuid.UUID) -> dict[str, Any]:
        async with state["pool"].acquire() as conn, conn.transaction():
            await conn.execute(SET_SCOPE, str(tenant_id))
            row = await conn.fetchrow(GET_SQL, tenant_id, employee_id)
        return row_out(row)

    @get("/employees")
    async def list_employees(tenant_id: uuid.UUID) -> dict[str, Any]:
        async with state["pool"].acquire() as conn, conn.transaction():
            await conn.execute(SET_SCOPE, str(tenant_id))
            rows = await conn.fetch(LIST_SQL, tenant_id)
        return {"items": [row_out(r) for r in rows], "next_cursor": None}

    return Litestar([get_employee, list_employees], on_startup=[startup], openapi_config=None)


def serve_bare(port: int, dsn: str) -> None:
    import uvicorn

    uvicorn.run(bare_app(dsn), host="127.0.0.1", port=port, log_level="warning")


# --- load -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_up(url: str, deadline: float = 60) -> None:
    import httpx

    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


async def load(urls: list[str], headers: dict[str, str], seconds: float) -> dict[str, float]:
    import httpx

    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, headers=headers, timeout=30) as client:
        for url in urls[:CONCURRENCY]:  # warm-up: connections and pools
            await client.get(url)
        stop = time.perf_counter() + seconds

        async def worker(i: int) -> None:
            nonlocal errors
            n = i
            while time.perf_counter() < stop:
                url = urls[n % len(urls)]
                n += CONCURRENCY
                t0 = time.perf_counter()
                try:
                    r = await client.get(url)
                except httpx.TransportError:  # a dropped connection is an error, counted
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": errors,
        "requests": len(latencies),
    }


def main() -> None:
    from sqlalchemy import insert, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    from daiko.auth import partners
    from daiko.config import load_settings
    from daiko.db.migrate import upgrade
    from daiko.db.urls import app_url, libpq_dsn, owner_url
    from daiko.employees.models import Employee
    from daiko.ids import new_id
    from daiko.runtime import Runtime
    from daiko.tenancy.models import Tenant

    n = int(os.environ.get("BENCH_EMPLOYEES", "1000"))
    seconds = float(os.environ.get("BENCH_SECONDS", "8"))
    data_dir = REPO / ".daiko" / "bench"
    server_url = os.environ.get("DAIKO_DATABASE_URL")
    if not server_url:
        from daiko.embedded import start_postgres

        server_url = start_postgres(data_dir, stop_at_exit=True).url("postgres")
    broker_url = os.environ.get("DAIKO_BROKER_URL")
    redis = None
    if not broker_url:
        from daiko.embedded import start_redis

        redis = start_redis(data_dir / "redis-api")
        broker_url = redis.url
    db_name = f"daiko_bench_{uuid.uuid4().hex[:8]}"
    server = make_url(server_url).set(drivername="postgresql+asyncpg")
    daiko_port, bare_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{daiko_port}"
    settings = load_settings(
        env="test",
        database_url=server.set(database=db_name).render_as_string(hide_password=False),
        broker_url=broker_url,
        data_dir=data_dir,
        log_level="WARNING",
        base_url=base_url,
        rate_limit=1_000_000,
    )
    procs: list[subprocess.Popen[bytes]] = []

    async def prepare() -> tuple[uuid.UUID, list[uuid.UUID], str, str]:
        admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'create database "{db_name}"'))
        await admin.dispose()
        await upgrade(settings)
        owner = create_async_engine(owner_url(settings))
        tenant_id = new_id()
        ids = [new_id() for _ in range(n)]
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
                insert(Employee),
                [
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
                        "base_amount": 200_000 + (i % 40) * 5_000,
                        "scheduled_monthly_hours": 160,
                        "scheduled_days": 20,
                        "allowances": [],
                        "dependents": 0,
                        "prefecture": "13",
                    }
                    for i, eid in enumerate(ids)
                ],
            )
            await conn.execute(text("analyze employees"))
        runtime = Runtime.from_settings(settings)
        async with runtime.db.global_session() as session:
            new = await partners.create_partner(session, "Bench", frozenset({"employees:read"}))
        await runtime.close()
        async with owner.begin() as conn:
            await conn.execute(
                text(
                    "insert into partner_grants (tenant_id, id, client_id, scopes)"
                    " values (:t, :i, :c, array['employees:read'])"
                ),
                {"t": tenant_id, "i": new_id(), "c": new.client_id},
            )
        await owner.dispose()
        return tenant_id, ids, new.client_id, new.client_secret

    tenant_id, ids, client_id, secret = asyncio.run(prepare())
    env = {
        **os.environ,
        "DAIKO_ENV": "test",
        "DAIKO_DATABASE_URL": settings.database_url or "",
        "DAIKO_BROKER_URL": broker_url,
        "DAIKO_DATA_DIR": str(data_dir),
        "DAIKO_BASE_URL": base_url,
        "DAIKO_LOG_LEVEL": "WARNING",
        "DAIKO_RATE_LIMIT": "1000000",
    }
    try:
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "daiko.app:create_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(daiko_port), "--log-level", "warning",
                 "--no-access-log"],
                env=env,
            )
        )  # fmt: skip
        procs.append(
            subprocess.Popen(
                [sys.executable, __file__, "--bare", str(bare_port),
                 libpq_dsn(app_url(settings))],
                env=env,
            )
        )  # fmt: skip
        wait_up(f"{base_url}/health/live")
        wait_up(f"http://127.0.0.1:{bare_port}/employees?tenant_id={tenant_id}")
        import httpx

        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        token = httpx.post(
            f"{base_url}/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        bare = f"http://127.0.0.1:{bare_port}"
        cases = {
            "get-employee": (
                [f"{base_url}/api/v1/employees/{i}" for i in ids],
                [f"{bare}/employees/{i}?tenant_id={tenant_id}" for i in ids],
            ),
            "list-employees": (
                [f"{base_url}/api/v1/employees?tenant_id={tenant_id}&limit=50"],
                [f"{bare}/employees?tenant_id={tenant_id}"],
            ),
        }
        print(
            f"{n} employees, {CONCURRENCY} concurrent connections, {seconds:g} s per "
            f"measurement, one uvicorn process each, on {os.cpu_count()} CPUs"
        )
        print(f"{'endpoint':16} {'server':6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} errors")
        for name, (daiko_urls, bare_urls) in cases.items():
            figures = {}
            for label, urls, headers in (
                ("bare", bare_urls, {}),
                ("daiko", daiko_urls, auth),
            ):
                f = asyncio.run(load(urls, headers, seconds))
                figures[label] = f
                print(
                    f"{name:16} {label:6} {f['rps']:8.0f} {f['p50']:8.1f} {f['p99']:8.1f}"
                    f" {f['errors']:.0f}"
                )
            share = figures["daiko"]["rps"] / figures["bare"]["rps"]
            verdict = "ok" if share >= GOAL else "BELOW GOAL"
            print(
                f"{name:16} daiko at {share:.0%} of bare throughput (goal ≥ {GOAL:.0%}): {verdict}"
            )
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if redis is not None:
            redis.stop()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--bare":
        serve_bare(int(sys.argv[2]), sys.argv[3])
    else:
        main()
