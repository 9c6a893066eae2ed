"""The demo ledger loads once, balances, and leaves itself alone the second time."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.bookkeeping import demo, reports
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import World


async def test_demo_is_idempotent_and_balanced(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    await demo.load(runtime.db)
    count = "select tenant_id, count(*), count(*) filter (where status = 'draft') from journal_entries group by tenant_id order by 1"
    async with owner_engine.connect() as conn:
        first = (await conn.execute(text(count))).all()
    await demo.load(runtime.db)
    async with owner_engine.connect() as conn:
        again = (await conn.execute(text(count))).all()
        closed = await conn.scalar(
            text(
                "select count(*) from accounting_periods where status = 'closed' and tenant_id = :t"
            ),
            {"t": world.tenant_a.id},
        )
    assert first == again
    assert [(n, d) for _, n, d in first] == [(44, 1), (44, 1)]
    assert closed == 6
    async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as s:
        tb = await reports.trial_balance(s, world.tenant_a.id, "2026-10")
    assert tb.total_debit == tb.total_credit > 0
