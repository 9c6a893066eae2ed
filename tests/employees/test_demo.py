"""The demo staff: twelve employees per payroll tenant with grades, resident tax, bank
accounts, My Numbers and two months of inputs; a society tenant gets its society;
loading twice changes nothing."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.employees import demo
from daiko.runtime import Runtime
from daiko.security.my_number import is_valid_my_number
from tests.factories import World

SOCIETY = {
    "payroll": {
        "pay_groups": [],
        "health_insurer": {
            "kind": "kumiai",
            "name": "浪速精工健康保険組合",
            "rates": [
                {
                    "valid_from": "2026-03-01",
                    "health_percent": "9.300",
                    "care_percent": "1.700",
                    "employee_health_percent": "4.300",
                    "employee_care_percent": "0.850",
                }
            ],
        },
    }
}


async def _counts(engine: AsyncEngine) -> dict[str, int]:
    out = {}
    async with engine.connect() as conn:
        for table in (
            "employees",
            "employee_grades",
            "resident_tax_notices",
            "employee_bank_accounts",
            "employee_my_numbers",
            "employee_monthly_inputs",
            "health_insurance_societies",
        ):
            out[table] = int(await conn.scalar(text(f"select count(*) from {table}")) or 0)
    return out


async def test_demo_staff_is_complete_and_idempotent(
    world: World, runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    import json

    async with owner_engine.begin() as conn:
        await conn.execute(
            text("update tenants set settings = cast(:s as jsonb) where id = :id"),
            {"s": json.dumps(SOCIETY), "id": world.tenant_b.id},
        )
    await demo.load(runtime.db)
    first = await _counts(owner_engine)
    assert first == {
        "employees": 24,
        "employee_grades": 48,
        "resident_tax_notices": 24,
        "employee_bank_accounts": 24,
        "employee_my_numbers": 8,
        "employee_monthly_inputs": 48,
        "health_insurance_societies": 1,
    }
    await demo.load(runtime.db)
    assert await _counts(owner_engine) == first
    async with owner_engine.connect() as conn:
        kinds = (
            await conn.execute(
                text("select tenant_id, insurer_kind, count(*) from employees group by 1, 2")
            )
        ).all()
    assert {(r[0], r[1], r[2]) for r in kinds} == {
        (world.tenant_a.id, "kyoukai", 12),
        (world.tenant_b.id, "society", 12),
    }
    assert all(is_valid_my_number(demo.fake_my_number(n)) for n in range(1, 5))
