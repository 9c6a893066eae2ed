"""record_entries: many entries at once, the same rows record_entry writes, checked by the
same database guards; and the import job booking every rule-matched line with it."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.bookkeeping import journal, periods
from daiko.bookkeeping import repository as repo
from daiko.bookkeeping.accounts import create_counterparty, create_department, ensure_chart
from daiko.bookkeeping.imports import service
from daiko.bookkeeping.imports.layouts import LAYOUTS
from daiko.bookkeeping.imports.models import ImportBatch
from daiko.bookkeeping.imports.repository import get_batch
from daiko.bookkeeping.imports.rules import Rule, RuleSet
from daiko.bookkeeping.journal import EntryDraft
from daiko.bookkeeping.journal import JournalLineDraft as L
from daiko.documents.models import Document
from daiko.errors import Conflict, InvalidInput
from daiko.ids import new_id
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import World

LINE_COLUMNS = (
    "l.line_no, a.code, l.debit, l.credit, l.tax_category, l.tax_rate, l.tax_amount,"
    " l.tax_included, l.tax_parent_line_no, l.description, l.department_id, l.counterparty_id"
)


async def _entry_rows(runtime: Runtime, tid: uuid.UUID, ids: list[uuid.UUID]) -> list[tuple]:  # type: ignore[type-arg]
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        out = []
        for entry_id in ids:
            head = (
                await s.execute(
                    text(
                        "select entry_date, description, status, version, source_kind,"
                        " source_id, posted_at is not null from journal_entries where id = :i"
                    ),
                    {"i": entry_id},
                )
            ).one()
            lines = (
                await s.execute(
                    text(
                        f"select {LINE_COLUMNS} from journal_lines l join accounts a"
                        " on a.tenant_id = l.tenant_id and a.id = l.account_id"
                        " where l.entry_id = :i order by l.line_no"
                    ),
                    {"i": entry_id},
                )
            ).all()
            out.append((tuple(head), [tuple(x) for x in lines]))
        return out


async def _masters(runtime: Runtime, tid: uuid.UUID) -> uuid.UUID:
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        await ensure_chart(s, tid)
        await periods.create_fiscal_year(s, tid, date(2026, 4, 1))
        await create_department(s, tid, code="HQ", name="本社")
        supplier = await create_counterparty(
            s, tid, name="文具の山田商店", registration_number="T7000012050002"
        )
        return supplier.id


def _drafts(supplier: uuid.UUID) -> list[EntryDraft]:
    return [
        EntryDraft(
            date(2026, 4, 10),
            "4月売上",
            [L("1220", debit=110_000), L("4110", credit=110_000, tax_category="taxable_sales_10")],
            source_id=uuid.UUID(int=1),
        ),
        EntryDraft(
            date(2026, 4, 15),
            "事務用品",
            [
                L(
                    "6173",
                    debit=5_555,
                    tax_category="taxable_purchase_10",
                    department_code="HQ",
                    counterparty_id=supplier,
                    description="ボールペン",
                ),
                L("1130", credit=5_555),
            ],
            source_id=uuid.UUID(int=2),
        ),
        EntryDraft(
            date(2026, 5, 1),
            "会議用弁当",
            [L("6181", debit=1_080, tax_category="taxable_purchase_8r"), L("1130", credit=1_080)],
        ),
    ]


async def test_record_entries_writes_what_record_entry_writes(
    runtime: Runtime, world: World
) -> None:
    tid = world.tenant_a.id
    supplier = await _masters(runtime, tid)
    drafts = _drafts(supplier)
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        one_by_one = [
            await journal.record_entry(
                s,
                tenant_id=tid,
                entry_date=d.entry_date,
                description=d.description,
                lines=d.lines,
                source_kind="bank_statement",
                source_id=d.source_id,
                created_by=None,
            )
            for d in drafts
        ]
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        batched = await journal.record_entries(
            s, tenant_id=tid, entries=drafts, source_kind="bank_statement", created_by=None
        )
    assert None not in batched
    single = await _entry_rows(runtime, tid, one_by_one)
    many = await _entry_rows(runtime, tid, [i for i in batched if i is not None])
    assert many == single
    # The exact figures (税抜経理, 内税 amounts, floor rounding): the tax on its own line.
    assert single[1][1] == [
        (1, "6173", 5_050, 0, "taxable_purchase_10", 10, 505, False, None, "ボールペン",
         single[1][1][0][10], supplier),
        (2, "1450", 505, 0, "out_of_scope", 0, 0, False, 1, "ボールペン",
         single[1][1][0][10], supplier),
        (3, "1130", 0, 5_555, "out_of_scope", 0, 0, False, None, "", None, None),
    ]  # fmt: skip
    assert single[0][0][2:5] == ("posted", 2, "bank_statement")
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        numbers = (
            await s.execute(text("select number from journal_entries order by number"))
        ).scalars()
        assert list(numbers) == [1, 2, 3, 4, 5, 6]
        settings = await repo.settings_of(s, tid)
        assert settings is not None and settings.next_entry_number == 7


async def test_record_entries_links_evidence(runtime: Runtime, world: World) -> None:
    tid = world.tenant_a.id
    supplier = await _masters(runtime, tid)
    doc_id = new_id()
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        await s.execute(
            insert(Document).values(
                tenant_id=tid,
                id=doc_id,
                title="領収書",
                classification="receipt",
                transaction_date=date(2026, 4, 15),
                amount=5555,
                counterparty="文具の山田商店",
                retention_class="bookkeeping_evidence",
                retention_base_date=date(2026, 4, 15),
            )
        )
    first, second, _ = _drafts(supplier)
    second = EntryDraft(second.entry_date, second.description, second.lines, document_id=doc_id)
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        ids = await journal.record_entries(
            s, tenant_id=tid, entries=[first, second], source_kind="receipt", created_by=None
        )
        with pytest.raises(InvalidInput) as refused:
            await journal.record_entries(
                s,
                tenant_id=tid,
                entries=[EntryDraft(first.entry_date, "x", first.lines, document_id=new_id())],
                source_kind="receipt",
                created_by=None,
            )
        assert refused.value.errors == [
            {"field": "entries[0].document_id", "reason": "no such document"}
        ]
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        links = (
            await s.execute(text("select entry_id, document_id from journal_entry_documents"))
        ).all()
    assert [tuple(x) for x in links] == [(ids[1], doc_id)]


async def test_record_entries_refuses_naming_the_entry_and_writes_nothing(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tid = world.tenant_a.id
    supplier = await _masters(runtime, tid)
    bad = EntryDraft(date(2026, 4, 20), "誤り", [L("9999", debit=100), L("1130", credit=100)])
    unbalanced = EntryDraft(date(2026, 4, 21), "差額", [L("6173", debit=100), L("1130", credit=99)])
    with pytest.raises(InvalidInput) as refused:
        async with runtime.db.session(scope_of_tenant(tid)) as s:
            await journal.record_entries(
                s, tenant_id=tid, entries=[*_drafts(supplier), bad], source_kind="x",
                created_by=None,
            )  # fmt: skip
    assert refused.value.errors == [
        {"field": "entries[3].lines[0].account_code", "reason": "no account '9999'"}
    ]
    with pytest.raises(InvalidInput, match=r"entries\[0\]: lines: debits \(100 yen\)"):
        async with runtime.db.session(scope_of_tenant(tid)) as s:
            await journal.record_entries(
                s, tenant_id=tid, entries=[unbalanced], source_kind="x", created_by=None
            )
    async with owner_engine.connect() as conn:
        assert (await conn.execute(text("select count(*) from journal_entries"))).scalar() == 0


async def test_skip_refused_leaves_out_a_closed_month_only(runtime: Runtime, world: World) -> None:
    tid = world.tenant_a.id
    supplier = await _masters(runtime, tid)
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        april = (
            await s.execute(
                text("select id from accounting_periods where start_date = '2026-04-01'")
            )
        ).scalar_one()
        await periods.close_period(s, april, closed_by=None)
    drafts = _drafts(supplier)
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        with pytest.raises(Conflict, match=r"entries\[0\]: the period 2026-04 is closed"):
            await journal.record_entries(
                s, tenant_id=tid, entries=drafts, source_kind="x", created_by=None
            )
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        ids = await journal.record_entries(
            s, tenant_id=tid, entries=drafts, source_kind="x", created_by=None, skip_refused=True
        )
    assert ids[:2] == [None, None] and ids[2] is not None
    rows = await _entry_rows(runtime, tid, [ids[2]])
    assert rows[0][0][:3] == (date(2026, 5, 1), "会議用弁当", "posted")


async def test_an_unbalanced_batch_is_refused_by_the_database_leaving_nothing(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    """Past the Python checks (straight to the bulk writer), the database's balance
    trigger refuses the batch before the call returns, and nothing stays."""
    tid = world.tenant_a.id
    await _masters(runtime, tid)
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        accounts = await repo.accounts_by_code(s, tid, ["6173", "1130"])
    good, bad = new_id(), new_id()
    rest = ("out_of_scope", 0, 0, False, None, "", None, None)
    entries = [
        (good, 1, date(2026, 4, 1), "ok", None, None, None),
        (bad, 2, date(2026, 4, 2), "差額", None, None, None),
    ]
    lines = [
        (new_id(), good, 1, accounts["6173"].id, 100, 0, *rest),
        (new_id(), good, 2, accounts["1130"].id, 0, 100, *rest),
        (new_id(), bad, 1, accounts["6173"].id, 100, 0, *rest),
        (new_id(), bad, 2, accounts["1130"].id, 0, 99, *rest),
    ]

    async def write() -> None:
        async with runtime.db.session(scope_of_tenant(tid)) as s:
            await repo.insert_entries(
                s, tid, entries=entries, lines=lines, source_kind="x", user_id=None, post=True
            )

    with pytest.raises(DBAPIError) as refused:
        await write()
    assert journal.sqlstate_of(refused.value) == journal.UNBALANCED_SQLSTATE
    async with owner_engine.connect() as conn:
        assert (await conn.execute(text("select count(*) from journal_entries"))).scalar() == 0
        assert (await conn.execute(text("select count(*) from journal_lines"))).scalar() == 0


async def test_record_entries_cannot_write_another_tenants_ledger(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    a, b = world.tenant_a.id, world.tenant_b.id
    supplier = await _masters(runtime, a)
    await _masters(runtime, b)
    with pytest.raises(DBAPIError, match="row-level security"):
        async with runtime.db.session(scope_of_tenant(a)) as s:
            await journal.record_entries(
                s, tenant_id=b, entries=_drafts(supplier)[:1], source_kind="x", created_by=None
            )
    async with owner_engine.connect() as conn:
        assert (await conn.execute(text("select count(*) from journal_entries"))).scalar() == 0


MUFG_HEADER = (
    '"日付","摘要","摘要内容","支払い金額","預かり金額","差引残高","メモ","未資金化区分","入払区分"'
)


async def test_the_import_books_every_matched_line_in_chunks(
    runtime: Runtime, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "BOOK_CHUNK", 2)
    tid = world.tenant_a.id
    rows = "".join(
        f'"2026/4/{1 + i}","振込","ﾔﾏﾄｳﾝﾕ","{(i + 1) * 1100:,}","","1","","",""\r\n'
        for i in range(5)
    )
    data = MUFG_HEADER + "\r\n" + rows + '"2026/4/9","振込","ﾀﾅｶ","500","","1","","",""\r\n'
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        await ensure_chart(s, tid)
        batch = ImportBatch(
            tenant_id=tid, kind="bank", layout="mufg", filename="b.csv", account_code="1130",
            status="queued",
        )  # fmt: skip
        s.add(batch)
        await s.flush()
        rule = Rule(new_id(), "counterparty", "contains", "ﾔﾏﾄ", "out", "6175",
                    "taxable_purchase_10", 0)  # fmt: skip
        outcome = await service.stage_and_move(
            s, tenant_id=tid, batch_id=batch.id, data=data.encode("cp932"),
            mapping=LAYOUTS["mufg"].mapping, rules=RuleSet([rule]), skip_invalid=False,
        )  # fmt: skip
        assert (outcome.imported, outcome.matched) == (6, 5)
        seen: list[tuple[int, int]] = []

        async def progress(done: int, total: int) -> None:
            seen.append((done, total))

        loaded = await get_batch(s, batch.id, errors=False)
        assert loaded is not None
        assert await service.post_matched(s, loaded, created_by=None, progress=progress) == 5
    assert seen == [(2, 5), (4, 5), (5, 5)]
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        lines = (
            await s.execute(
                text(
                    "select l.line_no, l.status, e.number, e.source_id = l.id, sum(j.debit)"
                    " from bookkeeping_statement_lines l"
                    " left join journal_entries e on e.id = l.journal_entry_id"
                    " left join journal_lines j on j.entry_id = e.id"
                    " group by l.line_no, l.status, e.number, e.source_id, l.id"
                    " order by l.line_no"
                )
            )
        ).all()
    assert [tuple(x) for x in lines] == [
        (2, "posted", 1, True, 1100),
        (3, "posted", 2, True, 2200),
        (4, "posted", 3, True, 3300),
        (5, "posted", 4, True, 4400),
        (6, "posted", 5, True, 5500),
        (7, "unmatched", None, None, None),
    ]
