"""At scale: 5,000 two-line entries written in one transaction pass the deferred balance
check at commit, one unbalanced among them fails the whole commit, and the month's trial
balance stays exact. Prints the timings (run: uv run pytest -q -s -m slow
tests/bookkeeping/test_scale.py)."""

from __future__ import annotations

import time
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.bookkeeping import reports
from daiko.bookkeeping.accounts import ensure_chart
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import World

N = 5_000

BULK = """
with e as (
    insert into journal_entries (tenant_id, id, number, entry_date, description, status, posted_at)
    select :t, gen_random_uuid(), 1000 + g, date '2026-04-01' + (g % 30), 'bulk', 'draft', null
    from generate_series(1, :n) g
    returning id, number
)
insert into journal_lines (tenant_id, id, entry_id, line_no, account_id, debit, credit)
select :t, gen_random_uuid(), e.id, side, a.id,
       case when side = 1 then e.number else 0 end,
       case when side = 2 then e.number + case when e.number = :bad then 1 else 0 end else 0 end
from e cross join (values (1), (2)) s(side)
join accounts a on a.tenant_id = :t and a.code = case when side = 1 then '6259' else '1130' end
"""


@pytest.mark.slow
async def test_five_thousand_entries_in_one_commit(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tid = world.tenant_a.id
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        await ensure_chart(s, tid)

    async def bulk(bad: int) -> float:
        started = time.perf_counter()
        async with runtime.db.app_engine.begin() as conn:
            await conn.execute(
                text("select set_config('daiko.tenant_ids', :t, true)"), {"t": str(tid)}
            )
            await conn.execute(text(BULK), {"t": tid, "n": N, "bad": bad})
        return time.perf_counter() - started

    with pytest.raises(DBAPIError, match="unbalanced"):
        await bulk(bad=1000 + N // 2)
    async with owner_engine.connect() as conn:
        assert await conn.scalar(text("select count(*) from journal_entries")) == 0
    seconds = await bulk(bad=-1)
    async with owner_engine.begin() as conn:
        await conn.execute(text("update journal_entries set status = 'posted', posted_at = now()"))
    started = time.perf_counter()
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        tb = await reports.trial_balance(s, tid, "2026-04")
    tb_seconds = time.perf_counter() - started
    expected = sum(1000 + g for g in range(1, N + 1))
    assert (tb.total_debit, tb.total_credit) == (expected, expected)
    assert [(r.code, r.closing) for r in tb.rows] == [("1130", -expected), ("6259", expected)]
    assert tb.start == date(2026, 4, 1)
    print(  # noqa: T201 - the figure this test reports
        f"\n{N} entries ({2 * N} lines) with the deferred balance check: {seconds:.2f} s;"
        f" trial balance of the month: {tb_seconds * 1000:.0f} ms"
    )
