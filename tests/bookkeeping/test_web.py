"""Bookkeeping pages: the portal's trial balance and chart, the journal, the console editor
(HTMX line rows, save, post, reverse), period close and the chart of accounts."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.bookkeeping.conftest import COOKIE_NAME, Ledger, csrf_for
from tests.factories import TestUser, World

Make = Callable[[TestUser], Awaitable[tuple[httpx.AsyncClient, str]]]


@pytest.fixture
def signed(
    client_for: Callable[[TestUser], Awaitable[httpx.AsyncClient]], owner_engine: AsyncEngine
) -> Make:
    async def make(user: TestUser) -> tuple[httpx.AsyncClient, str]:
        c = await client_for(user)
        token = c.cookies.get(COOKIE_NAME)
        assert token
        return c, await csrf_for(owner_engine, token)

    return make


async def test_portal_trial_balance_and_chart(signed: Make, world: World, ledger: Ledger) -> None:
    c, _ = await signed(world.tenant_a.users["client_viewer"])
    r = await c.get("/portal/bookkeeping", params={"month": "2026-05"})
    assert r.status_code == 200
    page = r.text
    assert "<svg" in page and "757,920" in page and "647,920" in page
    assert 'href="/portal/bookkeeping"' in page  # the nav entry
    assert "課税仕入10%" in page and "200,000" in page and "20,000" in page
    assert "layout=yayoi" in page
    r = await c.get("/portal/bookkeeping/entries", params={"month": "2026-04"})
    assert r.status_code == 200 and "4月分給与" in r.text and "未確定" not in r.text
    r = await c.get(f"/bookkeeping/entries/{ledger.entry_ids[2]}")
    assert r.status_code == 200
    assert "文具の山田商店" in r.text and "T7000012050002" in r.text
    assert "/reverse" not in r.text  # a client reads, never writes
    r = await c.get("/console/bookkeeping")
    assert r.status_code == 403


async def test_console_editor_saves_posts_and_reverses(
    signed: Make, world: World, owner_engine: AsyncEngine
) -> None:
    c, csrf = await signed(world.operator)
    r = await c.get("/console/bookkeeping/entries/new")
    assert r.status_code == 200 and r.text.count('name="line-') == 4 * 7
    r = await c.get("/console/bookkeeping/line-row", params={"i": 4})
    assert r.status_code == 200
    assert 'name="line-4-account"' in r.text and "i=5" in r.text and 'hx-swap-oob="true"' in r.text
    form = {
        "csrf_token": csrf,
        "entry_date": "2026-07-01",
        "description": "切手代",
        "line-0-account": "6170",
        "line-0-debit": "1,100",
        "line-0-tax": "",
        "line-1-account": "1110",
        "line-1-credit": "1100",
        "intent": "save",
    }
    r = await c.post("/console/bookkeeping/entries", data={**form, "line-1-credit": "1000"})
    assert r.status_code == 422
    assert "debits (1,100 yen) and credits (1,000 yen) must be equal" in r.text
    assert 'value="切手代"' in r.text  # the input is kept
    r = await c.post("/console/bookkeeping/entries", data=form)
    assert r.status_code == 303
    entry_url = r.headers["location"]
    entry_id = entry_url.rsplit("/", 1)[1]
    r = await c.get(entry_url)
    assert "課税仕入10%" in r.text and "1,000" in r.text and "100" in r.text
    r = await c.get(f"/console/bookkeeping/entries/{entry_id}/edit")
    assert r.status_code == 200 and 'value="1100"' in r.text
    version = re.search(r'name="version" value="(\d+)"', r.text)
    assert version
    r = await c.post(
        f"/console/bookkeeping/entries/{entry_id}",
        data={
            **form,
            "line-0-debit": "2200",
            "line-1-credit": "2200",
            "intent": "post",
            "version": version[1],
        },
    )
    assert r.status_code == 303
    async with owner_engine.connect() as conn:
        status = await conn.scalar(
            text("select status from journal_entries where id = :e"), {"e": entry_id}
        )
    assert status == "posted"
    r = await c.post(
        f"/console/bookkeeping/entries/{entry_id}/reverse",
        data={"csrf_token": csrf, "entry_date": "2026-07-31"},
    )
    assert r.status_code == 303 and r.headers["location"] != f"/bookkeeping/entries/{entry_id}"
    r = await c.get(r.headers["location"])
    assert "2026-07-31" in r.text and "2,000" in r.text


async def test_console_close_month_and_accounts(
    signed: Make, world: World, ledger: Ledger, owner_engine: AsyncEngine
) -> None:
    c, csrf = await signed(world.operator)
    r = await c.get("/console/bookkeeping", params={"month": "2026-04"})
    assert r.status_code == 200
    closes = re.findall(r'action="/console/bookkeeping/periods/([0-9a-f-]+)/close"', r.text)
    assert len(closes) == 12
    r = await c.post(f"/console/bookkeeping/periods/{closes[1]}/close", data={"csrf_token": csrf})
    assert r.status_code == 303
    r = await c.get(r.headers["location"])
    assert "close 2026-04 first" in r.text
    r = await c.post(f"/console/bookkeeping/periods/{closes[0]}/close", data={"csrf_token": csrf})
    assert r.status_code == 303
    async with owner_engine.connect() as conn:
        status = await conn.scalar(
            text("select status from accounting_periods where id = :p"), {"p": closes[0]}
        )
    assert status == "closed"
    r = await c.get("/console/bookkeeping/accounts")
    assert r.status_code == 200 and 'id="a-6120"' in r.text
    r = await c.post(
        "/console/bookkeeping/accounts",
        data={
            "csrf_token": csrf,
            "code": "6260",
            "name": "研修費",
            "section": "sga",
            "tax": "taxable_purchase_10",
        },
    )
    assert r.status_code == 303
    async with owner_engine.connect() as conn:
        account_id = await conn.scalar(
            text("select id from accounts where tenant_id = :t and code = '6260'"),
            {"t": world.tenant_a.id},
        )
    assert account_id is not None
    r = await c.post(
        f"/console/bookkeeping/accounts/{account_id}",
        data={
            "csrf_token": csrf,
            "name": "教育研修費",
            "sub_name": "",
            "tax": "taxable_purchase_10",
        },
    )
    assert r.status_code == 303
    async with owner_engine.connect() as conn:
        row = (
            await conn.execute(
                text("select name, active from accounts where id = :a"), {"a": account_id}
            )
        ).one()
    assert tuple(row) == ("教育研修費", False)  # the unticked box deactivates


async def test_link_evidence_and_audit_trail(
    signed: Make, world: World, ledger: Ledger, owner_engine: AsyncEngine
) -> None:
    import datetime as dt

    from sqlalchemy import insert

    from daiko.documents.models import Document
    from daiko.ids import new_id

    doc_id = new_id()
    async with owner_engine.begin() as conn:
        await conn.execute(
            insert(Document).values(
                tenant_id=world.tenant_a.id,
                id=doc_id,
                title="家賃請求書 5月",
                classification="receipt",
                transaction_date=dt.date(2026, 5, 20),
                amount=220_000,
                counterparty="大家不動産",
                retention_class="bookkeeping_evidence",
                retention_base_date=dt.date(2026, 5, 20),
            )
        )
    c, csrf = await signed(world.operator)
    rent = ledger.entry_ids[6]
    r = await c.get(f"/bookkeeping/entries/{rent}")
    assert f'value="{doc_id}"' in r.text
    r = await c.post(
        f"/console/bookkeeping/entries/{rent}/documents",
        data={"csrf_token": csrf, "document_id": str(doc_id)},
    )
    assert r.status_code == 303
    r = await c.get(f"/bookkeeping/entries/{rent}")
    assert "家賃請求書 5月" in r.text and "大家不動産" in r.text and "220,000" in r.text
    r = await c.post(f"/console/bookkeeping/entries/{rent}/reverse", data={"csrf_token": csrf})
    assert r.status_code == 303
    async with owner_engine.connect() as conn:
        actions = (
            await conn.execute(
                text(
                    "select action, resource_id from audit_events where tenant_id = :t"
                    " and action like 'journal_entry.%' order by seq"
                ),
                {"t": world.tenant_a.id},
            )
        ).all()
    assert [tuple(a) for a in actions] == [("journal_entry.reversed", str(rent))]


async def test_counterparties_and_departments_pages(
    signed: Make, world: World, owner_engine: AsyncEngine
) -> None:
    c, csrf = await signed(world.operator)
    r = await c.post(
        "/console/bookkeeping/counterparties",
        data={"csrf_token": csrf, "name": "誤記商店", "registration_number": "T7000012050003"},
    )
    assert r.status_code == 303
    r = await c.get(r.headers["location"])
    assert "check digit mismatch: got 7, expected" in r.text
    r = await c.post(
        "/console/bookkeeping/counterparties",
        data={"csrf_token": csrf, "name": "国税庁", "registration_number": "T7000012050002"},
    )
    r = await c.post(
        "/console/bookkeeping/departments",
        data={"csrf_token": csrf, "code": "OPS", "name": "業務部"},
    )
    assert r.status_code == 303
    r = await c.get("/console/bookkeeping/counterparties")
    assert "T7000012050002" in r.text and "業務部" in r.text and "誤記商店" not in r.text
    async with owner_engine.connect() as conn:
        party = await conn.scalar(
            text("select id from counterparties where name = '国税庁' and tenant_id = :t"),
            {"t": world.tenant_a.id},
        )
    r = await c.get("/console/bookkeeping/entries/new")
    assert f'value="{party}"' in r.text and ">業務部<" in r.text
    r = await c.post(
        "/console/bookkeeping/entries",
        data={
            "csrf_token": csrf,
            "entry_date": "2026-07-02",
            "description": "印紙",
            "line-0-account": "6220",
            "line-0-debit": "200",
            "line-0-party": str(party),
            "line-0-department": "OPS",
            "line-1-account": "1110",
            "line-1-credit": "200",
            "intent": "post",
        },
    )
    assert r.status_code == 303
    async with owner_engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "select l.tax_category, l.counterparty_id, d.code from journal_lines l"
                    " join departments d on d.id = l.department_id where l.line_no = 1"
                )
            )
        ).one()
    assert tuple(row) == ("non_taxable", party, "OPS")
