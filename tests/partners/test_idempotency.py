"""Idempotency-Key on POST/PATCH under /api/v1 (draft-ietf-httpapi-idempotency-key-header)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.cases.models import Case
from daiko.partners.idempotency import expire_keys, parse_key
from daiko.partners.models import IdempotencyKey
from daiko.runtime import Runtime
from tests.factories import World
from tests.partners.conftest import Partner, user_headers

MISSING = "urn:daiko:problem:idempotency-key-missing"


async def _cases(owner_engine: AsyncEngine, tenant_id: uuid.UUID) -> int:
    async with owner_engine.connect() as conn:
        return int(
            (
                await conn.execute(select(func.count()).where(Case.tenant_id == tenant_id))
            ).scalar_one()
        )


def _h(p: Partner, key: str | None) -> dict[str, str]:
    return {**p.headers, **({"Idempotency-Key": key} if key else {})}


def test_parse_key_accepts_sf_strings_and_tokens() -> None:
    assert parse_key('"abc-123"') == "abc-123"
    assert parse_key("abc-123") == "abc-123"
    assert parse_key('""') is None
    assert parse_key("x" * 256) is None
    assert parse_key("caf\u00e9") is None


async def test_partner_post_without_key_is_400_and_does_nothing(
    pclient: httpx.AsyncClient, partner_ab: Partner, owner_engine: AsyncEngine, world: World
) -> None:
    r = await pclient.post(
        "/api/v1/cases", json={"type": "inquiry", "title": "No key"}, headers=partner_ab.headers
    )
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == MISSING
    assert await _cases(owner_engine, world.tenant_a.id) == 0


async def test_retry_replays_the_first_response(
    pclient: httpx.AsyncClient, partner_ab: Partner, owner_engine: AsyncEngine, world: World
) -> None:
    body = {"type": "inquiry", "title": "Once only"}
    first = await pclient.post("/api/v1/cases", json=body, headers=_h(partner_ab, "k-1"))
    assert first.status_code == 201, first.text
    again = await pclient.post("/api/v1/cases", json=body, headers=_h(partner_ab, '"k-1"'))
    assert again.status_code == 201
    assert again.headers["idempotency-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers.get("etag") == first.headers.get("etag")
    assert await _cases(owner_engine, world.tenant_a.id) == 1
    # Another operation under the same key: refused, nothing written.
    other = await pclient.post(
        "/api/v1/cases", json={**body, "title": "Other"}, headers=_h(partner_ab, "k-1")
    )
    assert other.status_code == 422
    assert other.json()["type"] == "urn:daiko:problem:idempotency-key-reused"
    assert await _cases(owner_engine, world.tenant_a.id) == 1
    # A new key is a new operation.
    new = await pclient.post("/api/v1/cases", json=body, headers=_h(partner_ab, "k-2"))
    assert new.status_code == 201 and new.json()["id"] != first.json()["id"]


async def test_fifty_concurrent_retries_have_exactly_one_effect(
    pclient: httpx.AsyncClient, partner_ab: Partner, owner_engine: AsyncEngine, world: World
) -> None:
    body = {"type": "inquiry", "title": "Fifty at once"}
    key = str(uuid.uuid4())
    answers = await asyncio.gather(
        *(pclient.post("/api/v1/cases", json=body, headers=_h(partner_ab, key)) for _ in range(50))
    )
    statuses = sorted(r.status_code for r in answers)
    assert set(statuses) <= {201, 409}, statuses
    created = {r.json()["id"] for r in answers if r.status_code == 201}
    assert len(created) == 1
    for r in answers:
        if r.status_code == 409:
            assert r.json()["type"] == "urn:daiko:problem:idempotency-key-in-use"
            assert r.headers["retry-after"] == "1"
    assert await _cases(owner_engine, world.tenant_a.id) == 1
    # Once finished, every retry gets the replay.
    late = await pclient.post("/api/v1/cases", json=body, headers=_h(partner_ab, key))
    assert late.status_code == 201 and late.json()["id"] in created


async def test_keys_are_scoped_by_client(
    pclient: httpx.AsyncClient,
    partner_ab: Partner,
    owner_engine: AsyncEngine,
    world: World,
) -> None:
    person = await user_headers(owner_engine, world.tenant_a.users["client_admin"])
    body = {"type": "inquiry", "title": "Same key, other caller"}
    p = await pclient.post("/api/v1/cases", json=body, headers=_h(partner_ab, "shared"))
    u = await pclient.post(
        "/api/v1/cases",
        json=body,
        headers={**person, "Idempotency-Key": "shared"},
    )
    assert p.status_code == u.status_code == 201
    assert p.json()["id"] != u.json()["id"]
    assert "idempotency-replayed" not in u.headers
    # A person may leave the key out.
    plain = await pclient.post("/api/v1/cases", json=body, headers=person)
    assert plain.status_code == 201


async def test_server_errors_release_the_key_and_keys_expire(
    pclient: httpx.AsyncClient,
    partner_ab: Partner,
    runtime: Runtime,
    owner_engine: AsyncEngine,
    world: World,
) -> None:
    body = {"type": "inquiry", "title": "Expiring"}
    r = await pclient.post("/api/v1/cases", json=body, headers=_h(partner_ab, "old"))
    assert r.status_code == 201
    async with owner_engine.begin() as conn:
        await conn.execute(
            update(IdempotencyKey).values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    # Past 24 hours the key is free again, even before the sweep.
    r2 = await pclient.post("/api/v1/cases", json=body, headers=_h(partner_ab, "old"))
    assert r2.status_code == 201 and r2.json()["id"] != r.json()["id"]
    async with owner_engine.begin() as conn:
        await conn.execute(
            update(IdempotencyKey).values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    assert await expire_keys(runtime) == 1
    async with owner_engine.connect() as conn:
        left = (await conn.execute(text("select count(*) from idempotency_keys"))).scalar_one()
    assert left == 0
