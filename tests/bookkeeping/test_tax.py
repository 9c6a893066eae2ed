"""Consumption tax per line: inclusive/exclusive, 10 % / 8 %, floor/round/ceil — and how
the journal books it under 税抜経理 and 税込経理."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from daiko.bookkeeping import journal, tax
from daiko.bookkeeping.accounts import ensure_chart, update_settings
from daiko.bookkeeping.journal import JournalLineDraft as L
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import World


@pytest.mark.parametrize(
    ("amount", "rate", "basis", "rounding", "expected"),
    [
        (1100, 10, "inclusive", "floor", (1000, 100, 1100)),
        (1000, 10, "inclusive", "floor", (910, 90, 1000)),  # 90.909…
        (1000, 10, "inclusive", "round", (909, 91, 1000)),
        (1000, 10, "inclusive", "ceil", (909, 91, 1000)),
        (1000, 8, "inclusive", "floor", (926, 74, 1000)),  # 74.074…
        (1000, 8, "inclusive", "round", (926, 74, 1000)),
        (1000, 8, "inclusive", "ceil", (925, 75, 1000)),
        (1005, 10, "exclusive", "floor", (1005, 100, 1105)),  # 100.5
        (1005, 10, "exclusive", "round", (1005, 101, 1106)),  # half up
        (1005, 10, "exclusive", "ceil", (1005, 101, 1106)),
        (1234, 8, "exclusive", "floor", (1234, 98, 1332)),  # 98.72
        (1234, 8, "exclusive", "round", (1234, 99, 1333)),
        (1234, 8, "exclusive", "ceil", (1234, 99, 1333)),
        (5000, 0, "inclusive", "round", (5000, 0, 5000)),
    ],
)
def test_split(
    amount: int, rate: int, basis: tax.Basis, rounding: tax.Rounding, expected: tuple[int, ...]
) -> None:
    s = tax.split(amount, rate, basis, rounding)
    assert (s.net, s.tax, s.gross) == expected


def test_transitional_deduction() -> None:
    assert tax.deductible_tax(1000, 80) == 800
    assert tax.deductible_tax(99, 70) == 69  # 69.3, floored
    assert tax.category("taxable_purchase_10_80").deductible_percent == 80


async def _lines(runtime: Runtime, tid: object, entry_id: object) -> list[tuple[object, ...]]:
    async with runtime.db.session(scope_of_tenant(tid)) as s:  # type: ignore[arg-type]
        rows = await s.execute(
            text(
                "select a.code, l.debit, l.credit, l.tax_category, l.tax_rate, l.tax_amount,"
                " l.tax_included, l.tax_parent_line_no from journal_lines l"
                " join accounts a on a.id = l.account_id where l.entry_id = :e order by l.line_no"
            ),
            {"e": entry_id},
        )
        return [tuple(r) for r in rows]


async def test_exclusive_accounting_books_tax_on_its_own_line(
    runtime: Runtime, world: World
) -> None:
    tid = world.tenant_a.id
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        entry_id = await journal.record_entry(
            s,
            tenant_id=tid,
            entry_date=date(2026, 6, 1),
            description="仕入と売上",
            lines=[
                L("6173", debit=1000, tax_category="taxable_purchase_10"),  # 90.9 → 90
                L("1130", credit=1000),
                L("1220", debit=1080),
                L("4110", credit=1080, tax_category="taxable_sales_8r"),  # 80
            ],
            source_kind="manual",
            source_id=None,
            created_by=None,
        )
    assert await _lines(runtime, tid, entry_id) == [
        ("6173", 910, 0, "taxable_purchase_10", 10, 90, False, None),
        ("1450", 90, 0, "out_of_scope", 0, 0, False, 1),
        ("1130", 0, 1000, "out_of_scope", 0, 0, False, None),
        ("1220", 1080, 0, "out_of_scope", 0, 0, False, None),
        ("4110", 0, 1000, "taxable_sales_8r", 8, 80, False, None),
        ("2190", 0, 80, "out_of_scope", 0, 0, False, 5),
    ]


async def test_inclusive_accounting_keeps_tax_inside_with_round_and_exclusive_amounts(
    runtime: Runtime, world: World
) -> None:
    tid = world.tenant_a.id
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        await ensure_chart(s, tid)
        await update_settings(
            s,
            tid,
            {"tax_accounting": "inclusive", "amount_basis": "exclusive", "tax_rounding": "round"},
        )
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        entry = await journal.create_entry(
            s,
            tenant_id=tid,
            entry_date=date(2026, 6, 1),
            description="外税入力",
            lines=[
                L("6173", debit=1005, tax_category="taxable_purchase_10"),  # 100.5 → 101
                L("1130", credit=1106),
            ],
            post=True,
        )
    assert await _lines(runtime, tid, entry.id) == [
        ("6173", 1106, 0, "taxable_purchase_10", 10, 101, True, None),
        ("1130", 0, 1106, "out_of_scope", 0, 0, False, None),
    ]


async def test_invoice_tax_amount_overrides_the_computed_one(
    runtime: Runtime, world: World
) -> None:
    tid = world.tenant_a.id
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        entry_id = await journal.record_entry(
            s,
            tenant_id=tid,
            entry_date=date(2026, 6, 2),
            description="請求書の税額",
            lines=[
                L("6173", debit=3300, tax_category="taxable_purchase_10", tax_amount=299),
                L("2120", credit=3300),
            ],
            source_kind="manual",
            source_id=None,
            created_by=None,
        )
    rows = await _lines(runtime, tid, entry_id)
    assert rows[0][:6] == ("6173", 3001, 0, "taxable_purchase_10", 10, 299)
    assert rows[1][:3] == ("1450", 299, 0)


async def test_record_entry_reads_amounts_as_tax_inclusive_whatever_the_input_setting(
    runtime: Runtime, world: World
) -> None:
    """A bank line of 1,100 is what moved: with 外税 input set for people, record_entry
    still splits 1,000 + 100 (and balances)."""
    tid = world.tenant_a.id
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        await ensure_chart(s, tid)
        await update_settings(s, tid, {"amount_basis": "exclusive"})
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        entry_id = await journal.record_entry(
            s,
            tenant_id=tid,
            entry_date=date(2026, 6, 3),
            description="振込",
            lines=[
                L("6173", debit=1100, tax_category="taxable_purchase_10"),
                L("1130", credit=1100),
            ],
            source_kind="bank_statement",
            source_id=None,
            created_by=None,
        )
    assert [r[:3] for r in await _lines(runtime, tid, entry_id)] == [
        ("6173", 1000, 0),
        ("1450", 100, 0),
        ("1130", 0, 1100),
    ]
