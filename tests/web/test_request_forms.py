"""Request forms per case type: each opens a submitted case with its facts and the
checklist of what to upload; bad input comes back as the form with field errors and
writes nothing."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.cases.models import Case, CaseChecklistItem
from daiko.tenancy.models import Tenant
from tests.factories import TestUser, World

EN = {"accept": "text/html", "accept-language": "en"}
ClientFor = Callable[[TestUser], Awaitable[httpx.AsyncClient]]


def csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


async def count_cases(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(Case))).scalar_one())


async def test_menu_offers_the_forms_of_the_services_bought(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    async with owner_engine.begin() as conn:
        await conn.execute(
            update(Tenant).where(Tenant.id == world.tenant_a.id).values(services=["payroll"])
        )
    c = await client_for(world.tenant_a.users["client_member"])
    r = await c.get("/portal/requests", headers=EN)
    assert r.status_code == 200
    assert "/portal/requests?kind=payroll-inputs" in r.text
    assert "/portal/requests?kind=new-hire" not in r.text
    assert (await c.get("/portal/requests?kind=new-hire", headers=EN)).status_code == 404
    viewer = await client_for(world.tenant_a.users["client_viewer"])
    assert (await viewer.get("/portal/requests", headers=EN)).status_code == 403


async def test_new_hire_opens_a_case_with_the_hire_date_and_checklist(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    c = await client_for(world.tenant_a.users["client_member"])
    page = await c.get("/portal/requests?kind=new-hire", headers=EN)
    assert page.status_code == 200
    r = await c.post(
        "/portal/requests",
        headers=EN,
        data={
            "kind": "new-hire",
            "csrf_token": csrf(page),
            "tenant_id": str(world.tenant_a.id),
            "employee_name": "山田 花子",
            "employee_kana": "ヤマダ ハナコ",
            "hire_date": "2026-12-01",
            "birth_date": "1995-04-02",
            "monthly_pay": "280,000",
            "weekly_hours": "40",
            "dependants": "on",
        },
    )
    assert r.status_code == 303
    case_id = r.headers["location"].removeprefix("/cases/")
    async with owner_engine.connect() as conn:
        case = (await conn.execute(select(Case).where(Case.id == case_id))).one()
        items = (
            await conn.execute(
                select(CaseChecklistItem.label)
                .where(CaseChecklistItem.case_id == case.id)
                .order_by(CaseChecklistItem.position)
            )
        ).scalars()
        labels = list(items)
    assert (case.type, case.status, case.title) == ("si_hire", "submitted", "New hire: 山田 花子")
    assert str(case.pay_date) == "2026-12-01"
    assert case.period == "2026-12"
    assert "Monthly pay (yen): 280,000" in case.description
    assert labels == ["Employment contract", "Dependants' details"]


async def test_bad_input_shows_field_errors_and_writes_nothing(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    c = await client_for(world.tenant_a.users["client_admin"])
    page = await c.get("/portal/requests?kind=new-hire", headers=EN)
    before = await count_cases(owner_engine)
    r = await c.post(
        "/portal/requests",
        headers=EN,
        data={
            "kind": "new-hire",
            "csrf_token": csrf(page),
            "tenant_id": str(world.tenant_a.id),
            "employee_name": "",
            "hire_date": "2026-13-40",
            "birth_date": "2030-01-01",
            "monthly_pay": "二十万",
            "weekly_hours": "200",
        },
    )
    assert r.status_code == 422
    errors = dict(re.findall(r'<p class="field-error" id="e-([a-z_]+)">([^<]+)</p>', r.text))
    assert errors == {
        "employee_name": "This field is required.",
        "hire_date": "Enter a date like 2026-04-01.",
        "monthly_pay": "Enter a whole number of yen, like 250000.",
        "weekly_hours": "Enter hours between 1 and 80.",
    }
    assert (
        'id="f-employee_name" name="employee_name" type="text" value="" required aria-invalid="true"'
        in r.text
    )
    assert 'value="2030-01-01"' in r.text  # what was typed stays
    assert await count_cases(owner_engine) == before


async def test_leaver_and_receipts_and_payroll_inputs(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    async with owner_engine.begin() as conn:
        await conn.execute(
            update(Tenant)
            .where(Tenant.id == world.tenant_a.id)
            .values(
                settings={
                    "payroll": {
                        "pay_groups": [
                            {"code": "monthly", "name": "月給者", "closing_day": 20, "pay_day": 25}
                        ]
                    }
                }
            )
        )
    c = await client_for(world.tenant_a.users["client_member"])
    page = await c.get("/portal/requests?kind=leaver", headers=EN)
    token = csrf(page)
    bad = await c.post(
        "/portal/requests",
        headers=EN,
        data={
            "kind": "leaver",
            "csrf_token": token,
            "employee_name": "佐藤",
            "last_day": "",
            "reason": "x",
        },
    )
    assert bad.status_code == 422
    assert "Choose one of the options." in bad.text
    r = await c.post(
        "/portal/requests",
        headers=EN,
        data={
            "kind": "leaver",
            "csrf_token": token,
            "tenant_id": str(world.tenant_a.id),
            "employee_name": "佐藤 一郎",
            "last_day": "2026-12-15",
            "reason": "resignation",
            "card_returned": "on",
        },
    )
    assert r.status_code == 303
    r = await c.post(
        "/portal/requests",
        headers=EN,
        data={
            "kind": "receipts",
            "csrf_token": token,
            "tenant_id": str(world.tenant_a.id),
            "period": "2026-11",
            "count": "42",
            "total": "¥123,456",
        },
    )
    assert r.status_code == 303
    payroll_page = await c.get("/portal/requests?kind=payroll-inputs", headers=EN)
    assert '<option value="monthly"' in payroll_page.text
    bad = await c.post(
        "/portal/requests",
        headers=EN,
        data={
            "kind": "payroll-inputs",
            "csrf_token": token,
            "tenant_id": str(world.tenant_a.id),
            "pay_group": "nope",
            "period": "2026-1",
        },
    )
    assert bad.status_code == 422
    assert "Enter a month like 2026-11." in bad.text
    r = await c.post(
        "/portal/requests",
        headers=EN,
        data={
            "kind": "payroll-inputs",
            "csrf_token": token,
            "tenant_id": str(world.tenant_a.id),
            "pay_group": "monthly",
            "period": "2026-12",
            "changes": "田中さん 通勤手当 +5,000",
        },
    )
    assert r.status_code == 303
    async with owner_engine.connect() as conn:
        rows = (
            await conn.execute(
                select(Case.type, Case.title, Case.period, Case.pay_group, Case.pay_date)
                .where(Case.tenant_id == world.tenant_a.id)
                .order_by(Case.id)
            )
        ).all()
    assert [(r.type, r.title, r.period, r.pay_group, str(r.pay_date)) for r in rows] == [
        ("si_leave", "Leaver: 佐藤 一郎", "2026-12", None, "2026-12-15"),
        ("bookkeeping_close", "Receipts 2026-11", "2026-11", None, "None"),
        ("payroll", "Payroll inputs 2026-12 月給者", "2026-12", "monthly", "2026-12-25"),
    ]


async def test_another_tenant_cannot_be_chosen(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    c = await client_for(world.tenant_a.users["client_member"])
    page = await c.get("/portal/requests?kind=receipts", headers=EN)
    r = await c.post(
        "/portal/requests",
        headers=EN,
        data={
            "kind": "receipts",
            "csrf_token": csrf(page),
            "tenant_id": str(world.tenant_b.id),
            "period": "2026-11",
        },
    )
    assert r.status_code == 422
    assert 'id="e-tenant_id"' in r.text
    async with owner_engine.connect() as conn:
        n = (
            await conn.execute(
                select(func.count()).select_from(Case).where(Case.tenant_id == world.tenant_b.id)
            )
        ).scalar_one()
    assert n == 0
