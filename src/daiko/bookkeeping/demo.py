"""Demo ledger for the demo tenants (`make dev`): the default chart, a department or two,
counterparties with registration numbers, fiscal year 2026 (April–March) with monthly
sales, purchases, rent and payroll from April to October, April–September closed, and a
draft waiting in October. Idempotent: a tenant that already has demo entries is left alone.
"""

from __future__ import annotations

import uuid
from datetime import date

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.bookkeeping import journal, periods
from daiko.bookkeeping import repository as repo
from daiko.bookkeeping.accounts import create_counterparty, create_department, ensure_chart
from daiko.bookkeeping.journal import JournalLineDraft as L
from daiko.bookkeeping.models import JournalEntry
from daiko.db.engine import Database
from daiko.tenancy.models import Tenant
from daiko.tenancy.scope import scope_of_tenant

log = structlog.get_logger("daiko.bookkeeping.demo")
FIRST_MONTH = date(2026, 4, 1)
MONTHS = 7  # April to October 2026
CLOSED = 6  # April to September


async def load(db: Database) -> None:
    async with db.global_session() as session:
        tenants = list(
            (
                await session.execute(
                    select(Tenant).where(Tenant.status == "active").order_by(Tenant.slug)
                )
            ).scalars()
        )
    for n, tenant in enumerate(tenants):
        if "bookkeeping" not in (tenant.services or []):
            continue
        async with db.session(scope_of_tenant(tenant.id)) as s:
            done = await s.execute(
                select(JournalEntry.id)
                .where(JournalEntry.tenant_id == tenant.id, JournalEntry.source_kind == "demo")
                .limit(1)
            )
            if done.first() is not None:
                continue
            await _ledger(s, tenant.id, scale=n + 1)
        log.info("demo ledger loaded", tenant=tenant.slug)


async def _ledger(s: AsyncSession, tenant_id: uuid.UUID, *, scale: int) -> None:
    await ensure_chart(s, tenant_id)
    if not await repo.departments_by_code(s, tenant_id, ["HQ"]):
        await create_department(s, tenant_id, code="HQ", name="本社")
        await create_department(s, tenant_id, code="SALES", name="営業部")
    supplier = await repo.counterparty_by_name(s, tenant_id, "株式会社文具堂")
    if supplier is None:
        supplier = await create_counterparty(
            s, tenant_id, name="株式会社文具堂", registration_number="T7000012050002"
        )
    customer = await repo.counterparty_by_name(s, tenant_id, "得意先商事株式会社")
    if customer is None:
        customer = await create_counterparty(s, tenant_id, name="得意先商事株式会社")
    year = await periods.ensure_fiscal_year(s, tenant_id, FIRST_MONTH)

    async def add(day: date, text: str, lines: list[L], *, post: bool = True) -> None:
        await journal.create_entry(
            s,
            tenant_id=tenant_id,
            entry_date=day,
            description=text,
            lines=lines,
            source_kind="demo",
            post=post,
        )

    await add(
        FIRST_MONTH,
        "期首 資本金",
        [L("1130", debit=10_000_000 * scale), L("3110", credit=10_000_000 * scale)],
    )
    for k in range(MONTHS):
        first = periods.add_months(FIRST_MONTH, k)
        m = first.month
        sales = (1_100_000 + 55_000 * k) * scale
        gross_pay = 600_000 * scale
        await add(
            first.replace(day=5),
            f"{m}月分 売上",
            [
                L("1220", debit=sales, counterparty_id=customer.id),
                L(
                    "4110",
                    credit=sales,
                    tax_category="taxable_sales_10",
                    department_code="SALES",
                    counterparty_id=customer.id,
                ),
            ],
        )
        await add(
            first.replace(day=10),
            f"{m}月分 事務用品",
            [
                L(
                    "6173",
                    debit=16_500 + 1_100 * k,
                    tax_category="taxable_purchase_10",
                    department_code="HQ",
                    counterparty_id=supplier.id,
                ),
                L("1130", credit=16_500 + 1_100 * k),
            ],
        )
        await add(
            first.replace(day=12),
            f"{m}月 会議用弁当",
            [L("6181", debit=3_240, tax_category="taxable_purchase_8r"), L("1110", credit=3_240)],
        )
        await add(
            first.replace(day=20),
            f"{m}月分 家賃",
            [
                L("6200", debit=330_000, tax_category="taxable_purchase_10"),
                L("1130", credit=330_000),
            ],
        )
        await add(
            first.replace(day=25),
            f"{m}月分 給与",
            [
                L("6120", debit=gross_pay),
                L("2181", credit=14_000 * scale),
                L("2182", credit=24_000 * scale),
                L("2183", credit=88_000 * scale),
                L("2184", credit=3_000 * scale),
                L("1130", credit=gross_pay - 129_000 * scale),
            ],
        )
        await add(
            periods.month_end(first),
            f"{m}月 売掛金入金",
            [L("1130", debit=sales), L("1220", credit=sales, counterparty_id=customer.id)],
        )
    await add(
        date(2026, 10, 31),
        "10月 交通費 (確認中)",
        [L("6160", debit=12_340, tax_category="taxable_purchase_10"), L("1110", credit=12_340)],
        post=False,
    )
    for p in list(await repo.periods_of(s, tenant_id, year.id))[:CLOSED]:
        await periods.close_period(s, p.id, closed_by=None)
