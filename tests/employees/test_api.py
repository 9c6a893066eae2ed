"""Employees API: CRUD with ETags (412 / 428), field errors, soft delete, keyset pages
stable under inserts, `updated_since` sync, bulk upsert all or nothing, grades,
resident tax, bank accounts (masked, encrypted), monthly inputs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.employees.models import Employee, ResidentTaxNotice
from tests.employees.conftest import As
from tests.employees.seed import seed_employee
from tests.factories import World

PROBLEM = "application/problem+json"


def body(code: str = "E0100", **over: Any) -> dict[str, Any]:
    return {
        "code": code,
        "family_name": "鈴木",
        "given_name": "一郎",
        "family_name_kana": "スズキ",
        "given_name_kana": "イチロウ",
        "birth_date": "1988-02-03",
        "hire_date": "2019-04-01",
        "base_amount": 320000,
        "prefecture": "13",
        "scheduled_monthly_hours": "160",
        "allowances": [
            {"kind": "commuting", "amount": 15000},
            {"kind": "position", "amount": 20000},
        ],
        **over,
    }


async def _count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(Employee)) or 0)


async def test_create_get_patch_with_etags(world: World, as_user: As) -> None:
    c = await as_user(world.tenant_a.users["client_member"])
    r = await c.post("/api/v1/employees", json=body(family_name_kana="すずき"))
    assert r.status_code == 201, r.text
    assert r.headers["etag"] == '"1"'
    e = r.json()
    assert (e["family_name_kana"], e["bank_name_kana"], e["tenant_id"]) == (
        "スズキ",
        "ｽｽﾞｷ ｲﾁﾛｳ",
        str(world.tenant_a.id),
    )
    assert e["allowances"] == [
        {"kind": "commuting", "amount": 15000, "name": None, "taxable": False},
        {"kind": "position", "amount": 20000, "name": None, "taxable": True},
    ]
    assert (e["insurer_kind"], e["prefecture"], e["withholding_column"], e["my_number"]) == (
        "kyoukai",
        "13",
        "kou",
        None,
    )
    url = f"/api/v1/employees/{e['id']}"
    got = await c.get(url)
    assert (got.status_code, got.headers["etag"]) == (200, '"1"')

    r = await c.patch(url, json={"department": "開発部"})
    assert r.status_code == 428
    assert r.headers["content-type"].startswith(PROBLEM)
    r = await c.patch(url, json={"department": "開発部"}, headers={"If-Match": '"1"'})
    assert (r.status_code, r.headers["etag"], r.json()["department"]) == (200, '"2"', "開発部")
    stale = await c.patch(url, json={"department": "総務部"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert (await c.get(url)).json()["department"] == "開発部"


async def test_field_errors_name_the_fields(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    c = await as_user(world.tenant_a.users["client_admin"])
    r = await c.post(
        "/api/v1/employees",
        json=body(family_name_kana="Suzuki", hire_date="1980-01-01", prefecture=None),
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith(PROBLEM)
    assert {(e["field"], e["reason"]) for e in r.json()["errors"]} == {
        ("family_name_kana", "katakana only (カタカナ)"),
        ("hire_date", "before the employee turned 13"),
        ("prefecture", "required for 協会けんぽ"),
    }
    assert (await c.post("/api/v1/employees", json=body())).status_code == 201
    dup = await c.post("/api/v1/employees", json=body())
    assert dup.status_code == 422
    assert dup.json()["errors"] == [{"field": "code", "reason": "already used by another employee"}]
    assert await _count(owner_engine) == 1


async def test_viewer_cannot_write_and_other_tenant_is_404(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    employee_id = await seed_employee(owner_engine, world.tenant_a.id)
    viewer = await as_user(world.tenant_a.users["client_viewer"])
    assert (await viewer.post("/api/v1/employees", json=body())).status_code == 403
    assert (await viewer.get(f"/api/v1/employees/{employee_id}")).status_code == 200
    foreign = await as_user(world.tenant_b.users["client_admin"])
    r = await foreign.get(f"/api/v1/employees/{employee_id}")
    assert r.status_code == 404
    listed = (await foreign.get("/api/v1/employees")).json()
    assert listed["items"] == []


async def test_lead_of_two_tenants_names_the_tenant(world: World, as_user: As) -> None:
    lead = await as_user(world.lead)
    r = await lead.post("/api/v1/employees", json=body())
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "tenant_id", "reason": "required: you act for several tenants"}
    ]
    r = await lead.post("/api/v1/employees", json=body(tenant_id=str(world.tenant_b.id)))
    assert (r.status_code, r.json()["tenant_id"]) == (201, str(world.tenant_b.id))


async def test_soft_delete_keeps_the_record(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    employee_id = await seed_employee(owner_engine, world.tenant_a.id)
    c = await as_user(world.tenant_a.users["client_admin"])
    url = f"/api/v1/employees/{employee_id}"
    r = await c.delete(url)
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "reason", "reason": "required: why the employee leaves"}
    ]
    r = await c.delete(url, params={"reason": "自己都合退職", "leave_date": "2026-12-31"})
    assert r.status_code == 200, r.text
    assert (r.json()["leave_date"], r.json()["leave_reason"], r.json()["version"]) == (
        "2026-12-31",
        "自己都合退職",
        2,
    )
    assert (await c.get(url)).status_code == 200
    active = (await c.get("/api/v1/employees", params={"active_on": "2027-01-05"})).json()
    assert active["items"] == []
    still = (await c.get("/api/v1/employees", params={"active_on": "2026-12-31"})).json()
    assert [i["id"] for i in still["items"]] == [str(employee_id)]
    async with owner_engine.connect() as conn:
        actions = (
            (await conn.execute(text("select action from audit_events order by seq")))
            .scalars()
            .all()
        )
    assert "employee.left" in actions


async def test_cursor_pages_are_stable_under_inserts(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    for n in range(1, 8):
        await seed_employee(owner_engine, world.tenant_a.id, code=f"E{n * 10:04d}")
    c = await as_user(world.tenant_a.users["client_member"])
    first = (await c.get("/api/v1/employees", params={"limit": 3})).json()
    assert [i["code"] for i in first["items"]] == ["E0010", "E0020", "E0030"]
    # Rows appear before and after the cursor while the client pages on.
    await seed_employee(owner_engine, world.tenant_a.id, code="E0005")
    await seed_employee(owner_engine, world.tenant_a.id, code="E0045")
    seen = [i["code"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = (await c.get("/api/v1/employees", params={"limit": 3, "cursor": cursor})).json()
        seen += [i["code"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ["E0010", "E0020", "E0030", "E0040", "E0045", "E0050", "E0060", "E0070"]
    bad = await c.get("/api/v1/employees", params={"cursor": "nonsense"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cursor"


async def test_filters_department_and_q(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    await seed_employee(owner_engine, world.tenant_a.id, code="A1", department="営業部")
    await seed_employee(
        owner_engine, world.tenant_a.id, code="A2", department="開発部", family_name="佐藤"
    )
    c = await as_user(world.tenant_a.users["client_member"])
    dept = (await c.get("/api/v1/employees", params={"department": "開発部"})).json()
    assert [i["code"] for i in dept["items"]] == ["A2"]
    q = (await c.get("/api/v1/employees", params={"q": "佐藤"})).json()
    assert [i["code"] for i in q["items"]] == ["A2"]
    q = (await c.get("/api/v1/employees", params={"q": "a1"})).json()
    assert [i["code"] for i in q["items"]] == ["A1"]


async def test_updated_since_lists_changes_oldest_first(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    a = await seed_employee(owner_engine, world.tenant_a.id, code="S1")
    b = await seed_employee(owner_engine, world.tenant_a.id, code="S2")
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("update employees set updated_at = :t where id = :id"),
            [
                {"t": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "id": a},
                {"t": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "id": b},
            ],
        )
    c = await as_user(world.tenant_a.users["client_admin"])
    since = "2026-06-01T00:00:00Z"
    assert (await c.get("/api/v1/employees", params={"updated_since": since})).json()["items"] == []
    r = await c.patch(f"/api/v1/employees/{b}", json={"dependents": 2}, headers={"If-Match": "*"})
    assert r.status_code == 200
    r = await c.patch(f"/api/v1/employees/{a}", json={"dependents": 1}, headers={"If-Match": "*"})
    assert r.status_code == 200
    got = (await c.get("/api/v1/employees", params={"updated_since": since, "limit": 1})).json()
    assert [i["code"] for i in got["items"]] == ["S2"]
    rest = (
        await c.get(
            "/api/v1/employees",
            params={"updated_since": since, "limit": 1, "cursor": got["next_cursor"]},
        )
    ).json()
    assert ([i["code"] for i in rest["items"]], rest["next_cursor"]) == (["S1"], None)


async def test_bulk_upsert_is_all_or_nothing(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    await seed_employee(owner_engine, world.tenant_a.id, code="B1")
    c = await as_user(world.tenant_a.users["client_admin"])
    bad = await c.post(
        "/api/v1/employees/bulk",
        json={
            "items": [
                body("B2"),
                body("B3", birth_date="2030-01-01"),
                body("B2"),
                {"code": "B1", "family_name_kana": "abc"},
            ]
        },
    )
    assert bad.status_code == 422, bad.text
    assert bad.json()["errors"] == [
        {"field": "items[1].birth_date", "reason": "not a plausible birth date"},
        {"field": "items[2].code", "reason": "duplicate of items[0]"},
        {"field": "items[3].family_name_kana", "reason": "katakana only (カタカナ)"},
    ]
    assert await _count(owner_engine) == 1
    ok = await c.post(
        "/api/v1/employees/bulk",
        json={"items": [body("B2"), {"code": "B1", "family_name": "山本", "dependents": 3}]},
    )
    assert ok.status_code == 200, ok.text
    out = ok.json()
    assert (out["created"], out["updated"]) == (1, 1)
    updated = next(i for i in out["items"] if i["code"] == "B1")
    assert (
        updated["family_name"],
        updated["dependents"],
        updated["version"],
        updated["base_amount"],
    ) == (
        "山本",
        3,
        2,
        300000,
    )
    assert await _count(owner_engine) == 2


async def test_grades_and_resident_tax(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    employee_id = await seed_employee(owner_engine, world.tenant_a.id)
    c = await as_user(world.tenant_a.users["client_member"])
    url = f"/api/v1/employees/{employee_id}"
    for month, amount, reason in (
        ("2026-04", 280000, "acquisition"),
        ("2026-09", 300000, "annual"),
    ):
        r = await c.post(
            f"{url}/grades",
            json={
                "effective_month": month,
                "health_standard": amount,
                "pension_standard": amount,
                "reason": reason,
            },
        )
        assert r.status_code == 201, r.text
    again = await c.post(
        f"{url}/grades",
        json={"effective_month": "2026-09", "health_standard": 1, "pension_standard": 1},
    )
    assert again.status_code == 409
    grades = (await c.get(f"{url}/grades")).json()
    assert [(g["effective_month"], g["health_standard"]) for g in grades] == [
        ("2026-09", 300000),
        ("2026-04", 280000),
    ]
    r = await c.post(
        f"{url}/resident-tax",
        json={
            "fiscal_year": 2026,
            "municipality_code": "131041",
            "municipality_name": "新宿区",
            "june_amount": 15300,
            "monthly_amount": 15000,
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["annual_amount"] == 180300
    r = await c.post(
        f"{url}/resident-tax",
        json={
            "fiscal_year": 2026,
            "municipality_code": "131041",
            "municipality_name": "新宿区",
            "june_amount": 12400,
            "monthly_amount": 12000,
        },
    )
    assert r.status_code == 201
    notices = (await c.get(f"{url}/resident-tax")).json()
    assert [(n["fiscal_year"], n["june_amount"], n["monthly_amount"]) for n in notices] == [
        (2026, 12400, 12000)
    ]
    notice = ResidentTaxNotice(fiscal_year=2026, june_amount=12400, monthly_amount=12000)
    assert [notice.amount_for(dt.date(2026, m, 1)) for m in (5, 6, 7, 12)] == [
        0,
        12400,
        12000,
        12000,
    ]
    assert [notice.amount_for(dt.date(2027, m, 1)) for m in (1, 5, 6)] == [12000, 12000, 0]


async def test_bank_account_is_masked_and_encrypted(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    employee_id = await seed_employee(owner_engine, world.tenant_a.id)
    c = await as_user(world.tenant_a.users["client_member"])
    url = f"/api/v1/employees/{employee_id}/bank-accounts"
    bad = await c.put(
        url,
        json={
            "bank_code": "12",
            "branch_code": "0011",
            "account_type": "1",
            "account_number": "12345678",
        },
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {
        "bank_code",
        "branch_code",
        "account_number",
    }
    r = await c.put(
        url,
        json={
            "bank_code": "0005",
            "branch_code": "001",
            "account_type": "1",
            "account_number": "1234567",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["account_number"] == "***4567"
    listed = (await c.get(url)).json()
    assert [(a["bank_code"], a["account_number"]) for a in listed] == [("0005", "***4567")]
    async with owner_engine.connect() as conn:
        row = (
            await conn.execute(
                text("select account_number_token, holder_name_token from employee_bank_accounts")
            )
        ).one()
    assert row[0].startswith("v1:") and "1234567" not in row[0]
    assert row[1].startswith("v1:") and "ﾔﾏﾀﾞ" not in row[1]


async def test_monthly_inputs_put_get_and_month_list(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    a = await seed_employee(owner_engine, world.tenant_a.id, code="M1")
    await seed_employee(owner_engine, world.tenant_a.id, code="M2")
    await seed_employee(
        owner_engine, world.tenant_a.id, code="M3", leave_date=dt.date(2026, 10, 31)
    )
    c = await as_user(world.tenant_a.users["client_member"])
    url = f"/api/v1/employees/{a}/monthly-inputs/2026-11"
    assert (await c.get(url)).status_code == 404
    r = await c.put(
        url,
        json={
            "worked_days": "20",
            "overtime_hours": "12.5",
            "late_night_hours": "2",
            "variable_allowances": {"出張手当": 5000},
            "variable_deductions": {"社宅": 20000},
        },
    )
    assert (r.status_code, r.headers["etag"]) == (200, '"1"')
    too_much = await c.put(url, json={"overtime_hours": "61"})
    assert too_much.status_code == 400 or too_much.status_code == 422
    stale = await c.put(url, json={"worked_days": "19"}, headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    got = (await c.get(url)).json()
    assert (got["worked_days"], got["overtime_hours"], got["variable_allowances"]) == (
        "20.0",
        "12.50",
        {"出張手当": 5000},
    )
    month = (await c.get("/api/v1/monthly-inputs", params={"month": "2026-11"})).json()
    assert [(i["code"], i["input"] is not None) for i in month["items"]] == [
        ("M1", True),
        ("M2", False),
    ]
    bad = await c.get("/api/v1/employees/" + str(a) + "/monthly-inputs/2026-13")
    assert bad.status_code == 422


async def test_hostile_input_is_a_field_error_not_a_server_error(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    employee_id = await seed_employee(owner_engine, world.tenant_a.id)
    c = await as_user(world.tenant_a.users["client_admin"])
    r = await c.post(
        "/api/v1/employees", json=body(department="営業\x00部", birth_date="1992-02-29")
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "department", "reason": "control characters are not allowed"}
    ]
    r = await c.put(
        f"/api/v1/employees/{employee_id}/monthly-inputs/2026-11",
        json={"variable_allowances": {"手当\x00": 1}, "note": "a\x00b", "worked_days": "NaN"},
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {
        "worked_days",
        "variable_allowances.手当\x00",
        "note",
    }
    r = await c.post(
        "/api/v1/health-insurance-societies",
        json={"name": "健保", "health_rate": "NaN", "care_rate": "1.6", "valid_from": "2026-03-01"},
    )
    assert r.status_code == 422
    r = await c.get("/api/v1/employees", params={"updated_since": "2026-01-01T00:00:00"})
    assert r.status_code == 200


async def test_transfer_accounts_open_for_payroll_with_one_audit_event(
    world: World, as_user: As, owner_engine: AsyncEngine, runtime: Any
) -> None:
    from daiko.audit.service import SystemActor
    from daiko.employees.service import transfer_accounts
    from daiko.tenancy.scope import scope_of_tenant

    employee_id = await seed_employee(owner_engine, world.tenant_a.id)
    c = await as_user(world.tenant_a.users["client_member"])
    r = await c.put(
        f"/api/v1/employees/{employee_id}/bank-accounts",
        json={
            "bank_code": "0005",
            "branch_code": "001",
            "account_type": "1",
            "account_number": "12345",
        },
    )
    assert r.json()["account_number"] == "***2345"
    async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as s:
        got = await transfer_accounts(
            s,
            SystemActor("payroll.zengin"),
            world.tenant_a.id,
            [employee_id],
            purpose="salary_transfer",
        )
    [account] = got[employee_id]
    assert (account.account_number, account.holder_name, account.bank_code) == (
        "0012345",
        "ﾔﾏﾀﾞ ﾀﾛｳ",
        "0005",
    )
    async with owner_engine.connect() as conn:
        events = (
            await conn.execute(
                text(
                    "select details->>'purpose', details->>'accounts' from audit_events"
                    " where action = 'employee.bank_account_revealed'"
                )
            )
        ).all()
    assert [tuple(e) for e in events] == [("salary_transfer", "1")]
