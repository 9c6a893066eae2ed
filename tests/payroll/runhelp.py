"""Helpers of the payroll-run tests: employees in the master, the job queue drained in
this process (the workers' code path, without Dramatiq), signed-in clients with CSRF."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.sessions import COOKIE_NAME, hash_token
from daiko.documents.tasks import use_store_provider
from daiko.employees.models import (
    ACCOUNT_NUMBER_PURPOSE,
    HOLDER_NAME_PURPOSE,
    Employee,
    EmployeeBankAccount,
    EmployeeGrade,
    EmployeeMonthlyInput,
)
from daiko.ids import new_id
from daiko.jobs.kinds import kind_of_actor
from daiko.jobs.runner import handle_message
from daiko.runtime import Runtime
from daiko.security.fields import encrypt_field
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import TestUser


@dataclass(frozen=True)
class Staff:
    code: str
    family_name: str = "山田"
    given_name: str = "太郎"
    kana: tuple[str, str] = ("ヤマダ", "タロウ")
    base: int = 300_000
    grade: int | None = 300_000
    hire_date: dt.date = dt.date(2020, 4, 1)
    leave_date: dt.date | None = None
    birth_date: dt.date = dt.date(1990, 5, 10)
    commuting: int = 0
    bank: tuple[str, str, str] | None = ("0001", "001", "1234567")  # bank, branch, number
    holder_kana: str | None = None
    overtime_hours: str = "0"


async def add_staff(
    runtime: Runtime,
    tenant_id: uuid.UUID,
    staff: Sequence[Staff],
    *,
    pay_group: str = "monthly",
    pay_month: dt.date | None = None,
) -> dict[str, uuid.UUID]:
    """Employees (with a grade from 2020-01 and a salary account) in the master; returns
    their ids by code."""
    ids: dict[str, uuid.UUID] = {}
    async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
        for s in staff:
            eid = new_id()
            ids[s.code] = eid
            allowances = (
                [{"kind": "commuting", "name": "通勤手当", "amount": s.commuting, "taxable": False}]
                if s.commuting
                else []
            )
            await session.execute(
                insert(Employee).values(
                    tenant_id=tenant_id,
                    id=eid,
                    code=s.code,
                    family_name=s.family_name,
                    given_name=s.given_name,
                    family_name_kana=s.kana[0],
                    given_name_kana=s.kana[1],
                    birth_date=s.birth_date,
                    hire_date=s.hire_date,
                    leave_date=s.leave_date,
                    pay_group=pay_group,
                    base_amount=s.base,
                    scheduled_monthly_hours=160,
                    scheduled_days=20,
                    allowances=allowances,
                    prefecture="13",
                    insurer_kind="kyoukai",
                )
            )
            if s.grade is not None:
                await session.execute(
                    insert(EmployeeGrade).values(
                        tenant_id=tenant_id,
                        id=new_id(),
                        employee_id=eid,
                        effective_month=dt.date(2020, 1, 1),
                        health_standard=s.grade,
                        pension_standard=min(max(s.grade, 88_000), 650_000),
                        reason="manual",
                    )
                )
            if pay_month is not None and s.overtime_hours != "0":
                await session.execute(
                    insert(EmployeeMonthlyInput).values(
                        tenant_id=tenant_id,
                        id=new_id(),
                        employee_id=eid,
                        pay_month=pay_month,
                        worked_days=20,
                        overtime_hours=s.overtime_hours,
                    )
                )
            if s.bank is not None:
                holder = s.holder_kana or f"{s.kana[0]} {s.kana[1]}"
                await session.execute(
                    insert(EmployeeBankAccount).values(
                        tenant_id=tenant_id,
                        id=new_id(),
                        employee_id=eid,
                        position=1,
                        bank_code=s.bank[0],
                        branch_code=s.bank[1],
                        account_type="1",
                        account_number_token=await encrypt_field(
                            session, tenant_id, s.bank[2], purpose=ACCOUNT_NUMBER_PURPOSE
                        ),
                        account_number_last4=s.bank[2][-4:],
                        account_number_length=len(s.bank[2]),
                        holder_name_token=await encrypt_field(
                            session, tenant_id, holder, purpose=HOLDER_NAME_PURPOSE
                        ),
                    )
                )
    return ids


async def drain(runtime: Runtime, owner: AsyncEngine, *, limit: int = 1000) -> list[str]:
    """Run every queued job message in this process, as the workers would, until the
    outbox is empty. Returns the outcomes."""
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


async def rows(owner: AsyncEngine, sql: str, **params: Any) -> list[dict[str, Any]]:
    async with owner.connect() as conn:
        return [dict(r) for r in (await conn.execute(text(sql), params)).mappings().all()]


async def execute(owner: AsyncEngine, sql: str, **params: Any) -> None:
    async with owner.begin() as conn:
        await conn.execute(text(sql), params)
