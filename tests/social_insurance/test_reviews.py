"""The 算定基礎 and 月額変更 review jobs on seeded approved payroll results; approving a
result writes the employee's grade history row with its effective month."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.audit.service import SystemActor
from daiko.errors import Conflict
from daiko.runtime import Runtime
from daiko.social_insurance import egov, service
from daiko.social_insurance import repository as repo
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import World
from tests.social_insurance.helpers import (
    add_employee,
    add_office,
    add_paid_month,
    drain,
    pay,
    rows,
)

D = dt.date
ACTOR = SystemActor("tests.social_insurance")


async def review(
    runtime: Runtime, owner: AsyncEngine, tid: uuid.UUID, kind: str, period: str
) -> dict[uuid.UUID, dict[str, Any]]:
    async with runtime.db.session(scope_of_tenant(tid)) as session:
        await service.request_review(session, ACTOR, tid, kind, period)
    assert await drain(runtime, owner) == ["succeeded"]
    items = await rows(owner, "select * from si_review_items")
    return {i["employee_id"]: i for i in items}


async def decide(
    runtime: Runtime, tid: uuid.UUID, item_id: uuid.UUID, decision: str = "approve"
) -> None:
    async with runtime.db.session(scope_of_tenant(tid)) as session:
        item = await repo.get_item(session, item_id, for_update=True)
        assert item is not None
        await service.decide_item(session, ACTOR, item, decision)  # type: ignore[arg-type]


async def test_santei_averages_april_to_june_without_short_and_mid_hire_months(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tid = world.tenant_a.id
    await add_office(owner_engine, tid)
    a = await add_employee(runtime, tid, "A1")
    b = await add_employee(
        runtime,
        tid,
        "B1",
        hire_date=D(2026, 4, 10),
        grade=(260_000, 260_000),
        grade_month=D(2026, 4, 1),
    )
    c = await add_employee(
        runtime,
        tid,
        "C1",
        hire_date=D(2026, 6, 5),
        grade=(300_000, 300_000),
        grade_month=D(2026, 6, 1),
    )
    await add_paid_month(
        owner_engine,
        world,
        tid,
        D(2026, 4, 24),
        {a: pay(320_000, 300_000), b: pay(150_000)},
        absence={a: 14},
    )
    await add_paid_month(
        owner_engine, world, tid, D(2026, 5, 25), {a: pay(330_000, 300_000), b: pay(280_000)}
    )
    await add_paid_month(
        owner_engine,
        world,
        tid,
        D(2026, 6, 25),
        {a: pay(340_000, 300_000), b: pay(280_000), c: pay(300_000)},
    )
    items = await review(runtime, owner_engine, tid, "santei", "2026")
    assert set(items) == {a, b}  # C was hired on/after 1 June
    ia, ib = items[a], items[b]
    assert ia["months"] == [
        {
            "month": "2026-04",
            "remuneration": 320_000,
            "base_days": 16,
            "excluded": "16 payment-base days (< 17)",
        },
        {"month": "2026-05", "remuneration": 330_000, "base_days": 31, "excluded": None},
        {"month": "2026-06", "remuneration": 340_000, "base_days": 30, "excluded": None},
    ]
    assert (ia["average"], ia["new_health"], ia["new_pension"], ia["effective_month"]) == (
        335_000,
        340_000,
        340_000,
        D(2026, 9, 1),
    )
    assert ib["months"][0]["excluded"] == "mid-month hire"
    assert (ib["average"], ib["new_health"], ib["status"]) == (280_000, 280_000, "proposed")

    await decide(runtime, tid, ia["id"])
    grades = await rows(
        owner_engine,
        "select effective_month, health_standard, pension_standard, reason, source_ref"
        " from employee_grades where employee_id = :e order by effective_month",
        e=a,
    )
    assert grades[-1] == {
        "effective_month": D(2026, 9, 1),
        "health_standard": 340_000,
        "pension_standard": 340_000,
        "reason": "annual",
        "source_ref": f"si_review_item:{ia['id']}",
    }
    with pytest.raises(Conflict):
        await decide(runtime, tid, ia["id"])
    await decide(runtime, tid, ib["id"], "dismiss")

    # The 算定基礎届 procedure (due 10 July) files the approved result as 2225700.
    [proc] = await rows(owner_engine, "select id, due_date, kind from si_procedures")
    assert (proc["kind"], proc["due_date"]) == ("santei", D(2026, 7, 10))
    recording = egov.RecordingEGov()
    egov.use_egov(recording)
    try:
        async with runtime.db.session(scope_of_tenant(tid)) as session:
            p = await repo.get_procedure(session, proc["id"])
            assert p is not None
            await service.request_filing(session, ACTOR, p, submit=True)
        assert await drain(runtime, owner_engine) == ["succeeded"]
    finally:
        egov.use_egov(None)
    csv = next(x for x in recording.submissions[0].attachments if x.name == "SHFD0006.CSV")
    assert csv.data.decode("cp932").splitlines()[5:] == [
        "2225700,21,14,ｸﾄﾜ,12,ﾔﾏﾀﾞ ﾀﾛｳ,山田　太郎,7,020510,9,08,09,0300,0300,9,07,09,,,,,"
        "04,05,06,16,31,30,0320000,0330000,0340000,0000000,0000000,0000000,"
        "0320000,0330000,0340000,0670000,0335000,,123456789018,1234,567890,,,,,,,,,,,"
    ]


async def test_santei_skips_a_july_monthly_change(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tid = world.tenant_a.id
    a = await add_employee(runtime, tid, "A1")
    async with owner_engine.begin() as conn:
        from sqlalchemy import text

        await conn.execute(
            text(
                "insert into employee_grades (tenant_id, id, employee_id, effective_month,"
                " health_standard, pension_standard, reason) values (:t, gen_random_uuid(), :e,"
                " '2026-07-01', 360000, 360000, 'change')"
            ),
            {"t": tid, "e": a},
        )
    for month in (4, 5, 6):
        await add_paid_month(owner_engine, world, tid, D(2026, month, 25), {a: pay(360_000)})
    assert await review(runtime, owner_engine, tid, "santei", "2026") == {}


async def test_monthly_change_candidates_and_edge_grades(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tid = world.tenant_a.id
    up3 = await add_employee(runtime, tid, "D1")
    up1 = await add_employee(runtime, tid, "E1")
    ot_only = await add_employee(runtime, tid, "F1")
    top = await add_employee(runtime, tid, "G1", base=1_300_000, grade=(1_330_000, 650_000))
    short = await add_employee(runtime, tid, "H1")
    base = {
        up3: pay(300_000),
        up1: pay(300_000),
        ot_only: pay(300_000),
        top: pay(1_300_000),
        short: pay(300_000),
    }
    await add_paid_month(owner_engine, world, tid, D(2026, 3, 25), base)
    for month in (4, 5, 6):
        await add_paid_month(
            owner_engine,
            world,
            tid,
            D(2026, month, 25),
            {
                up3: pay(360_000),
                up1: pay(310_000),
                ot_only: pay(400_000, 300_000),
                top: pay(1_420_000),
                short: pay(360_000),
            },
            absence={short: 20} if month == 5 else None,
        )
    items = await review(runtime, owner_engine, tid, "monthly_change", "2026-04")
    assert set(items) == {up3, up1, top, short}  # overtime alone is no fixed-wage change
    d = items[up3]
    assert (d["status"], d["new_health"], d["new_pension"], d["effective_month"]) == (
        "proposed",
        360_000,
        360_000,
        D(2026, 7, 1),
    )
    assert d["reason"] == "fixed pay 300,000 → 360,000; a 2-grade change (health +3, pension +3)"
    assert items[up1]["status"] == "no_change"
    assert "+1 health grades" in items[up1]["reason"]
    g = items[top]
    # Health 49 → 50 (the top) on one grade: the average reached 1,415,000; pension stays.
    assert (g["status"], g["new_health"], g["new_pension"]) == ("proposed", 1_390_000, 650_000)
    assert "edge-grade change" in g["reason"]
    assert items[short]["status"] == "no_change"
    assert items[short]["reason"].endswith("2026-05 has 11 payment-base days (< 17)")

    await decide(runtime, tid, d["id"])
    grade = await rows(
        owner_engine,
        "select effective_month, health_standard, reason from employee_grades"
        " where employee_id = :e and reason = 'change'",
        e=up3,
    )
    assert grade == [
        {"effective_month": D(2026, 7, 1), "health_standard": 360_000, "reason": "change"}
    ]
    [proc] = await rows(owner_engine, "select kind, employee_id, inputs from si_procedures")
    assert proc == {
        "kind": "monthly_change",
        "employee_id": up3,
        "inputs": {"review_item_id": str(d["id"])},
    }
