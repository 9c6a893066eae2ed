"""Schemathesis against the running app (uvicorn on loopback) with two tenants' partner
tokens: no 5xx, every answer matches the documented status codes, content types and
schemas, and no operation answers without credentials.

Each /api/v1 operation gets generated cases twice per partner: with random ids, and
with tenant A's real ids from the seeders (so handlers past the lookups are reached:
tenant A's partner finds the objects, tenant B's must not).
"""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.app import create_app
from daiko.auth import partners
from daiko.config import Settings
from daiko.partners import webhooks
from daiko.runtime import Runtime
from tests.factories import World
from tests.partners.conftest import ALL_SCOPES, user_headers
from tests.seeds import seed_everything

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

EXAMPLES = 3
# Operations whose documented media type is not yet what they send, with the owner to
# fix it; only the content-type check is skipped for them. Keep this list short.
KNOWN_CONTENT_TYPE_GAPS = {
    "GET /api/v1/bookkeeping/exports": "ledger: declares JSON, answers CSV",
    "GET /api/v1/bookkeeping/reports/tax-summary": "ledger: declares JSON, answers XLSX",
}
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


class Live:
    def __init__(self, settings: Settings) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(
            settings.model_copy(update={"base_url": self.url, "rate_limit": 1_000_000})
        )
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    def __enter__(self) -> Live:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def hermetic_dns() -> Iterator[None]:
    """Generated webhook URLs name random hosts: resolve none of them over the network."""

    async def resolver(host: str, port: int) -> list[tuple[Any, ...]]:
        if host == "localhost":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        raise OSError("no such host (hermetic test resolver)")

    webhooks.use_resolver(resolver)
    yield
    webhooks.use_resolver(None)


async def _partner_token(
    c: httpx.AsyncClient, runtime: Runtime, owner_engine: AsyncEngine, tenant: Any, name: str
) -> str:
    async with runtime.db.global_session() as session:
        new = await partners.create_partner(session, name, ALL_SCOPES)
    r = await c.post(
        f"/api/v1/tenants/{tenant.id}/partner-grants",
        json={"client_id": new.client_id, "scopes": sorted(ALL_SCOPES)},
        headers=await user_headers(owner_engine, tenant.users["client_admin"]),
    )
    assert r.status_code in (200, 201), r.text
    raw = base64.b64encode(f"{new.client_id}:{new.client_secret}".encode()).decode()
    t = await c.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {raw}"},
    )
    assert t.status_code == 200, t.text
    token: str = t.json()["access_token"]
    return token


def _checker(
    strategy: Any, base_url: str, session: requests.Session, token: str, checks: list[Any]
) -> Any:
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        response = case.call(
            base_url=base_url,
            session=session,
            headers={"Authorization": f"Bearer {token}"},
            allow_redirects=False,
            timeout=30,
        )
        case.validate_response(response, checks=checks)

    return check


def _run(schema: Any, base_url: str, tokens: dict[str, str], ids: dict[str, str]) -> list[str]:
    failures: list[str] = []
    session = requests.Session()
    for result in schema.get_all_operations():
        op = result.ok()
        # The partner API: guarded /api/v1 operations (people's sign-in is not in it).
        if not op.path.startswith("/api/v1/") or op.path.startswith("/api/v1/auth/"):
            continue
        if not op.definition.raw.get("security"):
            continue
        label = f"{op.method.upper()} {op.path}"
        real = {p.name: ids[p.name] for p in op.path_parameters if p.name in ids}
        fake = {
            p.name: "1"
            if p.definition.get("schema", {}).get("type") == "integer"
            else str(uuid.uuid4())
            for p in op.path_parameters
        }
        anonymous = session.request(
            op.method.upper(), base_url + op.path.format(**fake), timeout=30
        )
        if anonymous.status_code != 401:
            failures.append(f"{label} without credentials: {anonymous.status_code}")
        checks = CHECKS
        if label in KNOWN_CONTENT_TYPE_GAPS:
            checks = [c for c in CHECKS if c is not schemathesis.checks.content_type_conformance]
        strategies = [op.as_strategy()]
        if real:
            strategies.append(op.as_strategy(path_parameters=real))
        for who, token in tokens.items():
            for strategy in strategies:
                check = _checker(strategy, base_url, session, token, checks)
                try:
                    check()
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as exc:  # collected, reported together
                    failures.append(f"{label} as {who}: {str(exc)[:600]}")
    return failures


async def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    settings: Settings,
    runtime: Runtime,
    owner_engine: AsyncEngine,
    world: World,
    hermetic_dns: None,
) -> None:
    ids = await seed_everything(owner_engine, world)
    with Live(settings) as live:
        async with httpx.AsyncClient(base_url=live.url) as c:
            tokens = {
                "tenant A's partner": await _partner_token(
                    c, runtime, owner_engine, world.tenant_a, "Fuzz A"
                ),
                "tenant B's partner": await _partner_token(
                    c, runtime, owner_engine, world.tenant_b, "Fuzz B"
                ),
            }
        schema = schemathesis.openapi.from_url(f"{live.url}/api/docs/openapi.json")
        failures = await asyncio.to_thread(_run, schema, live.url, tokens, ids)
    assert failures == [], "\n\n".join(failures)
