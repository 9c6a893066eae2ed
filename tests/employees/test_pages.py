"""Employee pages through the HTTP client: list and search, the add form with errors next
to their fields (nothing written), edit with a stale version refused, the employee page
with masked numbers and the audited reveal, the import preview table and the month grid."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.employees.models import Employee, EmployeeMonthlyInput
from tests.employees.conftest import As as _As
from tests.employees.seed import seed_employee
from tests.factories import TestUser, World

FORM = {
    "code": "P001",
    "family_name": "山田",
    "given_name": "花子",
    "family_name_kana": "ヤマダ",
    "given_name_kana": "ハナコ",
    "birth_date": "1991-07-07",
    "hire_date": "2022-04-01",
    "employment_type": "regular",
    "pay_basis": "monthly",
    "base_amount": "280,000",
    "scheduled_monthly_hours": "160",
    "commuting_allowance": "12000",
    "withholding_column": "kou",
    "dependents": "0",
    "prefecture": "13",
    "employment_insurance_industry": "general",
    "social_insurance_enrolled": "on",
    "employment_insurance_enrolled": "on",
}


As = _As


@pytest.fixture
def as_user(as_user: _As) -> _As:
    """Signed-in clients that read the pages in English (the msgids the tests name)."""

    async def make(user: TestUser) -> httpx.AsyncClient:
        c = await as_user(user)
        c.cookies.set("daiko_lang", "en")
        return c

    return make


def csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def field_error(html: str, name: str) -> str:
    m = re.search(rf'<p class="field-error" id="e-{name}"(?: hidden)?>([^<]*)</p>', html)
    assert m, f"no error slot for {name}"
    return m.group(1)


async def _count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(Employee)) or 0)


async def test_nav_list_and_search(world: World, as_user: As, owner_engine: AsyncEngine) -> None:
    await seed_employee(owner_engine, world.tenant_a.id, code="E1", family_name="山田")
    await seed_employee(owner_engine, world.tenant_a.id, code="E2", family_name="佐藤")
    c = await as_user(world.tenant_a.users["client_viewer"])
    page = await c.get("/portal/employees")
    assert page.status_code == 200
    assert 'href="/portal/employees"' in page.text
    assert "E1" in page.text and "E2" in page.text
    assert 'href="/portal/employees/new"' not in page.text  # viewers cannot add
    found = await c.get("/portal/employees", params={"q": "佐藤"})
    assert "E2" in found.text and ">E1<" not in found.text
    operator = await as_user(world.operator)
    console = await operator.get("/console/employees")
    assert console.status_code == 200
    assert 'href="/console/employees"' in console.text and "E1" in console.text


async def test_add_form_shows_errors_next_to_fields_and_writes_nothing(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    c = await as_user(world.tenant_a.users["client_member"])
    page = await c.get("/portal/employees/new")
    assert page.status_code == 200
    token = csrf(page.text)
    bad = dict(FORM, family_name_kana="Yamada", birth_date="", base_amount="lots")
    r = await c.post("/portal/employees/new", data={**bad, "csrf_token": token})
    assert r.status_code == 422
    assert field_error(r.text, "family_name_kana") == "katakana only (カタカナ)"
    assert field_error(r.text, "birth_date") == "required"
    assert field_error(r.text, "base_amount") == "a whole number of yen"
    assert field_error(r.text, "code") == ""
    assert 'value="Yamada"' in r.text  # what was typed is kept
    assert await _count(owner_engine) == 0
    ok = await c.post("/portal/employees/new", data={**FORM, "csrf_token": token})
    assert ok.status_code == 303, ok.text
    assert await _count(owner_engine) == 1
    detail = await c.get(ok.headers["location"])
    assert "山田 花子" in detail.text and "ﾔﾏﾀﾞ ﾊﾅｺ" in detail.text


async def test_edit_with_a_stale_version_is_refused(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    employee_id = await seed_employee(owner_engine, world.tenant_a.id, code="E9")
    c = await as_user(world.tenant_a.users["client_admin"])
    page = await c.get(f"/portal/employees/{employee_id}/edit")
    token = csrf(page.text)
    form = dict(FORM, code="E9", version="1", department="経理部")
    saved = await c.post(
        f"/portal/employees/{employee_id}/edit", data={**form, "csrf_token": token}
    )
    assert saved.status_code == 303
    stale = await c.post(
        f"/portal/employees/{employee_id}/edit",
        data={**form, "department": "総務部", "csrf_token": token},
    )
    assert stale.status_code == 422
    assert "Someone else changed this employee" in stale.text
    async with owner_engine.connect() as conn:
        dept = await conn.scalar(text("select department from employees"))
    assert dept == "経理部"


async def test_detail_masks_and_reveal_is_audited(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    employee_id = await seed_employee(owner_engine, world.tenant_a.id)
    admin = await as_user(world.tenant_a.users["client_admin"])
    url = f"/portal/employees/{employee_id}"
    token = csrf((await admin.get(url)).text)
    bad = await admin.post(
        f"{url}/my-number", data={"my_number": "123456789012", "csrf_token": token}
    )
    assert bad.status_code == 422
    assert field_error(bad.text, "my_number") == "check digit does not match (検査用数字)"
    assert "123456789012" not in bad.text
    ok = await admin.post(
        f"{url}/my-number", data={"my_number": "123456789018", "csrf_token": token}
    )
    assert ok.status_code == 303
    await admin.post(
        f"{url}/bank-account",
        data={
            "bank_code": "0005",
            "branch_code": "001",
            "account_type": "1",
            "account_number": "1234567",
            "csrf_token": token,
        },
    )
    page = await admin.get(url)
    assert "********9018" in page.text and "***4567" in page.text
    assert "123456789018" not in page.text and "1234567" not in page.text
    no_purpose = await admin.post(
        f"{url}/my-number/reveal", data={"purpose": "", "csrf_token": token}
    )
    assert no_purpose.status_code == 422 and "123456789018" not in no_purpose.text
    shown = await admin.post(
        f"{url}/my-number/reveal", data={"purpose": "social_insurance_filing", "csrf_token": token}
    )
    assert shown.status_code == 200
    assert "123456789018" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    async with owner_engine.connect() as conn:
        purposes = (
            (
                await conn.execute(
                    text(
                        "select details->>'purpose' from audit_events"
                        " where action = 'employee.my_number_revealed'"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert purposes == ["social_insurance_filing"]
    member = await as_user(world.tenant_a.users["client_member"])
    member_page = await member.get(url)
    assert "my-number/reveal" not in member_page.text
    denied = await member.post(
        f"{url}/my-number/reveal",
        data={"purpose": "withholding_slip", "csrf_token": csrf(member_page.text)},
    )
    assert denied.status_code == 403


async def test_import_preview_page_lists_every_problem(world: World, as_user: As) -> None:
    c = await as_user(world.tenant_a.users["client_member"])
    page = await c.get("/portal/employees/import")
    assert page.status_code == 200 and "社員番号" in page.text
    content = (
        "社員番号,氏名,フリガナ,生年月日,入社日,基本給,都道府県\r\n"
        "A1,山田 太郎,ヤマダ タロウ,1985/13/01,2020/04/01,300000,東京都\r\n"
        "A2,佐藤 花子,サトウ ハナコ,1990/01/01,2020/04/01,280000,火星\r\n"
    ).encode("cp932")
    r = await c.post(
        "/api/v1/employees/imports",
        files={"file": ("staff.csv", content, "text/csv")},
        data={"kind": "employees"},
    )
    imp = r.json()
    preview = await c.get(f"/portal/employees/imports/{imp['id']}")
    assert preview.status_code == 200
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", preview.text)
    assert rows == [
        ("2", "生年月日", "no such day"),
        ("3", "都道府県", "unknown prefecture (JIS code 01–47 or name)"),
    ]
    assert 'id="confirm-import"' not in preview.text


async def test_monthly_grid_saves_all_or_nothing(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    a = await seed_employee(owner_engine, world.tenant_a.id, code="G1")
    b = await seed_employee(owner_engine, world.tenant_a.id, code="G2")
    c = await as_user(world.tenant_a.users["client_member"])
    page = await c.get("/portal/employees/monthly", params={"month": "2026-11"})
    assert page.status_code == 200 and "G1" in page.text and "G2" in page.text
    token = csrf(page.text)
    form = {
        "csrf_token": token,
        "month": "2026-11",
        "tenant_id": "",
        f"{a}.worked_days": "20",
        f"{a}.overtime_hours": "10",
        f"{b}.worked_days": "19",
        f"{b}.overtime_hours": "75",
    }
    r = await c.post("/portal/employees/monthly", data=form)
    assert r.status_code == 422
    assert "at most 60; the rest is overtime_over60_hours" in r.text
    async with owner_engine.connect() as conn:
        count = await conn.scalar(select(func.count()).select_from(EmployeeMonthlyInput))
    assert count == 0
    form[f"{b}.overtime_hours"] = "60"
    form[f"{b}.overtime_over60_hours"] = "15"
    r = await c.post("/portal/employees/monthly", data=form)
    assert r.status_code == 303
    async with owner_engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "select e.code, m.worked_days, m.overtime_hours, m.overtime_over60_hours"
                    " from employee_monthly_inputs m join employees e on e.id = m.employee_id"
                    " order by e.code"
                )
            )
        ).all()
    assert [(r[0], str(r[1]), str(r[2]), str(r[3])) for r in rows] == [
        ("G1", "20.0", "10.00", "0.00"),
        ("G2", "19.0", "60.00", "15.00"),
    ]
    assert dt.date(2026, 11, 1)  # the grid's month
