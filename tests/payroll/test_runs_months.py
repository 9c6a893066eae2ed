"""A run's join and leave months (§1.6) and bonus caps across runs (§1.5), through the
run job: the master's dates and earlier approved bonuses decide what a payslip deducts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.employees.models import EmployeeMonthlyInput
from daiko.ids import new_id
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.cases.seed import seed_case
from tests.factories import TestUser, World
from tests.payroll.runhelp import As, Staff, add_staff, drain, writer


@pytest.fixture
def as_user(
    client_for: Callable[[TestUser], Awaitable[httpx.AsyncClient]], owner_engine: AsyncEngine
) -> As:
    return writer(client_for, owner_engine)


async def _run(
    runtime: Runtime, owner: AsyncEngine, c: httpx.AsyncClient, kind: str, pay_date: str
) -> dict[str, Any]:
    r = await c.post(
        "/api/v1/payroll/runs",
        json={"kind": kind, "pay_group": "monthly", "pay_date": pay_date, "calculate": True},
    )
    assert r.status_code == 201, r.text
    await drain(runtime, owner)
    results = (await c.get(f"/api/v1/payroll/runs/{r.json()['id']}/results")).json()
    return {"id": r.json()["id"], **{i["employee_code"]: i["amounts"] for i in results["items"]}}


async def test_a_leaver_on_the_last_day_pays_two_months_on_the_last_pay(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    # Age 36, grade 300,000, Tokyo. September pay deducts the August insurance month;
    # leaving on 30 September (loss 1 October) makes September a premium month too.
    await add_staff(
        runtime,
        world.tenant_a.id,
        [
            Staff("0001", leave_date=dt.date(2026, 9, 30)),
            Staff("0002", leave_date=dt.date(2026, 9, 29)),
            Staff("0003", hire_date=dt.date(2026, 9, 7)),
        ],
    )
    operator = await as_user(world.operator)
    got = await _run(runtime, owner_engine, operator, "monthly", "2026-09-25")
    two, one, joiner = got["0001"], got["0002"], got["0003"]
    assert (two["health_insurance"], two["child_support_levy"], two["pension"]) == (
        29_550,
        690,
        54_900,
    )
    assert (one["health_insurance"], one["child_support_levy"], one["pension"]) == (
        14_775,
        345,
        27_450,
    )
    # Hired in September: the September premium is deducted from October's pay.
    assert (joiner["health_insurance"], joiner["pension"]) == (0, 0)


async def _bonus(runtime: Runtime, tenant_id: Any, eid: Any, month: dt.date, amount: int) -> None:
    async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
        await session.execute(
            insert(EmployeeMonthlyInput).values(
                tenant_id=tenant_id,
                id=new_id(),
                employee_id=eid,
                pay_month=month,
                worked_days=20,
                variable_allowances={"bonus": amount},
            )
        )


async def test_bonus_caps_count_earlier_approved_bonuses(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    tenant = world.tenant_a.id
    ids = await add_staff(runtime, tenant, [Staff("0001")])
    await _bonus(runtime, tenant, ids["0001"], dt.date(2026, 7, 1), 5_000_999)
    await _bonus(runtime, tenant, ids["0001"], dt.date(2026, 12, 1), 1_000_000)
    operator, lead = await as_user(world.operator), await as_user(world.lead)
    summer = await _run(runtime, owner_engine, operator, "bonus", "2026-07-10")
    # Pension counts ¥1,500,000 a month: 1,500,000 × 9.15 % = 137,250.
    assert summer["0001"]["pension"] == 137_250
    assert (await lead.post(f"/api/v1/payroll/runs/{summer['id']}/approve")).status_code == 200
    await drain(runtime, owner_engine)
    winter = await _run(runtime, owner_engine, operator, "bonus", "2026-12-10")
    # Health: 5,000,000 already counted this fiscal year → 730,000 of the ¥1,000,000
    # (× 9.85 % = 71,905 → 35,952.5 → 35,952); pension: a new month, 1,000,000 in full.
    assert winter["0001"]["health_insurance"] == 35_952
    assert winter["0001"]["pension"] == 91_500


async def test_a_run_answers_the_payroll_case_it_is_started_from(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    a, b = world.tenant_a.id, world.tenant_b.id
    inputs = await seed_case(owner_engine, a, type_="payroll", title="給与データ 10月")
    inquiry = await seed_case(owner_engine, a)
    foreign = await seed_case(owner_engine, b, type_="payroll")
    operator = await as_user(world.operator)
    body = {"kind": "monthly", "pay_group": "monthly", "pay_date": "2026-10-23"}
    for case_id, reason in (
        (inquiry, "not an open payroll case"),
        (foreign, "no such case in this tenant"),
    ):
        r = await operator.post("/api/v1/payroll/runs", json={**body, "case_id": str(case_id)})
        assert r.status_code == 422
        assert r.json()["errors"] == [{"field": "case_id", "reason": reason}]
    r = await operator.post("/api/v1/payroll/runs", json={**body, "case_id": str(inputs)})
    assert r.status_code == 201, r.text
    assert r.json()["case_id"] == str(inputs)
