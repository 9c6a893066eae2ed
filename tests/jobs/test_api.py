"""Jobs API: each route anonymous (401), too weak (403), other tenant (404), valid."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import TestUser, World, assign_operator, create_user

ClientFor = Callable[[TestUser], Awaitable[httpx.AsyncClient]]


async def _csrf(owner: AsyncEngine, user: TestUser) -> dict[str, str]:
    async with owner.connect() as conn:
        token = (
            await conn.execute(
                text(
                    "select csrf_token from user_sessions where user_id = :u"
                    " order by created_at desc limit 1"
                ),
                {"u": user.id},
            )
        ).scalar()
    return {"X-CSRF-Token": str(token)}


async def test_jobs_api_lifecycle_and_isolation(
    world: World, client_for: ClientFor, client: httpx.AsyncClient, owner_engine: AsyncEngine
) -> None:
    a, b = world.tenant_a, world.tenant_b
    operator = await client_for(world.operator)
    op_h = await _csrf(owner_engine, world.operator)

    # Run: operator in A (201); unknown kind and bad payload are 422; tenant B is not
    # in the operator's scope (404).
    r = await operator.post(
        "/api/v1/jobs", json={"tenant_id": str(a.id), "kind": "noop", "payload": {}}, headers=op_h
    )
    assert r.status_code == 201, r.text
    job = r.json()
    assert (job["status"], job["kind"], job["tenant_id"], job["attempts"]) == (
        "queued",
        "noop",
        str(a.id),
        0,
    )
    assert job["progress"] == {"done": 0, "total": 0, "percent": 0, "message": None}
    assert job["created_by"] == str(world.operator.id)
    r = await operator.post(
        "/api/v1/jobs", json={"tenant_id": str(a.id), "kind": "nope"}, headers=op_h
    )
    assert (r.status_code, r.json()["type"]) == (422, "urn:daiko:problem:invalid-input")
    r = await operator.post(
        "/api/v1/jobs",
        json={"tenant_id": str(a.id), "kind": "sample_records", "payload": {"count": -5}},
        headers=op_h,
    )
    assert r.status_code == 422
    r = await operator.post(
        "/api/v1/jobs", json={"tenant_id": str(b.id), "kind": "noop"}, headers=op_h
    )
    assert r.status_code == 404

    job_url = f"/api/v1/jobs/{job['id']}"
    # Anonymous: 401 everywhere.
    assert (await client.get(job_url)).status_code == 401
    assert (await client.get("/api/v1/jobs")).status_code == 401
    # Tenant A's viewer reads it; may not cancel (403).
    viewer = a.users["client_viewer"]
    v = await client_for(viewer)
    assert (await v.get(job_url)).json()["id"] == job["id"]
    r = await v.post(f"{job_url}/cancel", headers=await _csrf(owner_engine, viewer))
    assert (r.status_code, r.json()["type"]) == (403, "urn:daiko:problem:forbidden")
    # Tenant B's operator (may read, run and cancel jobs in B): not found, every route.
    operator_b = await create_user(owner_engine, "operator-b@daiko.example", kind="operator")
    await assign_operator(owner_engine, b, operator_b, "operator")
    ob = await client_for(operator_b)
    hb = await _csrf(owner_engine, operator_b)
    assert (await ob.get(job_url)).status_code == 404
    assert (await ob.get(f"{job_url}/chunks")).status_code == 404
    assert (await ob.post(f"{job_url}/cancel", headers=hb)).status_code == 404
    assert (await ob.post(f"{job_url}/retry", headers=hb)).status_code == 404
    assert (await ob.get("/api/v1/jobs")).json() == {"items": [], "next_before": None}

    # List with filters.
    listed = (await v.get("/api/v1/jobs", params={"status": "queued", "kind": "noop"})).json()
    assert [j["id"] for j in listed["items"]] == [job["id"]]
    assert (await v.get("/api/v1/jobs", params={"status": "succeeded"})).json()["items"] == []
    assert (await v.get("/api/v1/jobs", params={"status": "bogus"})).status_code == 422

    # Retry of a queued job is a conflict; cancel works once, then conflicts; then retry.
    r = await operator.post(f"{job_url}/retry", headers=op_h)
    assert (r.status_code, r.json()["type"]) == (409, "urn:daiko:problem:conflict")
    r = await operator.post(f"{job_url}/cancel", headers=op_h)
    assert (r.status_code, r.json()["status"]) == (200, "cancelled")
    assert r.json()["finished_at"] is not None
    r = await operator.post(f"{job_url}/cancel", headers=op_h)
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"] == "the job is already cancelled"
    async with owner_engine.connect() as conn:
        # Cancelling dropped the pending message.
        assert (await conn.execute(text("select count(*) from outbox"))).scalar() == 0
    r = await operator.post(f"{job_url}/retry", headers=op_h)
    assert (r.status_code, r.json()["status"], r.json()["finished_at"]) == (200, "queued", None)


async def test_list_pages_with_before(
    world: World, client_for: ClientFor, owner_engine: AsyncEngine
) -> None:
    operator = await client_for(world.operator)
    h = await _csrf(owner_engine, world.operator)
    ids = []
    for _ in range(5):
        r = await operator.post(
            "/api/v1/jobs", json={"tenant_id": str(world.tenant_a.id), "kind": "noop"}, headers=h
        )
        ids.append(r.json()["id"])
    page1 = (await operator.get("/api/v1/jobs", params={"limit": 3})).json()
    assert [j["id"] for j in page1["items"]] == ids[::-1][:3]
    page2 = (
        await operator.get("/api/v1/jobs", params={"limit": 3, "before": page1["next_before"]})
    ).json()
    assert [j["id"] for j in page2["items"]] == ids[::-1][3:]
    assert page2["next_before"] is None
