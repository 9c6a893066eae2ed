"""Helpers of the social-insurance tests: employees, the 事業所, approved payroll results
written as the owner, the job queue drained in this process, signed-in writers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.sessions import COOKIE_NAME, hash_token
from daiko.cases.models import Case
from daiko.documents.tasks import use_store_provider
from daiko.employees.models import (
    MY_NUMBER_PURPOSE,
    Employee,
    EmployeeGrade,
    EmployeeMonthlyInput,
    EmployeeMyNumber,
)
from daiko.ids import new_id
from daiko.jobs.kinds import kind_of_actor
from daiko.jobs.runner import handle_message
from daiko.payroll.models import AMOUNT_COLUMNS, PayrollResult, PayrollRun
from daiko.runtime import Runtime
from daiko.security.fields import encrypt_field
from daiko.social_insurance.models import SiEnrolment, SiOffice
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import TestUser, World

MY_NUMBER = "123456789018"


async def add_office(engine: AsyncEngine, tenant_id: uuid.UUID) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(SiOffice).values(
                tenant_id=tenant_id,
                id=new_id(),
                prefecture_code="21",
                area_code="14",
                office_code="ｸﾄﾜ",
                office_number="77362",
                zip_code="1060041",
                address="東京都港区麻布台1-4-3",
                name="株式会社テスト",
                owner_name="代表　太郎",
                phone="03-5563-7662",
            )
        )


async def add_employee(
    runtime: Runtime,
    tenant_id: uuid.UUID,
    code: str,
    *,
    base: int = 300_000,
    grade: tuple[int, int] | None = (300_000, 300_000),
    grade_month: dt.date = dt.date(2025, 9, 1),
    hire_date: dt.date = dt.date(2020, 4, 1),
    birth_date: dt.date = dt.date(1990, 5, 10),
    employment_type: str = "regular",
    pay_basis: str = "monthly",
    my_number: str | None = MY_NUMBER,
    insured_number: str | None = "12",
) -> uuid.UUID:
    eid = new_id()
    async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
        await session.execute(
            insert(Employee).values(
                tenant_id=tenant_id,
                id=eid,
                code=code,
                family_name="山田",
                given_name="太郎",
                family_name_kana="ヤマダ",
                given_name_kana="タロウ",
                birth_date=birth_date,
                gender="male",
                hire_date=hire_date,
                pay_group="monthly",
                pay_basis=pay_basis,
                base_amount=base,
                scheduled_monthly_hours=160,
                scheduled_days=20,
                employment_type=employment_type,
                allowances=[{"kind": "position", "name": "役職手当", "amount": 0}],
                prefecture="13",
                insurer_kind="kyoukai",
            )
        )
        if grade is not None:
            await session.execute(
                insert(EmployeeGrade).values(
                    tenant_id=tenant_id,
                    id=new_id(),
                    employee_id=eid,
                    effective_month=grade_month,
                    health_standard=grade[0],
                    pension_standard=grade[1],
                    reason="manual",
                )
            )
        if my_number is not None:
            token = await encrypt_field(session, tenant_id, my_number, purpose=MY_NUMBER_PURPOSE)
            await session.execute(
                insert(EmployeeMyNumber).values(
                    tenant_id=tenant_id,
                    id=new_id(),
                    employee_id=eid,
                    token=token,
                    last4=my_number[-4:],
                )
            )
        if insured_number is not None:
            await session.execute(
                insert(SiEnrolment).values(
                    tenant_id=tenant_id,
                    id=new_id(),
                    employee_id=eid,
                    insured_number=insured_number,
                    basic_pension_number="1234567890",
                )
            )
    return eid


async def add_paid_month(
    engine: AsyncEngine,
    world: World,
    tenant_id: uuid.UUID,
    pay_date: dt.date,
    pays: dict[uuid.UUID, tuple[int, list[tuple[str, int]]]],
    *,
    status: str = "approved",
    absence: dict[uuid.UUID, int] | None = None,
    worked: dict[uuid.UUID, int] | None = None,
) -> uuid.UUID:
    """An approved monthly run paid on `pay_date` for the period of the same month, one
    result per employee: (gross, payment lines)."""
    period = f"{pay_date:%Y-%m}"
    case_id, run_id = new_id(), new_id()
    async with engine.begin() as conn:
        await conn.execute(
            insert(Case).values(
                tenant_id=tenant_id,
                id=case_id,
                type="payroll",
                service="payroll",
                title=f"給与 {period}",
                status="in_progress",
                pay_group="monthly",
                pay_date=pay_date,
            )
        )
        await conn.execute(
            insert(PayrollRun).values(
                tenant_id=tenant_id,
                id=run_id,
                case_id=case_id,
                kind="monthly",
                pay_group="monthly",
                period=period,
                pay_date=pay_date,
                status=status,
                title=f"給与 {period}",
                employee_count=len(pays),
                prepared_by=world.operator.id,
                approved_by=world.lead.id if status in ("approved", "locked") else None,
            )
        )
        for seq, (eid, (gross, lines)) in enumerate(pays.items()):
            await conn.execute(
                insert(PayrollResult).values(
                    tenant_id=tenant_id,
                    id=new_id(),
                    run_id=run_id,
                    employee_id=eid,
                    seq=seq,
                    employee_code=f"E{seq}",
                    employee_name="山田 太郎",
                    **dict.fromkeys(AMOUNT_COLUMNS, 0),
                    lines={"payments": [list(x) for x in lines]},
                )
            )
            await conn.execute(
                text(
                    "update payroll_results set gross_pay = :g where run_id = :r and employee_id = :e"
                ),
                {"g": gross, "r": run_id, "e": eid},
            )
            if (absence and eid in absence) or (worked and eid in worked):
                await conn.execute(
                    insert(EmployeeMonthlyInput).values(
                        tenant_id=tenant_id,
                        id=new_id(),
                        employee_id=eid,
                        pay_month=pay_date.replace(day=1),
                        absence_days=(absence or {}).get(eid, 0),
                        worked_days=(worked or {}).get(eid, 0),
                    )
                )
    return run_id


async def drain(runtime: Runtime, owner: AsyncEngine, *, limit: int = 200) -> list[str]:
    """Run every queued job message in this process, as the workers would."""
    use_store_provider(lambda: runtime.store)
    outcomes: list[str] = []
    for _ in range(limit):
        async with owner.begin() as conn:
            row = (
                (
                    await conn.execute(
                        text(
                            "delete from outbox where id = (select id from outbox order by id"
                            " limit 1) returning tenant_id, job_id, chunk_id, actor"
                        )
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            return outcomes
        outcomes.append(
            await handle_message(
                runtime.db,
                kind_of_actor(row["actor"]),
                row["tenant_id"],
                row["job_id"],
                row["chunk_id"],
            )
        )
    raise AssertionError("the outbox did not drain")


async def rows(owner: AsyncEngine, sql: str, **params: Any) -> list[dict[str, Any]]:
    async with owner.connect() as conn:
        return [dict(r) for r in (await conn.execute(text(sql), params)).mappings().all()]


As = Callable[[TestUser], Awaitable[httpx.AsyncClient]]


def writer(
    client_for: Callable[[TestUser], Awaitable[httpx.AsyncClient]], owner: AsyncEngine
) -> As:
    made: dict[str, httpx.AsyncClient] = {}

    async def make(user: TestUser) -> httpx.AsyncClient:
        if user.email in made:
            return made[user.email]
        client = await client_for(user)
        token = client.cookies.get(COOKIE_NAME)
        assert token
        async with owner.connect() as conn:
            csrf = await conn.scalar(
                text("select csrf_token from user_sessions where id = :id"),
                {"id": hash_token(token)},
            )
        if csrf:
            client.headers["X-CSRF-Token"] = csrf
        made[user.email] = client
        return client

    return make


def pay(
    gross: int, base: int | None = None, position: int = 0
) -> tuple[int, list[tuple[str, int]]]:
    lines = [("基本給", base if base is not None else gross)]
    if position:
        lines.append(("役職手当", position))
    variable = gross - sum(v for _, v in lines)
    if variable:
        lines.append(("時間外手当", variable))
    return gross, lines


def ids(values: Sequence[Any]) -> list[str]:
    return [str(v) for v in values]
