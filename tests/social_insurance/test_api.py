"""The social-insurance API and pages end to end: a life event through the API, the
filing and its documents, the office's answers, cursor pages, and the review list with
approval; who may do what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.runtime import Runtime
from daiko.social_insurance import egov
from tests.factories import TestUser, World
from tests.social_insurance.helpers import (
    add_employee,
    add_office,
    add_paid_month,
    drain,
    pay,
    rows,
    writer,
)

HTML = {"Accept": "text/html"}
API = "/api/v1/social-insurance"


@pytest.fixture
def recording() -> egov.RecordingEGov:
    client = egov.RecordingEGov()
    egov.use_egov(client)
    yield client  # type: ignore[misc]
    egov.use_egov(None)


async def test_hire_through_the_api_to_submission_and_completion(
    runtime: Runtime,
    world: World,
    owner_engine: AsyncEngine,
    client_for: Callable[[TestUser], Awaitable[httpx.AsyncClient]],
    recording: egov.RecordingEGov,
) -> None:
    as_user = writer(client_for, owner_engine)
    tid = world.tenant_a.id
    await add_office(owner_engine, tid)
    eid = await add_employee(runtime, tid, "H1", hire_date=dt.date(2026, 4, 28))
    client = await as_user(world.tenant_a.users["client_admin"])
    r = await client.post(
        f"{API}/procedures",
        json={"employee_id": str(eid), "event": "hire", "event_date": "2026-04-28"},
    )
    assert r.status_code == 201, r.text
    made = r.json()["items"]
    assert [(p["kind"], p["due_date"], p["status"]) for p in made] == [
        ("shaho_acquisition", "2026-05-07", "draft"),
        ("koyo_acquisition", "2026-05-11", "draft"),
    ]
    pid = made[0]["id"]
    # A client may not file or record answers: operator work.
    assert (
        await client.post(f"{API}/procedures/{pid}/filing", json={"submit": True})
    ).status_code == 403
    page = await client.get(f"{API}/procedures", params={"limit": 1})
    assert [p["id"] for p in page.json()["items"]] == [pid]
    second = await client.get(
        f"{API}/procedures", params={"limit": 1, "cursor": page.json()["next_cursor"]}
    )
    assert [p["id"] for p in second.json()["items"]] == [made[1]["id"]]
    assert second.json()["next_cursor"] is None

    op = await as_user(world.operator)
    r = await op.post(f"{API}/procedures/{pid}/filing", json={"submit": True})
    assert r.status_code == 202, r.text
    assert await drain(runtime, owner_engine) == ["succeeded"]
    detail = (await op.get(f"{API}/procedures/{pid}")).json()
    assert detail["procedure"]["status"] == "submitted"
    assert [d["kind"] for d in detail["documents"]] == ["form_pdf"]
    assert [h["to_status"] for h in detail["history"]] == ["draft", "ready", "submitted"]
    for status in ("arrived", "under_review", "completed"):
        r = await op.post(f"{API}/procedures/{pid}/status", json={"status": status})
        assert r.status_code == 200, r.text
    r = await op.post(f"{API}/procedures/{pid}/status", json={"status": "returned", "note": "x"})
    assert r.status_code == 409
    assert r.json()["errors"] == [{"field": "status", "reason": "allowed: none"}]

    # The portal lists the employee's procedures; the console shows the procedure.
    portal = await client.get("/portal/social-insurance", headers=HTML)
    assert portal.status_code == 200
    assert "被保険者資格取得届" in portal.text and "H1 山田 太郎" in portal.text
    console = await op.get(f"/console/social-insurance/procedures/{pid}", headers=HTML)
    assert console.status_code == 200
    assert detail["procedure"]["arrival_id"] in console.text and "2026-05-07" in console.text


async def test_other_tenant_procedures_are_not_found(
    runtime: Runtime,
    world: World,
    owner_engine: AsyncEngine,
    client_for: Callable[[TestUser], Awaitable[httpx.AsyncClient]],
) -> None:
    as_user = writer(client_for, owner_engine)
    eid = await add_employee(runtime, world.tenant_a.id, "A1")
    a = await as_user(world.tenant_a.users["client_admin"])
    r = await a.post(
        f"{API}/procedures",
        json={
            "employee_id": str(eid),
            "event": "bonus",
            "event_date": "2026-06-30",
            "inputs": {"amount": 100000},
        },
    )
    pid = r.json()["items"][0]["id"]
    b = await as_user(world.tenant_b.users["client_admin"])
    assert (await b.get(f"{API}/procedures/{pid}")).status_code == 404
    assert (await b.get(f"{API}/procedures")).json()["items"] == []
    # An employee of another tenant cannot be named in a life event.
    r = await b.post(
        f"{API}/procedures",
        json={"employee_id": str(eid), "event": "hire", "event_date": "2026-04-01"},
    )
    assert r.status_code == 404


async def test_review_list_built_and_approved_through_the_api(
    runtime: Runtime,
    world: World,
    owner_engine: AsyncEngine,
    client_for: Callable[[TestUser], Awaitable[httpx.AsyncClient]],
) -> None:
    as_user = writer(client_for, owner_engine)
    tid = world.tenant_a.id
    eid = await add_employee(runtime, tid, "D1")
    await add_paid_month(owner_engine, world, tid, dt.date(2026, 3, 25), {eid: pay(300_000)})
    for month in (4, 5, 6):
        await add_paid_month(
            owner_engine, world, tid, dt.date(2026, month, 25), {eid: pay(400_000)}
        )
    op = await as_user(world.operator)
    r = await op.post(f"{API}/reviews", json={"kind": "monthly_change", "period": "2026-04"})
    assert r.status_code == 202, r.text
    review_id = r.json()["id"]
    assert await drain(runtime, owner_engine) == ["succeeded"]
    detail = (await op.get(f"{API}/reviews/{review_id}")).json()
    [item] = detail["items"]
    assert (item["new_health"], item["new_pension"], item["effective_month"]) == (
        410_000,
        410_000,
        "2026-07-01",
    )
    page = await op.get(f"/console/social-insurance/reviews/{review_id}", headers=HTML)
    assert page.status_code == 200 and "410,000" in page.text
    client = await as_user(world.tenant_a.users["client_admin"])
    decision = f"{API}/reviews/{review_id}/items/{item['id']}/decision"
    assert (await client.post(decision, json={"decision": "approve"})).status_code == 403
    r = await op.post(decision, json={"decision": "approve"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    grade = await rows(
        owner_engine,
        "select effective_month, health_standard from employee_grades where reason = 'change'",
    )
    assert grade == [{"effective_month": dt.date(2026, 7, 1), "health_standard": 410_000}]
    listing = await op.get("/console/social-insurance", headers=HTML)
    assert listing.status_code == 200 and "月額変更届" in listing.text


async def test_office_and_dependants_through_the_api(
    runtime: Runtime,
    world: World,
    owner_engine: AsyncEngine,
    client_for: Callable[[TestUser], Awaitable[httpx.AsyncClient]],
    recording: egov.RecordingEGov,
) -> None:
    as_user = writer(client_for, owner_engine)
    tid = world.tenant_a.id
    eid = await add_employee(runtime, tid, "F1")
    client = await as_user(world.tenant_a.users["client_admin"])
    office = {
        "prefecture_code": "21",
        "area_code": "14",
        "office_code": "ｸﾄﾜ",
        "office_number": "77362",
        "zip_code": "1060041",
        "address": "東京都港区麻布台1-4-3",
        "name": "株式会社テスト",
        "owner_name": "代表　太郎",
        "phone": "03-5563-7662",
    }
    r = await client.post(f"{API}/office", json={**office, "name": "株式会社𠮷"})
    assert r.status_code == 422
    assert (await client.post(f"{API}/office", json=office)).status_code == 200
    dependent = {
        "employee_id": str(eid),
        "family_name": "山田",
        "given_name": "花子",
        "family_name_kana": "ヤマダ",
        "given_name_kana": "ハナコ",
        "birth_date": "1992-02-03",
        "relationship": "spouse",
        "started_on": "2026-03-02",
    }
    bad = await client.post(f"{API}/dependents", json={**dependent, "my_number": "548836529884"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "my_number"
    r = await client.post(f"{API}/dependents", json={**dependent, "my_number": "548836529885"})
    assert r.status_code == 201 and r.json()["my_number"] == "********9885"
    stored = await rows(owner_engine, "select my_number_token, my_number_last4 from si_dependents")
    assert (
        stored[0]["my_number_last4"] == "9885"
        and "548836529885" not in stored[0]["my_number_token"]
    )
    r = await client.post(
        f"{API}/procedures",
        json={"employee_id": str(eid), "event": "dependants_change", "event_date": "2026-03-02"},
    )
    pid = r.json()["items"][0]["id"]
    op = await as_user(world.operator)
    assert (
        await op.post(f"{API}/procedures/{pid}/filing", json={"submit": True})
    ).status_code == 202
    assert await drain(runtime, owner_engine) == ["succeeded"]
    [application] = recording.submissions
    assert application.proc_id == "unregistered:dependants"
    assert (await op.post(f"{API}/procedures/{pid}/egov-status")).json()["procedure"][
        "status"
    ] == "arrived"
