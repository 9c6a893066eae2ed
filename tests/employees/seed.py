"""Rows in every employee-master table for tenants A and B (isolation tests and the route
matrix). Returns tenant A's employee, pay month and import for the route matrix; its
write routes take the minimal valid bodies below."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.employees.models import (
    Employee,
    EmployeeBankAccount,
    EmployeeGrade,
    EmployeeImport,
    EmployeeMonthlyInput,
    EmployeeMyNumber,
    HealthInsuranceSociety,
    ResidentTaxNotice,
)
from daiko.ids import new_id
from tests.factories import World

PAY_MONTH = "2026-11"

ROUTE_BODIES: dict[str, dict[str, object]] = {
    "POST /api/v1/employees": {
        "code": "M001",
        "family_name": "山田",
        "given_name": "太郎",
        "family_name_kana": "ヤマダ",
        "given_name_kana": "タロウ",
        "birth_date": "1990-04-01",
        "hire_date": "2020-04-01",
        "base_amount": 300000,
        "prefecture": "13",
    },
    "POST /api/v1/employees/bulk": {
        "items": [
            {
                "code": "M002",
                "family_name": "佐藤",
                "given_name": "花子",
                "family_name_kana": "サトウ",
                "given_name_kana": "ハナコ",
                "birth_date": "1992-05-01",
                "hire_date": "2021-04-01",
                "base_amount": 280000,
                "prefecture": "13",
            }
        ]
    },
    "PATCH /api/v1/employees/{employee_id}": {"department": "総務部"},
    "POST /api/v1/employees/{employee_id}/grades": {
        "effective_month": "2027-09",
        "health_standard": 300000,
        "pension_standard": 300000,
        "reason": "annual",
    },
    "POST /api/v1/employees/{employee_id}/resident-tax": {
        "fiscal_year": 2027,
        "municipality_code": "131041",
        "municipality_name": "新宿区",
        "june_amount": 15300,
        "monthly_amount": 15000,
    },
    "PUT /api/v1/employees/{employee_id}/bank-accounts": {
        "bank_code": "0005",
        "branch_code": "001",
        "account_type": "1",
        "account_number": "1234567",
    },
    "PUT /api/v1/employees/{employee_id}/my-number": {"my_number": "123456789018"},
    "POST /api/v1/employees/{employee_id}/my-number/reveal": {"purpose": "withholding_slip"},
    "PUT /api/v1/employees/{employee_id}/monthly-inputs/{pay_month}": {"worked_days": "20"},
    "POST /api/v1/health-insurance-societies": {
        "name": "マトリクス健保",
        "health_rate": "9.5",
        "care_rate": "1.6",
        "valid_from": "2026-03-01",
    },
}


async def seed_employee(
    engine: AsyncEngine,
    tenant_id: uuid.UUID,
    *,
    code: str = "E0001",
    family_name: str = "山田",
    given_name: str = "太郎",
    hire_date: dt.date = dt.date(2020, 4, 1),
    leave_date: dt.date | None = None,
    department: str | None = "営業部",
) -> uuid.UUID:
    employee_id = new_id()
    async with engine.begin() as conn:
        await conn.execute(
            insert(Employee).values(
                tenant_id=tenant_id,
                id=employee_id,
                code=code,
                family_name=family_name,
                given_name=given_name,
                family_name_kana="ヤマダ",
                given_name_kana="タロウ",
                birth_date=dt.date(1985, 6, 15),
                hire_date=hire_date,
                leave_date=leave_date,
                department=department,
                base_amount=300000,
                scheduled_monthly_hours=Decimal("160"),
                prefecture="13",
                allowances=[{"kind": "commuting", "amount": 12000, "taxable": False}],
            )
        )
    return employee_id


async def seed(engine: AsyncEngine, world: World) -> dict[str, str]:
    params: dict[str, str] = {}
    for tenant in (world.tenant_a, world.tenant_b):
        employee_id = await seed_employee(engine, tenant.id)
        import_id = new_id()
        async with engine.begin() as conn:
            await conn.execute(
                insert(HealthInsuranceSociety).values(
                    tenant_id=tenant.id,
                    id=new_id(),
                    name="関東ITソフトウェア健康保険組合",
                    health_rate=Decimal("9.5"),
                    care_rate=Decimal("1.6"),
                    valid_from=dt.date(2026, 3, 1),
                )
            )
            await conn.execute(
                insert(EmployeeGrade).values(
                    tenant_id=tenant.id,
                    id=new_id(),
                    employee_id=employee_id,
                    effective_month=dt.date(2026, 9, 1),
                    health_standard=300000,
                    pension_standard=300000,
                    reason="annual",
                )
            )
            await conn.execute(
                insert(ResidentTaxNotice).values(
                    tenant_id=tenant.id,
                    id=new_id(),
                    employee_id=employee_id,
                    fiscal_year=2026,
                    municipality_code="131041",
                    municipality_name="新宿区",
                    june_amount=15300,
                    monthly_amount=15000,
                )
            )
            await conn.execute(
                insert(EmployeeBankAccount).values(
                    tenant_id=tenant.id,
                    id=new_id(),
                    employee_id=employee_id,
                    bank_code="0005",
                    branch_code="001",
                    account_type="1",
                    account_number_token="v1:1:seeded-not-a-real-token",
                    account_number_last4="4567",
                    holder_name_token="v1:1:seeded-not-a-real-token",
                )
            )
            await conn.execute(
                insert(EmployeeMyNumber).values(
                    tenant_id=tenant.id,
                    id=new_id(),
                    employee_id=employee_id,
                    token="v1:1:seeded-not-a-real-token",
                    last4="9018",
                )
            )
            await conn.execute(
                insert(EmployeeMonthlyInput).values(
                    tenant_id=tenant.id,
                    id=new_id(),
                    employee_id=employee_id,
                    pay_month=dt.date(2026, 11, 1),
                    worked_days=Decimal(20),
                    overtime_hours=Decimal("10.5"),
                )
            )
            await conn.execute(
                insert(EmployeeImport).values(
                    tenant_id=tenant.id,
                    id=import_id,
                    kind="employees",
                    status="invalid",
                    filename="seed.csv",
                    errors=[{"line": 2, "column": "生年月日", "reason": "not a date"}],
                )
            )
        if tenant is world.tenant_a:
            params = {
                "employee_id": str(employee_id),
                "pay_month": PAY_MONTH,
                "employee_import_id": str(import_id),
            }
    return params
