"""Attainment figures and CSV exact; the SLA API per role (401/403/404 other tenant);
policy overrides audited and applied to open clocks."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.runtime import Runtime
from tests.factories import TestUser, World
from tests.sla.helpers import jst, make_case, refresh, rows

Client = Callable[[TestUser], Awaitable[httpx.AsyncClient]]
CSV = (
    "tenant,service,month,met,breached,attainment_percent,median_hours,"
    "statutory_met,statutory_breached\n"
    "tenant-a,general,2026-11,8,1,88.9,18.00,0,0\n"
)


async def november(owner_engine: AsyncEngine, runtime: Runtime, world: World) -> uuid.UUID:
    """Three inquiries of tenant A settled in November 2026 (defaults: first response 8 h,
    acceptance 16 h, resolution 27 h) and one of tenant B."""
    a = world.tenant_a.id
    histories = [
        # resolution 6 h, met
        [("2026-11-02T09:00", "submitted"), ("2026-11-02T10:00", "accepted"),
         ("2026-11-02T15:00", "delivered")],
        # resolution breached 11/6 18:00; 37 h when delivered on 11/10 10:00
        [("2026-11-04T09:00", "submitted"), ("2026-11-04T09:30", "accepted"),
         ("2026-11-10T10:00", "delivered"), ("2026-11-11T10:00", "closed")],
        # 11/23 勤労感謝の日: 18 h over 11/24–25, met
        [("2026-11-20T18:30", "submitted"), ("2026-11-24T10:00", "accepted"),
         ("2026-11-25T18:00", "delivered")],
    ]  # fmt: skip
    ids = []
    for h in histories:
        case_id = await make_case(owner_engine, a, h)
        await refresh(runtime, a, case_id, jst("2026-12-01T09:00"))
        ids.append(case_id)
    b_case = await make_case(
        owner_engine,
        world.tenant_b.id,
        [("2026-11-02T09:00", "submitted"), ("2026-11-02T10:00", "accepted")],
    )
    await refresh(runtime, world.tenant_b.id, b_case, jst("2026-12-01T09:00"))
    return ids[0]


async def test_attainment_figures_and_csv_exact(
    owner_engine: AsyncEngine, runtime: Runtime, world: World, client_for: Client
) -> None:
    await november(owner_engine, runtime, world)
    admin = await client_for(world.tenant_a.users["client_admin"])
    r = await admin.get("/api/v1/sla/attainment", params={"month": "2026-11"})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "first_month": "2026-11",
        "last_month": "2026-11",
        "items": [
            {
                "tenant_id": str(world.tenant_a.id),
                "tenant_slug": "tenant-a",
                "service": "general",
                "month": "2026-11",
                "met": 8,
                "breached": 1,
                "attainment_percent": "88.9",
                "median_hours": "18.00",
                "statutory_met": 0,
                "statutory_breached": 0,
            }
        ],
    }
    csv = await admin.get("/api/v1/sla/attainment.csv", params={"month": "2026-11"})
    assert (csv.status_code, csv.text) == (200, CSV)
    assert csv.headers["content-type"].startswith("text/csv")
    # tenant B's case settled too: the lead of both sees both tenants; B's member only B
    lead = await client_for(world.lead)
    both = (await lead.get("/api/v1/sla/attainment", params={"month": "2026-11"})).json()
    assert [i["tenant_slug"] for i in both["items"]] == ["tenant-a", "tenant-b"]
    b = await client_for(world.tenant_b.users["client_member"])
    only_b = (await b.get("/api/v1/sla/attainment", params={"month": "2026-11"})).json()
    assert [i["tenant_slug"] for i in only_b["items"]] == ["tenant-b"]
    foreign = await b.get(
        "/api/v1/sla/attainment", params={"month": "2026-11", "tenant_id": str(world.tenant_a.id)}
    )
    assert foreign.status_code == 404
    october = await admin.get("/api/v1/sla/attainment", params={"month": "2026-10"})
    assert october.json()["items"] == []


async def test_case_clocks_per_role(
    owner_engine: AsyncEngine,
    runtime: Runtime,
    world: World,
    client_for: Client,
    client: httpx.AsyncClient,
) -> None:
    case_id = await november(owner_engine, runtime, world)
    url = f"/api/v1/cases/{case_id}/sla"
    assert (await client.get(url)).status_code == 401
    viewer = await client_for(world.tenant_a.users["client_viewer"])
    r = await viewer.get(url)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["clock"] for c in body["contractual"]] == [
        "first_response",
        "acceptance",
        "resolution",
    ]
    assert [c["status"] for c in body["contractual"]] == ["met", "met", "met"]
    assert body["statutory"] == []
    other = await client_for(world.tenant_b.users["client_admin"])
    assert (await other.get(url)).status_code == 404
    assert (await (await client_for(world.ops_admin)).get(url)).status_code == 403


async def test_policy_override_is_audited_and_applied(
    owner_engine: AsyncEngine, runtime: Runtime, world: World, as_user: Client
) -> None:
    a = world.tenant_a.id
    case_id = await make_case(owner_engine, a, [("2026-04-28T09:00", "submitted")])
    await refresh(runtime, a, case_id, jst("2026-04-28T09:00"))
    body = {"tenant_id": str(a), "service": "general", "priority": "normal",
            "first_response_hours": "2", "warn1_pct": 50}  # fmt: skip
    operator = await as_user(world.operator)
    assert (await operator.put("/api/v1/sla/policies", json=body)).status_code == 403
    lead = await as_user(world.lead)
    r = await lead.put("/api/v1/sla/policies", json=body)
    assert r.status_code == 200, r.text
    assert (r.json()["first_response_hours"], r.json()["warnings_percent"]) == ("2.00", [50, 90])
    got = await rows(
        owner_engine,
        "select warn1_pct, (breach_at - started_at) from sla_clocks"
        " where case_id = :id and clock = 'first_response'",
        id=case_id,
    )
    assert got[0][0] == 50
    assert got[0][1].total_seconds() == 2 * 3600  # type: ignore[union-attr]
    assert await rows(
        owner_engine,
        "select resource_id, details->'to'->>'first_response_hours' from audit_events"
        " where action = 'sla.policy_changed'",
    ) == [("general/normal", "2")]
    listed = (await lead.get("/api/v1/sla/policies", params={"tenant_id": str(a)})).json()
    normal = next(
        i for i in listed["items"] if (i["service"], i["priority"]) == ("general", "normal")
    )
    assert normal["overridden"] is True


async def test_cli_report(
    owner_engine: AsyncEngine, runtime: Runtime, world: World, monkeypatch: object
) -> None:
    import os
    import subprocess
    import sys

    await november(owner_engine, runtime, world)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAIKO_")}
    env["DAIKO_DATABASE_URL"] = str(runtime.settings.database_url)
    run = subprocess.run(
        [sys.executable, "-m", "daiko.cli", "sla", "report", "--tenant", "tenant-a",
         "--month", "2026-11", "--csv"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (run.returncode, run.stdout) == (0, CSV), run.stderr
