"""Bookkeeping API: entries draft → posted → reversed, paging, settings and masters,
reports and downloads, permissions."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.bookkeeping.conftest import COOKIE_NAME, Ledger, csrf_for
from tests.factories import TestUser, World

Make = Callable[[TestUser], Awaitable[httpx.AsyncClient]]
BASE = "/api/v1/bookkeeping"


@pytest.fixture
def as_user(client_for: Make, owner_engine: AsyncEngine) -> Make:
    async def make(user: TestUser) -> httpx.AsyncClient:
        c = await client_for(user)
        token = c.cookies.get(COOKIE_NAME)
        assert token
        c.headers["X-CSRF-Token"] = await csrf_for(owner_engine, token)
        return c

    return make


ENTRY = {
    "entry_date": "2026-06-03",
    "description": "タクシー代",
    "lines": [
        {"account_code": "6160", "debit": 3300},  # the account's default: 課税仕入10%
        {"account_code": "1110", "credit": 3300},
    ],
}


async def test_entry_lifecycle(as_user: Make, world: World) -> None:
    op = await as_user(world.operator)
    r = await op.post(f"{BASE}/entries", json=ENTRY)
    assert r.status_code == 201, r.text
    draft = r.json()
    assert (draft["status"], draft["number"], draft["total"]) == ("draft", 1, 3300)
    assert [
        (x["account_code"], x["debit"], x["credit"], x["tax_amount"]) for x in draft["lines"]
    ] == [
        ("6160", 3000, 0, 300),
        ("1450", 300, 0, 0),
        ("1110", 0, 3300, 0),
    ]
    eid = draft["id"]
    changed = {
        **ENTRY,
        "lines": [{**ENTRY["lines"][0], "debit": 2200}, {"account_code": "1110", "credit": 2200}],
        "version": draft["version"],
    }  # type: ignore[dict-item]
    r = await op.put(f"{BASE}/entries/{eid}", json=changed)
    assert r.status_code == 200, r.text
    assert r.json()["total"] == 2200
    r = await op.put(f"{BASE}/entries/{eid}", json=changed)  # stale version
    assert r.status_code == 409
    r = await op.post(f"{BASE}/entries/{eid}/post", json={})
    assert r.status_code == 200 and r.json()["status"] == "posted"
    r = await op.put(f"{BASE}/entries/{eid}", json={**ENTRY})
    assert r.status_code == 409 and r.json()["code"] == "posted"
    assert (await op.delete(f"{BASE}/entries/{eid}")).status_code == 409
    r = await op.post(f"{BASE}/entries/{eid}/reverse", json={"entry_date": "2026-06-30"})
    assert r.status_code == 201, r.text
    rev = r.json()
    assert (rev["reverses_id"], rev["number"], rev["entry_date"]) == (eid, 2, "2026-06-30")
    assert [(x["debit"], x["credit"]) for x in rev["lines"]] == [(0, 2000), (0, 200), (2200, 0)]
    r = await op.post(f"{BASE}/entries/{eid}/reverse", json={})
    assert r.status_code == 409 and r.json()["code"] == "already_reversed"


async def test_unbalanced_and_unknown_account_are_422(as_user: Make, world: World) -> None:
    op = await as_user(world.operator)
    body = {
        **ENTRY,
        "lines": [{"account_code": "1110", "debit": 1}, {"account_code": "9999", "credit": 1}],
    }
    r = await op.post(f"{BASE}/entries", json=body)
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "lines[1].account_code", "reason": "no account '9999'"}]
    body = {
        **ENTRY,
        "lines": [{"account_code": "1110", "debit": 2}, {"account_code": "1130", "credit": 1}],
    }
    r = await op.post(f"{BASE}/entries", json=body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["reason"] == "debits (2 yen) and credits (1 yen) must be equal"
    r = await op.get(f"{BASE}/entries")
    assert r.json()["items"] == []


async def test_list_pages_and_updated_since(as_user: Make, world: World, ledger: Ledger) -> None:
    admin = await as_user(world.tenant_a.users["client_admin"])
    seen: list[int] = []
    url = f"{BASE}/entries?limit=3"
    while True:
        r = await admin.get(url)
        assert r.status_code == 200, r.text
        page = r.json()
        seen += [e["number"] for e in page["items"]]
        if not page["next_cursor"]:
            break
        url = f"{BASE}/entries?limit=3&cursor={page['next_cursor']}"
    assert seen == [1, 2, 3, 4, 5, 6, 7, 8]
    r = await admin.get(f"{BASE}/entries", params={"status": "posted", "account": "6200"})
    assert [e["number"] for e in r.json()["items"]] == [7]
    r = await admin.get(
        f"{BASE}/entries", params={"updated_since": "2000-01-01T00:00:00Z", "limit": 5}
    )
    body = r.json()
    assert len(body["items"]) == 5 and body["next_cursor"]
    r = await admin.get(
        f"{BASE}/entries",
        params={"updated_since": "2000-01-01T00:00:00Z", "limit": 5, "cursor": body["next_cursor"]},
    )
    assert len(r.json()["items"]) == 3
    r = await admin.get(f"{BASE}/entries", params={"cursor": "garbage"})
    assert r.status_code == 422


async def test_client_reads_but_cannot_write(as_user: Make, world: World, ledger: Ledger) -> None:
    admin = await as_user(world.tenant_a.users["client_admin"])
    assert (await admin.post(f"{BASE}/entries", json=ENTRY)).status_code == 403
    r = await admin.get(f"{BASE}/entries/{ledger.entry_ids[2]}")
    assert r.status_code == 200
    assert r.json()["lines"][0]["counterparty_id"] == str(ledger.supplier_id)
    other = await as_user(world.tenant_b.users["client_admin"])
    assert (await other.get(f"{BASE}/entries/{ledger.entry_ids[2]}")).status_code == 404


async def test_lead_of_two_tenants_names_the_tenant(as_user: Make, world: World) -> None:
    lead = await as_user(world.lead)
    r = await lead.get(f"{BASE}/accounts")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "tenant_id"
    r = await lead.get(f"{BASE}/accounts", params={"tenant_id": str(world.tenant_b.id)})
    assert r.status_code == 200 and len(r.json()) == 84


async def test_counterparty_registration_number(as_user: Make, world: World) -> None:
    op = await as_user(world.operator)
    r = await op.post(
        f"{BASE}/counterparties",
        json={"name": "国税庁", "registration_number": "Ｔ７０００－０１２０５０００２"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["registration_number"] == "T7000012050002"
    r = await op.post(
        f"{BASE}/counterparties", json={"name": "誤り", "registration_number": "T8000012050002"}
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "registration_number", "reason": "check digit mismatch: got 8, expected 7"}
    ]
    r = await op.post(f"{BASE}/counterparties", json={"name": "国税庁"})
    assert r.status_code == 409


async def test_accounts_edit_and_settings(as_user: Make, world: World) -> None:
    op = await as_user(world.operator)
    r = await op.post(
        f"{BASE}/accounts",
        json={
            "code": "6252",
            "name": "研修費",
            "section": "sga",
            "default_tax_category": "taxable_purchase_10",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["category"] == "expense"
    aid = r.json()["id"]
    r = await op.patch(f"{BASE}/accounts/{aid}", json={"name": "教育研修費", "active": False})
    assert r.status_code == 200 and (r.json()["name"], r.json()["active"]) == ("教育研修費", False)
    r = await op.post(
        f"{BASE}/entries",
        json={
            **ENTRY,
            "lines": [{"account_code": "6252", "debit": 1}, {"account_code": "1110", "credit": 1}],
        },
    )
    assert r.status_code == 422 and r.json()["errors"][0]["reason"] == "the account is inactive"
    r = await op.patch(
        f"{BASE}/settings", json={"tax_rounding": "ceil", "tax_accounting": "inclusive"}
    )
    assert r.status_code == 200 and r.json()["tax_rounding"] == "ceil"
    r = await op.post(
        f"{BASE}/entries",
        json={
            **ENTRY,
            "lines": [
                {"account_code": "6160", "debit": 1000},
                {"account_code": "1110", "credit": 1000},
            ],
        },
    )
    assert next((x["debit"], x["tax_amount"], x["tax_included"]) for x in r.json()["lines"]) == (
        1000,
        91,
        True,
    )


async def test_fiscal_year_and_close(as_user: Make, world: World, ledger: Ledger) -> None:
    op = await as_user(world.operator)
    years = (await op.get(f"{BASE}/fiscal-years")).json()
    assert [(y["start_date"], y["end_date"], len(y["periods"])) for y in years] == [
        ("2026-04-01", "2027-03-31", 12)
    ]
    april, may = years[0]["periods"][0], years[0]["periods"][1]
    r = await op.post(f"{BASE}/periods/{april['id']}/close")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = await op.post(f"{BASE}/periods/{may['id']}/close")
    assert r.status_code == 409 and r.json()["code"] == "drafts_remain"
    r = await op.post(f"{BASE}/entries", json={**ENTRY, "entry_date": "2026-04-30"})
    assert r.status_code == 409 and r.json()["code"] == "period_closed"
    r = await op.post(f"{BASE}/fiscal-years", json={"start_date": "2026-10-01"})
    assert r.status_code == 409


async def test_reports_and_downloads(as_user: Make, world: World, ledger: Ledger) -> None:
    viewer = await as_user(world.tenant_a.users["client_viewer"])
    r = await viewer.get(f"{BASE}/reports/trial-balance", params={"month": "2026-05"})
    assert r.status_code == 200
    assert (r.json()["total_debit"], r.json()["rows"][0]["closing"]) == (330_000, 647_920)
    r = await viewer.get(
        f"{BASE}/reports/trial-balance", params={"month": "2026-05", "format": "csv"}
    )
    assert r.headers["content-type"].startswith("text/csv")
    lines = r.content.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "コード,勘定科目,前月残高,借方,貸方,当月残高"
    assert lines[1] == "1130,普通預金,757920,110000,220000,647920"
    assert lines[-2] == ",合計,,330000,330000,"
    r = await viewer.get(
        f"{BASE}/reports/trial-balance", params={"month": "2026-05", "format": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[2]] == ["1130", "普通預金", 757920, 110000, 220000, 647920]
    r = await viewer.get(
        f"{BASE}/reports/profit-and-loss", params={"from": "2026-04-01", "to": "2026-05-31"}
    )
    assert r.json()["net_income"] == -406_000
    r = await viewer.get(f"{BASE}/reports/balance-sheet", params={"as_of": "2026-05-31"})
    assert r.json()["total_assets"] == 668_500
    r = await viewer.get(
        f"{BASE}/reports/tax-summary",
        params={"from": "2026-04-01", "to": "2026-05-31", "format": "csv"},
    )
    assert r.content.decode("utf-8-sig").split("\r\n")[1] == "課税売上10%,10%,100000,10000,0,1"
    r = await viewer.get(
        f"{BASE}/reports/general-ledger",
        params={"account": "1130", "from": "2026-05-01", "to": "2026-05-31"},
    )
    assert r.json()["closing"] == 647_920
    r = await viewer.get(
        f"{BASE}/exports", params={"layout": "yayoi", "from": "2026-04-01", "to": "2026-05-31"}
    )
    assert r.status_code == 200 and "shift_jis" in r.headers["content-type"]
    assert r.content.decode("cp932").count("\r\n") == 11  # six one-row entries, payroll in five
    r = await viewer.get(
        f"{BASE}/exports", params={"layout": "lotus", "from": "2026-04-01", "to": "2026-05-31"}
    )
    assert r.status_code == 400


async def test_closing_entry_is_flagged_in_exports(as_user: Make, world: World) -> None:
    op = await as_user(world.operator)
    body = {
        "entry_date": "2027-03-31",
        "description": "減価償却",
        "is_closing": True,
        "post": True,
        "lines": [
            {"account_code": "6230", "debit": 50000},
            {"account_code": "1530", "credit": 50000},
        ],
    }
    r = await op.post(f"{BASE}/entries", json=body)
    assert r.status_code == 201 and r.json()["is_closing"] is True
    r = await op.get(
        f"{BASE}/exports", params={"layout": "yayoi", "from": "2027-03-31", "to": "2027-03-31"}
    )
    assert r.content.decode("cp932").split(",")[:4] == ["2000", "1", "本決", "2027/03/31"]
    r = await op.get(
        f"{BASE}/exports", params={"layout": "freee", "from": "2027-03-31", "to": "2027-03-31"}
    )
    assert r.content.decode("utf-8-sig").split("\r\n")[1].split(",")[:3] == ["2027/03/31", "1", "1"]
