"""Reports from a seeded April and May 2026: exact figures."""

from __future__ import annotations

from datetime import date

from daiko.bookkeeping import reports
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.bookkeeping.conftest import Ledger


async def test_trial_balance_for_may(runtime: Runtime, ledger: Ledger) -> None:
    async with runtime.db.session(scope_of_tenant(ledger.tenant_id)) as s:
        tb = await reports.trial_balance(s, ledger.tenant_id, "2026-05")
    assert tb.fiscal_start == date(2026, 4, 1)
    assert [(r.code, r.opening, r.debit, r.credit, r.closing) for r in tb.rows] == [
        ("1130", 757_920, 110_000, 220_000, 647_920),
        ("1220", 110_000, 0, 110_000, 0),
        ("1450", 580, 20_000, 0, 20_580),
        ("2181", 7_000, 0, 0, 7_000),
        ("2182", 12_000, 0, 0, 12_000),
        ("2183", 44_000, 0, 0, 44_000),
        ("2184", 1_500, 0, 0, 1_500),
        ("2190", 10_000, 0, 0, 10_000),
        ("3110", 1_000_000, 0, 0, 1_000_000),
        ("4110", 100_000, 0, 0, 100_000),
        ("6120", 300_000, 0, 0, 300_000),
        ("6173", 5_000, 0, 0, 5_000),
        ("6181", 1_000, 0, 0, 1_000),
        ("6200", 0, 200_000, 0, 200_000),
    ]
    assert (tb.total_debit, tb.total_credit) == (330_000, 330_000)
    assert tb.rows[3].name == "預り金-源泉所得税"


async def test_trial_balance_for_april_starts_from_nothing(
    runtime: Runtime, ledger: Ledger
) -> None:
    async with runtime.db.session(scope_of_tenant(ledger.tenant_id)) as s:
        tb = await reports.trial_balance(s, ledger.tenant_id, "2026-04")
    assert all(r.opening == 0 for r in tb.rows)
    assert (tb.total_debit, tb.total_credit) == (1_416_580, 1_416_580)


async def test_profit_and_loss_and_balance_sheet(runtime: Runtime, ledger: Ledger) -> None:
    tid = ledger.tenant_id
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        pl = await reports.profit_and_loss(s, tid, date(2026, 4, 1), date(2026, 5, 31))
        bs = await reports.balance_sheet(s, tid, date(2026, 5, 31))
    totals = {sec.section: sec.total for sec in pl.sections}
    assert totals["sales"] == 100_000 and totals["sga"] == 506_000
    assert (pl.gross_profit, pl.operating_income, pl.net_income) == (100_000, -406_000, -406_000)
    assert (bs.total_assets, bs.total_liabilities, bs.total_equity) == (668_500, 74_500, 1_000_000)
    assert (bs.current_income, bs.retained_unclosed) == (-406_000, 0)
    assert bs.total_liabilities_and_equity == bs.total_assets


async def test_tax_summary_by_category(runtime: Runtime, ledger: Ledger) -> None:
    tid = ledger.tenant_id
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        rows = await reports.tax_summary(s, tid, date(2026, 4, 1), date(2026, 5, 31))
    assert [(r.category, r.rate, r.net, r.tax, r.deductible_tax, r.lines) for r in rows] == [
        ("taxable_sales_10", 10, 100_000, 10_000, 0, 1),
        ("taxable_purchase_10", 10, 205_000, 20_500, 20_500, 2),
        ("taxable_purchase_8r", 8, 1_000, 80, 80, 1),
    ]


async def test_general_ledger_running_balance(runtime: Runtime, ledger: Ledger) -> None:
    tid = ledger.tenant_id
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        gl = await reports.general_ledger(s, tid, "1130", date(2026, 5, 1), date(2026, 5, 31))
    assert gl.opening == 757_920
    assert [(r.counter_account, r.debit, r.credit, r.balance) for r in gl.rows] == [
        ("売掛金", 110_000, 0, 867_920),
        ("地代家賃", 0, 220_000, 647_920),
    ]
    assert gl.closing == 647_920
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        april = await reports.general_ledger(s, tid, "1130", date(2026, 4, 1), date(2026, 4, 30))
    assert [r.counter_account for r in april.rows] == ["資本金", "消耗品費", "給料手当", "会議費"]


async def test_monthly_figures(runtime: Runtime, ledger: Ledger) -> None:
    tid = ledger.tenant_id
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        months = await reports.monthly_figures(s, tid, "2026-05", 3)
    assert [(m.month, m.revenue, m.expenses, m.cash) for m in months] == [
        ("2026-03", 0, 0, 0),
        ("2026-04", 100_000, 306_000, 757_920),
        ("2026-05", 0, 200_000, 647_920),
    ]
