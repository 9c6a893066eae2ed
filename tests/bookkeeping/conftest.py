"""Fixtures of the ledger tests: a tenant with two months of posted entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.sessions import COOKIE_NAME, hash_token
from daiko.bookkeeping import journal, periods
from daiko.bookkeeping.accounts import create_counterparty, create_department, ensure_chart
from daiko.bookkeeping.journal import JournalLineDraft as L
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import World

PAYROLL = [
    L("6120", debit=300_000, description="4月分給与"),
    L("2181", credit=7_000),
    L("2182", credit=12_000),
    L("2183", credit=44_000),
    L("2184", credit=1_500),
    L("1130", credit=235_500),
]


@dataclass
class Ledger:
    tenant_id: UUID
    entry_ids: list[UUID]
    draft_id: UUID
    supplier_id: UUID


async def seed_ledger(runtime: Runtime, tid: UUID) -> Ledger:
    """April and May 2026 under 税抜経理, 内税 input, floor rounding (the defaults)."""
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        await ensure_chart(s, tid)
        await periods.create_fiscal_year(s, tid, date(2026, 4, 1))
        await create_department(s, tid, code="HQ", name="本社")
        supplier = await create_counterparty(
            s, tid, name="文具の山田商店", registration_number="T7000012050002"
        )
        specs: list[tuple[date, str, list[L]]] = [
            (date(2026, 4, 1), "資本金払込", [L("1130", debit=1_000_000), L("3110", credit=1_000_000)]),
            (
                date(2026, 4, 10),
                "4月売上",
                [L("1220", debit=110_000), L("4110", credit=110_000, tax_category="taxable_sales_10")],
            ),
            (
                date(2026, 4, 15),
                "事務用品",
                [
                    L(
                        "6173",
                        debit=5_500,
                        tax_category="taxable_purchase_10",
                        department_code="HQ",
                        counterparty_id=supplier.id,
                    ),
                    L("1130", credit=5_500),
                ],
            ),
            (date(2026, 4, 25), "4月分給与", PAYROLL),
            (
                date(2026, 4, 28),
                "会議用弁当",
                [L("6181", debit=1_080, tax_category="taxable_purchase_8r"), L("1130", credit=1_080)],
            ),
            (date(2026, 5, 10), "売掛金入金", [L("1130", debit=110_000), L("1220", credit=110_000)]),
            (
                date(2026, 5, 20),
                "5月分家賃",
                [L("6200", debit=220_000, tax_category="taxable_purchase_10"), L("1130", credit=220_000)],
            ),
        ]  # fmt: skip
        ids = []
        for day, text_, lines in specs:
            ids.append(
                await journal.record_entry(
                    s,
                    tenant_id=tid,
                    entry_date=day,
                    description=text_,
                    lines=lines,
                    source_kind="manual",
                    source_id=None,
                    created_by=None,
                )
            )
        draft = await journal.create_entry(
            s,
            tenant_id=tid,
            entry_date=date(2026, 5, 30),
            description="未確定",
            lines=[L("6259", debit=999_999), L("1110", credit=999_999)],
        )
    return Ledger(tid, ids, draft.id, supplier.id)


@pytest.fixture
async def ledger(runtime: Runtime, world: World) -> Ledger:
    return await seed_ledger(runtime, world.tenant_a.id)


async def csrf_for(owner_engine: AsyncEngine, cookie: str) -> str:
    async with owner_engine.connect() as conn:
        value = await conn.scalar(
            text("select csrf_token from user_sessions where id = :id"),
            {"id": hash_token(cookie)},
        )
    assert value
    return str(value)


__all__ = ["COOKIE_NAME", "Ledger", "csrf_for", "seed_ledger"]
