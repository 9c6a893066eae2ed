"""Journal entries: record_entry, balance, posting, reversal — through the service and as
raw SQL against the database's own guards."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.bookkeeping import journal
from daiko.bookkeeping.journal import JournalLineDraft as L
from daiko.errors import Conflict, InvalidInput
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import World


def payroll_lines() -> list[L]:
    return [
        L("6120", debit=300_000, description="給与"),
        L("2181", credit=7_000),
        L("2182", credit=12_000),
        L("2183", credit=44_000),
        L("2184", credit=1_500),
        L("1130", credit=235_500),
    ]


async def test_record_entry_seeds_chart_and_posts(runtime: Runtime, world: World) -> None:
    tid = world.tenant_a.id
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        entry_id = await journal.record_entry(
            s,
            tenant_id=tid,
            entry_date=date(2026, 4, 25),
            description="4月分給与",
            lines=payroll_lines(),
            source_kind="payroll",
            source_id=uuid.UUID(int=7),
            created_by=None,
        )
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        row = (
            await s.execute(
                text("select number, status, source_kind from journal_entries where id = :i"),
                {"i": entry_id},
            )
        ).one()
        assert tuple(row) == (1, "posted", "payroll")
        sums = (
            await s.execute(
                text(
                    "select count(*), sum(debit), sum(credit) from journal_lines"
                    " where entry_id = :i"
                ),
                {"i": entry_id},
            )
        ).one()
        assert tuple(sums) == (6, 300_000, 300_000)
        codes = (
            await s.execute(text("select count(*) from accounts where tenant_id = :t"), {"t": tid})
        ).scalar_one()
        assert codes == 84


async def test_unbalanced_lines_are_refused_by_the_service(runtime: Runtime, world: World) -> None:
    tid = world.tenant_a.id
    with pytest.raises(InvalidInput) as err:
        async with runtime.db.session(scope_of_tenant(tid)) as s:
            await journal.record_entry(
                s,
                tenant_id=tid,
                entry_date=date(2026, 4, 25),
                description="x",
                lines=[L("6120", debit=1000), L("1130", credit=999)],
                source_kind="manual",
                source_id=None,
                created_by=None,
            )
    assert err.value.errors == [
        {"field": "lines", "reason": "debits (1,000 yen) and credits (999 yen) must be equal"}
    ]


@pytest.mark.parametrize("engine_kind", ["owner", "app"])
async def test_database_refuses_an_unbalanced_entry_at_commit(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, engine_kind: str
) -> None:
    tid = world.tenant_a.id
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        from daiko.bookkeeping.accounts import ensure_chart

        await ensure_chart(s, tid)
    engine = owner_engine if engine_kind == "owner" else runtime.db.app_engine
    entry_id = uuid.uuid4()

    async def write_unbalanced() -> None:
        async with engine.begin() as conn:
            await conn.execute(
                text("select set_config('daiko.tenant_ids', :t, true)"), {"t": str(tid)}
            )
            await conn.execute(
                text(
                    "insert into journal_entries (tenant_id, id, number, entry_date)"
                    " values (:t, :e, 99, '2026-05-01')"
                ),
                {"t": tid, "e": entry_id},
            )
            for n, (code, dr, cr) in enumerate([("6120", 1000, 0), ("1130", 0, 999)], 1):
                await conn.execute(
                    text(
                        "insert into journal_lines (tenant_id, id, entry_id, line_no, account_id,"
                        " debit, credit) select :t, gen_random_uuid(), :e, :n, id, :d, :c"
                        " from accounts where tenant_id = :t and code = :code"
                    ),
                    {"t": tid, "e": entry_id, "n": n, "d": dr, "c": cr, "code": code},
                )

    with pytest.raises(DBAPIError, match="unbalanced: debits 1000, credits 999"):
        await write_unbalanced()
    async with owner_engine.connect() as conn:
        left = await conn.scalar(
            text("select count(*) from journal_entries where id = :e"), {"e": entry_id}
        )
    assert left == 0


async def test_posted_entry_is_immutable_and_reversed(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tid = world.tenant_a.id
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        entry_id = await journal.record_entry(
            s,
            tenant_id=tid,
            entry_date=date(2026, 4, 25),
            description="4月分給与",
            lines=payroll_lines(),
            source_kind="payroll",
            source_id=None,
            created_by=None,
        )
    for sql in (
        "update journal_entries set description = 'x' where id = :e",
        "delete from journal_entries where id = :e",
        "update journal_lines set debit = debit + 1 where entry_id = :e and debit > 0",
        "delete from journal_lines where entry_id = :e",
    ):
        with pytest.raises(DBAPIError, match="is posted"):
            async with owner_engine.begin() as conn:
                await conn.execute(text(sql), {"e": entry_id})
    with pytest.raises(Conflict):
        async with runtime.db.session(scope_of_tenant(tid)) as s:
            await journal.post_entry(s, entry_id, posted_by=None)
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        rev = await journal.reverse_entry(
            s, entry_id, entry_date=date(2026, 4, 30), created_by=world.lead.id
        )
        assert (rev.status, rev.reverses_id, rev.number) == ("posted", entry_id, 2)
    async with owner_engine.connect() as conn:
        net = (
            await conn.execute(
                text(
                    "select a.code, sum(l.debit) - sum(l.credit) from journal_lines l"
                    " join accounts a on a.id = l.account_id where l.tenant_id = :t"
                    " group by a.code order by a.code"
                ),
                {"t": tid},
            )
        ).all()
    assert all(v == 0 for _, v in net) and len(net) == 6
    with pytest.raises(Conflict):
        async with runtime.db.session(scope_of_tenant(tid)) as s:
            await journal.reverse_entry(s, entry_id, entry_date=None, created_by=None)


async def test_posted_entry_cannot_move_to_another_tenant(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    """The guards leave a tenant change to RLS; even the owner (no RLS) hits the foreign keys."""
    tid = world.tenant_a.id
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        entry_id = await journal.record_entry(
            s,
            tenant_id=tid,
            entry_date=date(2026, 4, 25),
            description="4月分給与",
            lines=payroll_lines(),
            source_kind="payroll",
            source_id=None,
            created_by=None,
        )
    for sql in (
        "update journal_entries set tenant_id = :b where id = :e",
        "update journal_lines set tenant_id = :b where entry_id = :e",
    ):

        async def move(statement: str = sql) -> None:
            async with owner_engine.begin() as conn:
                await conn.execute(text(statement), {"e": entry_id, "b": world.tenant_b.id})

        with pytest.raises(DBAPIError, match="foreign key"):
            await move()
