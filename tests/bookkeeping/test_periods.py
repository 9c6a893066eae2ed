"""Closing a month: refused with drafts or an earlier open month; afterwards nothing dated
in it is written — by the service and by raw SQL alike."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.bookkeeping import journal, periods
from daiko.bookkeeping import repository as repo
from daiko.bookkeeping.journal import JournalLineDraft as L
from daiko.errors import Conflict
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import World

LINES = [L("6173", debit=1100, tax_category="taxable_purchase_10"), L("1110", credit=1100)]


async def _setup(runtime: Runtime, tid: uuid.UUID) -> tuple[list[uuid.UUID], uuid.UUID, uuid.UUID]:
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        year = await periods.create_fiscal_year(s, tid, date(2026, 4, 1))
        ids = [p.id for p in await repo.periods_of(s, tid, year.id)]
        posted = await journal.create_entry(
            s, tenant_id=tid, entry_date=date(2026, 4, 5), description="4月", lines=LINES,
            post=True,
        )  # fmt: skip
        draft = await journal.create_entry(
            s, tenant_id=tid, entry_date=date(2026, 4, 6), description="4月下書き", lines=LINES
        )
    return ids, posted.id, draft.id


async def test_close_refuses_drafts_and_out_of_order(runtime: Runtime, world: World) -> None:
    tid = world.tenant_a.id
    ids, _, draft_id = await _setup(runtime, tid)
    assert len(ids) == 12
    with pytest.raises(Conflict) as err:
        async with runtime.db.session(scope_of_tenant(tid)) as s:
            await periods.close_period(s, ids[1], closed_by=None)
    assert err.value.extra["code"] == "earlier_open"
    with pytest.raises(Conflict) as err:
        async with runtime.db.session(scope_of_tenant(tid)) as s:
            await periods.close_period(s, ids[0], closed_by=None)
    assert err.value.extra == {"code": "drafts_remain", "drafts": 1}
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        await journal.delete_draft(s, draft_id)
        p = await periods.close_period(s, ids[0], closed_by=world.lead.id)
        assert (p.status, p.start_date, p.end_date) == (
            "closed",
            date(2026, 4, 1),
            date(2026, 4, 30),
        )


async def test_closed_period_refuses_service_writes(runtime: Runtime, world: World) -> None:
    tid = world.tenant_a.id
    ids, posted_id, draft_id = await _setup(runtime, tid)
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        await journal.delete_draft(s, draft_id)
        await periods.close_period(s, ids[0], closed_by=None)
    with pytest.raises(Conflict, match="2026-04 is closed"):
        async with runtime.db.session(scope_of_tenant(tid)) as s:
            await journal.record_entry(
                s, tenant_id=tid, entry_date=date(2026, 4, 30), description="late", lines=LINES,
                source_kind="manual", source_id=None, created_by=None,
            )  # fmt: skip
    # reversing into the closed month is refused; into May it is fine
    with pytest.raises(Conflict, match="closed"):
        async with runtime.db.session(scope_of_tenant(tid)) as s:
            await journal.reverse_entry(s, posted_id, entry_date=None, created_by=None)
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        rev = await journal.reverse_entry(
            s, posted_id, entry_date=date(2026, 5, 1), created_by=None
        )
        assert rev.entry_date == date(2026, 5, 1)


@pytest.mark.parametrize(
    "sql",
    [
        "insert into journal_entries (tenant_id, id, number, entry_date)"
        " values (:t, gen_random_uuid(), 500, '2026-04-15')",
        "update journal_entries set entry_date = '2026-04-20' where id = :d",
        "delete from journal_entries where id = :d",
        "update journal_lines set description = 'x' where entry_id = :d",
    ],
)
async def test_closed_period_refuses_raw_sql(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, sql: str
) -> None:
    """A draft dated April stays behind a closed April only through the owner; every
    change that touches April is refused by the trigger."""
    tid = world.tenant_a.id
    ids, _, draft_id = await _setup(runtime, tid)
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("update accounting_periods set status = 'closed' where id = :p"), {"p": ids[0]}
        )

    async def run() -> None:
        async with owner_engine.begin() as conn:
            await conn.execute(text(sql), {"t": tid, "d": draft_id})

    with pytest.raises(DBAPIError, match="is closed"):
        await run()


async def test_a_close_racing_the_checks_is_a_conflict_not_a_500(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another request closes April after our checks ran: the trigger refuses, and the
    service answers the same Conflict its own check would."""
    tid = world.tenant_a.id
    ids, _, draft_id = await _setup(runtime, tid)
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("update accounting_periods set status = 'closed' where id = :p"), {"p": ids[0]}
        )

    async def no_check(*_: object) -> None:
        return None

    monkeypatch.setattr(journal, "_check_open", no_check)
    with pytest.raises(Conflict) as err:
        async with runtime.db.session(scope_of_tenant(tid)) as s:
            await journal.post_entry(s, draft_id, posted_by=None)
    assert err.value.extra == {"code": "period_closed"}
