"""Rows in every ledger table for tenants A and B (isolation tests and the route matrix).

Each tenant gets the default chart, a department, a counterparty, fiscal year 2026 with
April closed, a posted entry in April (with its evidence document) and a draft in May.
Returns tenant A's ids for the route matrix; write routes take the bodies below.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from uuid import UUID

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from daiko.bookkeeping import journal, periods
from daiko.bookkeeping.accounts import ensure_chart
from daiko.bookkeeping.journal import JournalLineDraft as L
from daiko.bookkeeping.models import Counterparty, Department, JournalEntryDocument
from daiko.documents.models import Document
from daiko.ids import new_id
from tests.factories import World

ENTRY_BODY: dict[str, object] = {
    "entry_date": "2026-05-20",
    "description": "Matrix entry",
    "lines": [
        {"account_code": "6173", "debit": 1100, "tax_category": "taxable_purchase_10"},
        {"account_code": "1110", "credit": 1100},
    ],
}

ROUTE_BODIES: dict[str, dict[str, object]] = {
    "POST /api/v1/bookkeeping/accounts": {
        "code": "6999",
        "name": "Matrix",
        "section": "sga",
    },
    "PATCH /api/v1/bookkeeping/accounts/{account_id}": {"name": "Matrix"},
    "POST /api/v1/bookkeeping/departments": {"code": "D9", "name": "Matrix"},
    "POST /api/v1/bookkeeping/counterparties": {"name": "Matrix Co."},
    "PATCH /api/v1/bookkeeping/settings": {"tax_rounding": "round"},
    "POST /api/v1/bookkeeping/fiscal-years": {"start_date": "2027-04-01"},
    "POST /api/v1/bookkeeping/periods/{period_id}/close": {},
    "POST /api/v1/bookkeeping/entries": ENTRY_BODY,
    "PUT /api/v1/bookkeeping/entries/{entry_id}": ENTRY_BODY,
    "POST /api/v1/bookkeeping/entries/{entry_id}/post": {},
    "POST /api/v1/bookkeeping/entries/{entry_id}/reverse": {},
    "POST /api/v1/bookkeeping/entries/{entry_id}/documents": {
        "document_id": "00000000-0000-0000-0000-000000000002"
    },
}


@asynccontextmanager
async def scoped(engine: AsyncEngine, tenant_id: UUID) -> AsyncIterator[AsyncSession]:
    async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
        await s.execute(
            text("select set_config('daiko.tenant_ids', :t, true)"), {"t": str(tenant_id)}
        )
        yield s


async def seed(engine: AsyncEngine, world: World) -> dict[str, str]:
    out: dict[str, str] = {}
    for tenant in (world.tenant_a, world.tenant_b):
        tid = tenant.id
        async with scoped(engine, tid) as s:
            await ensure_chart(s, tid)
            dept = Department(tenant_id=tid, code="HQ", name="本社")
            party = Counterparty(
                tenant_id=tid, name="国税庁", code="NTA", registration_number="T7000012050002"
            )
            s.add_all([dept, party])
            await s.flush()
            year = await periods.create_fiscal_year(s, tid, date(2026, 4, 1))
            posted = await journal.create_entry(
                s,
                tenant_id=tid,
                entry_date=date(2026, 4, 10),
                description="事務用品",
                lines=[
                    L(
                        "6173",
                        debit=1100,
                        tax_category="taxable_purchase_10",
                        department_code="HQ",
                        counterparty_id=party.id,
                    ),
                    L("1110", credit=1100),
                ],
                post=True,
            )
            draft = await journal.create_entry(
                s,
                tenant_id=tid,
                entry_date=date(2026, 5, 10),
                description="売上",
                lines=[
                    L("1220", debit=22000),
                    L("4110", credit=22000, tax_category="taxable_sales_10"),
                ],
            )
            doc_id = new_id()
            await s.execute(
                insert(Document).values(
                    tenant_id=tid,
                    id=doc_id,
                    title="領収書 事務用品",
                    classification="receipt",
                    transaction_date=date(2026, 4, 10),
                    amount=1100,
                    counterparty="国税庁",
                    retention_class="bookkeeping_evidence",
                    retention_base_date=date(2026, 4, 10),
                )
            )
            s.add(JournalEntryDocument(tenant_id=tid, entry_id=posted.id, document_id=doc_id))
            await s.flush()
            ps = await s.execute(
                text(
                    "select id, start_date from accounting_periods"
                    " where fiscal_year_id = :y order by start_date"
                ),
                {"y": year.id},
            )
            period_ids = [row[0] for row in ps]
            await periods.close_period(s, period_ids[0], closed_by=None)
            account_id = await s.scalar(
                text("select id from accounts where tenant_id = :t and code = '6173'"), {"t": tid}
            )
            if tenant is world.tenant_a:
                out = {
                    "entry_id": str(draft.id),
                    "posted_entry_id": str(posted.id),
                    "account_id": str(account_id),
                    "fiscal_year_id": str(year.id),
                    "period_id": str(period_ids[1]),
                }
    return out
