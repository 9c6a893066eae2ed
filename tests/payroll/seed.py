"""Rows in every payroll-run table for tenants A and B (isolation tests and the route
matrix). Tenant A's run is returned as `run_id`; its write routes take the bodies below.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.cases.models import Case
from daiko.documents.models import Document
from daiko.employees.models import Employee
from daiko.ids import new_id
from daiko.payroll.models import (
    AMOUNT_COLUMNS,
    PayrollJournalLine,
    PayrollResult,
    PayrollRun,
    PayrollRunDocument,
    PayrollRunMember,
    PayrollSettings,
)
from tests.factories import World

ROUTE_BODIES: dict[str, dict[str, object]] = {
    "POST /api/v1/payroll/runs": {
        "kind": "monthly",
        "pay_group": "matrix",
        "pay_date": "2026-09-25",
    },
    "POST /api/v1/payroll/runs/{run_id}/reject": {"reason": "matrix"},
    "PUT /api/v1/payroll/settings": {"pay_day": 25},
}


async def seed_run(engine: AsyncEngine, tenant_id: uuid.UUID, status: str = "review") -> uuid.UUID:
    """A run with one member, its result, a journal line and one output document."""
    case_id, run_id, employee_id, document_id = new_id(), new_id(), new_id(), new_id()
    async with engine.begin() as conn:
        await conn.execute(insert(PayrollSettings).values(tenant_id=tenant_id, id=new_id()))
        await conn.execute(
            insert(Case).values(
                tenant_id=tenant_id,
                id=case_id,
                type="payroll",
                service="payroll",
                title="給与計算 seed",
                status="in_progress",
            )
        )
        await conn.execute(
            insert(Employee).values(
                tenant_id=tenant_id,
                id=employee_id,
                code="P9001",
                family_name="給与",
                given_name="太郎",
                family_name_kana="キュウヨ",
                given_name_kana="タロウ",
                birth_date=dt.date(1990, 1, 1),
                hire_date=dt.date(2020, 4, 1),
                pay_group="seed",
                base_amount=300_000,
                prefecture="13",
            )
        )
        await conn.execute(
            insert(PayrollRun).values(
                tenant_id=tenant_id,
                id=run_id,
                case_id=case_id,
                kind="monthly",
                pay_group="seed",
                period="2026-08",
                pay_date=dt.date(2026, 8, 25),
                status=status,
                title="給与計算 2026-08 seed",
                employee_count=1,
                totals={"gross_pay": 300_000, "net_pay": 250_000},
            )
        )
        await conn.execute(
            insert(PayrollRunMember).values(
                tenant_id=tenant_id, id=new_id(), run_id=run_id, seq=0, employee_id=employee_id
            )
        )
        await conn.execute(
            insert(PayrollResult).values(
                tenant_id=tenant_id,
                id=new_id(),
                run_id=run_id,
                employee_id=employee_id,
                seq=0,
                employee_code="P9001",
                employee_name="給与 太郎",
                **dict.fromkeys(AMOUNT_COLUMNS, 0),
            )
        )
        await conn.execute(
            insert(PayrollJournalLine).values(
                tenant_id=tenant_id,
                id=new_id(),
                run_id=run_id,
                line_no=1,
                account_code="6120",
                account_name="給料手当",
                debit=300_000,
                credit=0,
                description="seed",
            )
        )
        await conn.execute(
            insert(Document).values(
                tenant_id=tenant_id,
                id=document_id,
                title="賃金台帳 seed",
                classification="other",
                retention_class="payroll_record",
                retention_base_date=dt.date(2026, 8, 25),
            )
        )
        await conn.execute(
            insert(PayrollRunDocument).values(
                tenant_id=tenant_id,
                id=new_id(),
                run_id=run_id,
                kind="ledger_csv",
                document_id=document_id,
                sha256="0" * 64,
            )
        )
    return run_id


async def seed(engine: AsyncEngine, world: World) -> dict[str, str]:
    await seed_run(engine, world.tenant_b.id)
    run_a = await seed_run(engine, world.tenant_a.id, status="locked")
    return {"run_id": str(run_a)}
