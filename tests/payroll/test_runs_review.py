"""Review flags against the previous approved run: joiners, leavers, and net or gross
more than 20 % away — exactly at 20 % is not flagged, one yen past it is."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.cases.models import Case
from daiko.employees.models import Employee
from daiko.ids import new_id
from daiko.payroll.models import AMOUNT_COLUMNS, PayrollResult, PayrollRun
from daiko.payroll.service import swing
from tests.factories import TestUser, World
from tests.payroll.runhelp import As, writer


@pytest.fixture
def as_user(
    client_for: Callable[[TestUser], Awaitable[httpx.AsyncClient]], owner_engine: AsyncEngine
) -> As:
    return writer(client_for, owner_engine)


async def _run(
    engine: AsyncEngine,
    tenant_id: uuid.UUID,
    employees: dict[str, uuid.UUID],
    pay_date: dt.date,
    status: str,
    results: dict[str, tuple[int, int]],  # code → (gross, net)
) -> uuid.UUID:
    run_id, case_id = new_id(), new_id()
    async with engine.begin() as conn:
        await conn.execute(
            insert(Case).values(
                tenant_id=tenant_id, id=case_id, type="payroll", service="payroll", title="c"
            )
        )
        await conn.execute(
            insert(PayrollRun).values(
                tenant_id=tenant_id,
                id=run_id,
                case_id=case_id,
                kind="monthly",
                pay_group="monthly",
                period=f"{pay_date:%Y-%m}",
                pay_date=pay_date,
                status=status,
                title=f"run {pay_date}",
                employee_count=len(results),
            )
        )
        for seq, (code, (gross, net)) in enumerate(sorted(results.items())):
            await conn.execute(
                insert(PayrollResult).values(
                    tenant_id=tenant_id,
                    id=new_id(),
                    run_id=run_id,
                    employee_id=employees[code],
                    seq=seq,
                    employee_code=code,
                    employee_name=f"社員 {code}",
                    **{**dict.fromkeys(AMOUNT_COLUMNS, 0), "gross_pay": gross, "net_pay": net},
                )
            )
    return run_id


def test_swing_is_exact_in_integers() -> None:
    assert not swing(240_000, 200_000)  # +20 % exactly
    assert swing(240_001, 200_000)
    assert not swing(160_000, 200_000)  # −20 % exactly
    assert swing(159_999, 200_000)
    assert swing(1, 0)
    assert not swing(0, 0)


async def test_flags_joiners_leavers_and_swings_over_20_percent(
    world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    tenant = world.tenant_a.id
    employees = {code: new_id() for code in ("E1", "E2", "E3", "E4", "E5")}
    async with owner_engine.begin() as conn:
        for code, eid in employees.items():
            await conn.execute(
                insert(Employee).values(
                    tenant_id=tenant,
                    id=eid,
                    code=code,
                    family_name="社員",
                    given_name=code,
                    family_name_kana="シャイン",
                    given_name_kana="イチ",
                    birth_date=dt.date(1990, 1, 1),
                    hire_date=dt.date(2020, 4, 1),
                    pay_group="monthly",
                    base_amount=300_000,
                    prefecture="13",
                )
            )
    # An older approved run, then the previous one (the comparison base), then a draft.
    await _run(owner_engine, tenant, employees, dt.date(2026, 8, 25), "locked", {"E1": (1, 1)})
    previous = await _run(
        owner_engine,
        tenant,
        employees,
        dt.date(2026, 9, 25),
        "approved",
        {
            "E1": (250_000, 200_000),
            "E2": (230_000, 180_000),
            "E3": (250_000, 200_000),
            "E4": (120_000, 100_000),
        },
    )
    current = await _run(
        owner_engine,
        tenant,
        employees,
        dt.date(2026, 10, 23),
        "review",
        {
            "E1": (250_000, 240_001),  # net +20.0005 %
            "E3": (300_001, 240_000),  # gross +20.0004 %, net +20 % exactly
            "E4": (96_000, 79_999),  # gross −20 % exactly, net −20.001 %
            "E5": (200_000, 170_000),  # joiner
        },
    )
    client = await as_user(world.tenant_a.users["client_viewer"])
    body = (await client.get(f"/api/v1/payroll/runs/{current}/review")).json()
    assert body["previous_run_id"] == str(previous)
    assert [(f["employee_code"], f["flags"]) for f in body["flags"]] == [
        ("E1", ["net_swing"]),
        ("E2", ["leaver"]),
        ("E3", ["gross_swing"]),
        ("E4", ["net_swing"]),
        ("E5", ["joiner"]),
    ]
    e2 = body["flags"][1]
    assert (e2["gross"], e2["net"], e2["previous_gross"], e2["previous_net"]) == (
        None,
        None,
        230_000,
        180_000,
    )
    page = await client.get(f"/payroll/runs/{current}")
    assert page.text.count('class="flag"') == 5
