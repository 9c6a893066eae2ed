"""Partner API test helpers: partner clients with grants and tokens, a webhook receiver
on loopback that verifies signatures on its own, and deliveries run inline."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import json
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.app import create_app
from daiko.auth import partners
from daiko.auth.sessions import COOKIE_NAME, hash_token
from daiko.jobs.kinds import JobKind
from daiko.jobs.models import Job
from daiko.jobs.runner import handle_message
from daiko.partners import webhooks
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.conftest import http_client
from tests.factories import TestTenant, TestUser, World, sign_in

ALL_SCOPES = frozenset(
    {
        "jobs:read",
        "cases:read",
        "cases:write",
        "documents:read",
        "documents:write",
        "employees:read",
        "employees:write",
        "payroll:read",
        "journals:read",
        "social_insurance:write",
        "webhooks:manage",
    }
)


async def user_headers(owner_engine: AsyncEngine, user: TestUser) -> dict[str, str]:
    """Headers of a signed-in person: the session cookie and its CSRF token."""
    token = await sign_in(owner_engine, user)
    async with owner_engine.connect() as conn:
        csrf = await conn.scalar(
            text("select csrf_token from user_sessions where id = :id"), {"id": hash_token(token)}
        )
    return {"Cookie": f"{COOKIE_NAME}={token}", "X-CSRF-Token": str(csrf)}


@dataclass
class Partner:
    new: partners.NewPartner
    token: str
    tenants: list[TestTenant] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_partner(
    client: httpx.AsyncClient,
    runtime: Runtime,
    owner_engine: AsyncEngine,
    tenants: list[TestTenant],
    *,
    name: str = "Acme HR",
    scopes: frozenset[str] = ALL_SCOPES,
) -> Partner:
    """A partner client granted `scopes` by each tenant's client_admin, with a token."""
    async with runtime.db.global_session() as session:
        new = await partners.create_partner(session, name, scopes)
    for tenant in tenants:
        r = await client.post(
            f"/api/v1/tenants/{tenant.id}/partner-grants",
            json={"client_id": new.client_id, "scopes": sorted(scopes)},
            headers=await user_headers(owner_engine, tenant.users["client_admin"]),
        )
        assert r.status_code in (200, 201), r.text
    raw = base64.b64encode(f"{new.client_id}:{new.client_secret}".encode()).decode()
    r = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {raw}"},
    )
    assert r.status_code == 200, r.text
    return Partner(new, r.json()["access_token"], tenants)


@pytest.fixture
def loopback_runtime(runtime: Runtime) -> Iterator[Runtime]:
    """The runtime with webhook targets on loopback allowed (the receiver is local)."""
    settings = runtime.settings.model_copy(update={"webhooks_allow_loopback": True})
    webhooks.use_settings_provider(lambda: settings)
    yield dataclasses.replace(runtime, settings=settings)
    webhooks.use_settings_provider(None)


@pytest.fixture
def papp(loopback_runtime: Runtime) -> Litestar:
    return create_app(loopback_runtime.settings, runtime=loopback_runtime)


@pytest.fixture
async def pclient(papp: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(papp) as c:
        yield c


@pytest.fixture
async def partner_ab(
    pclient: httpx.AsyncClient, runtime: Runtime, owner_engine: AsyncEngine, world: World
) -> Partner:
    """A partner granted every scope by tenant A only."""
    return await make_partner(pclient, runtime, owner_engine, [world.tenant_a])


@pytest.fixture
async def partner_b(
    pclient: httpx.AsyncClient, runtime: Runtime, owner_engine: AsyncEngine, world: World
) -> Partner:
    """Another partner, granted every scope by tenant B only."""
    return await make_partner(pclient, runtime, owner_engine, [world.tenant_b], name="Beta HR")


# --- an independent webhook receiver ------------------------------------------------------


def independent_verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks verification written from the spec, not from our code."""
    key = base64.b64decode(secret.split("_", 1)[1])
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body.decode()}"
    expected = base64.b64encode(hmac.new(key, content.encode(), hashlib.sha256).digest()).decode()
    return any(
        sig.split(",", 1) == ["v1", expected] for sig in headers["webhook-signature"].split(" ")
    )


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A real HTTP server on 127.0.0.1 that records what it gets and answers with the
    status codes it is told (then 204)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answers: list[int] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                with outer.lock:
                    outer.received.append(
                        Received({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    status = outer.answers.pop(0) if outer.answers else 204
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/daiko"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def run_deliveries(runtime: Runtime, tenant_id: uuid.UUID) -> list[str]:
    """Run every queued webhook job of the tenant once, as a worker would."""
    async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
        ids = (
            (
                await session.execute(
                    select(Job.id)
                    .where(Job.kind == JobKind.WEBHOOK_DELIVER.value, Job.status == "queued")
                    .order_by(Job.created_at, Job.id)  # in the order they were queued
                )
            )
            .scalars()
            .all()
        )
    outcomes = []
    for job_id in ids:
        outcomes.append(
            await handle_message(runtime.db, JobKind.WEBHOOK_DELIVER, tenant_id, job_id)
        )
    await asyncio.sleep(0)
    return outcomes
