"""Ledger reports from posted entries: monthly trial balance (残高試算表), general ledger
(総勘定元帳), P&L (損益計算書) and balance-sheet (貸借対照表) summaries, the consumption-tax
summary by category, and the monthly figures behind the portal's charts.

Balances are signed by the account's normal side: debit-normal (assets, expenses) show
debits − credits, the rest credits − debits. Balance-sheet accounts carry over from the
beginning; P&L accounts start again at each fiscal year's first day.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.bookkeeping import repository as repo
from daiko.bookkeeping import tax
from daiko.bookkeeping.accounts import DEBIT_NORMAL, display_name, ensure_settings
from daiko.bookkeeping.models import Account, JournalEntry, JournalLine
from daiko.bookkeeping.periods import add_months, fiscal_year_start, month_end
from daiko.errors import InvalidInput

BS_CATEGORIES = frozenset({"asset", "liability", "equity"})


def parse_month(month: str) -> date:
    """First day of a `YYYY-MM` month; InvalidInput otherwise."""
    try:
        year, mon = month.split("-")
        if len(year) != 4 or len(mon) != 2:
            raise ValueError(month)
        return date(int(year), int(mon), 1)
    except ValueError:
        raise InvalidInput.field("month", "must be YYYY-MM") from None


async def fiscal_start_for(session: AsyncSession, tenant_id: uuid.UUID, day: date) -> date:
    year = await repo.fiscal_year_containing(session, tenant_id, day)
    if year is not None:
        return year.start_date
    settings = await ensure_settings(session, tenant_id)
    return fiscal_year_start(day, settings.fiscal_year_start_month)


def _signed(account: Account, debit: int, credit: int) -> int:
    return debit - credit if account.category in DEBIT_NORMAL else credit - debit


async def _sums(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    start: date | None,
    end: date,
) -> dict[uuid.UUID, tuple[int, int]]:
    """Σdebit, Σcredit per account over posted entries dated in [start, end]."""
    conds = [
        JournalEntry.tenant_id == tenant_id,
        JournalEntry.status == "posted",
        JournalEntry.entry_date <= end,
    ]
    if start is not None:
        conds.append(JournalEntry.entry_date >= start)
    stmt = (
        select(
            JournalLine.account_id,
            func.coalesce(func.sum(JournalLine.debit), 0),
            func.coalesce(func.sum(JournalLine.credit), 0),
        )
        .join(
            JournalEntry,
            and_(
                JournalEntry.tenant_id == JournalLine.tenant_id,
                JournalEntry.id == JournalLine.entry_id,
            ),
        )
        .where(*conds)
        .group_by(JournalLine.account_id)
    )
    return {row[0]: (int(row[1]), int(row[2])) for row in await session.execute(stmt)}


@dataclass(frozen=True)
class TrialBalanceRow:
    code: str
    name: str
    category: str
    section: str
    opening: int
    debit: int
    credit: int
    closing: int


@dataclass(frozen=True)
class TrialBalance:
    month: str
    start: date
    end: date
    fiscal_start: date
    rows: list[TrialBalanceRow]
    total_debit: int
    total_credit: int


async def trial_balance(session: AsyncSession, tenant_id: uuid.UUID, month: str) -> TrialBalance:
    """残高試算表 for one month: opening balance, the month's debits and credits, closing."""
    start = parse_month(month)
    end = month_end(start)
    fy_start = await fiscal_start_for(session, tenant_id, start)
    accounts = await repo.list_accounts(session, tenant_id)
    before_all = await _sums(session, tenant_id, None, start - timedelta(days=1))
    before_fy = await _sums(session, tenant_id, fy_start, start - timedelta(days=1))
    during = await _sums(session, tenant_id, start, end)
    rows: list[TrialBalanceRow] = []
    for a in accounts:
        prior = before_all if a.category in BS_CATEGORIES else before_fy
        od, oc = prior.get(a.id, (0, 0))
        md, mc = during.get(a.id, (0, 0))
        opening = _signed(a, od, oc)
        if opening == 0 and md == 0 and mc == 0:
            continue
        rows.append(
            TrialBalanceRow(
                code=a.code,
                name=display_name(a.name, a.sub_name),
                category=a.category,
                section=a.section,
                opening=opening,
                debit=md,
                credit=mc,
                closing=opening + _signed(a, md, mc),
            )
        )
    return TrialBalance(
        month=month,
        start=start,
        end=end,
        fiscal_start=fy_start,
        rows=rows,
        total_debit=sum(r.debit for r in rows),
        total_credit=sum(r.credit for r in rows),
    )


# --- general ledger -----------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    entry_id: uuid.UUID
    number: int
    entry_date: date
    description: str
    counter_account: str  # 相手科目, or 諸口 for several
    debit: int
    credit: int
    balance: int


@dataclass(frozen=True)
class GeneralLedger:
    code: str
    name: str
    start: date
    end: date
    opening: int
    rows: list[LedgerRow]
    closing: int


async def general_ledger(
    session: AsyncSession, tenant_id: uuid.UUID, account_code: str, start: date, end: date
) -> GeneralLedger:
    """総勘定元帳 of one account between two dates, with the running balance."""
    if end < start:
        raise InvalidInput.field("to", "must not be before from")
    account = (await repo.accounts_by_code(session, tenant_id, [account_code])).get(account_code)
    if account is None:
        raise InvalidInput.field("account", f"no account {account_code!r}")
    if account.category in BS_CATEGORIES:
        prior = await _sums(session, tenant_id, None, start - timedelta(days=1))
    else:
        fy_start = await fiscal_start_for(session, tenant_id, start)
        prior = await _sums(session, tenant_id, fy_start, start - timedelta(days=1))
    od, oc = prior.get(account.id, (0, 0))
    opening = _signed(account, od, oc)
    stmt = (
        select(JournalEntry, JournalLine)
        .join(
            JournalLine,
            and_(
                JournalEntry.tenant_id == JournalLine.tenant_id,
                JournalEntry.id == JournalLine.entry_id,
            ),
        )
        .where(
            JournalEntry.tenant_id == tenant_id,
            JournalEntry.status == "posted",
            JournalEntry.entry_date.between(start, end),
            JournalLine.account_id == account.id,
        )
        .order_by(JournalEntry.entry_date, JournalEntry.number, JournalLine.line_no)
    )
    found = (await session.execute(stmt)).all()
    entry_ids = list({e.id for e, _ in found})
    all_lines = await repo.lines_of(session, entry_ids)
    names = {
        a.id: display_name(a.name, a.sub_name) for a in await repo.list_accounts(session, tenant_id)
    }
    rows: list[LedgerRow] = []
    balance = opening
    for entry, line in found:
        others = {
            x.account_id
            for x in all_lines
            if x.entry_id == entry.id
            and (x.debit > 0) != (line.debit > 0)
            and x.tax_parent_line_no is None  # a split-off tax line is not a counterpart
        }
        counter = names[next(iter(others))] if len(others) == 1 else "諸口"
        balance += _signed(account, line.debit, line.credit)
        rows.append(
            LedgerRow(
                entry_id=entry.id,
                number=entry.number,
                entry_date=entry.entry_date,
                description=line.description or entry.description,
                counter_account=counter,
                debit=line.debit,
                credit=line.credit,
                balance=balance,
            )
        )
    return GeneralLedger(
        code=account.code,
        name=display_name(account.name, account.sub_name),
        start=start,
        end=end,
        opening=opening,
        rows=rows,
        closing=balance,
    )


# --- P&L and balance sheet ------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    code: str
    name: str
    amount: int


@dataclass
class StatementSection:
    section: str
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(x.amount for x in self.lines)


PL_ORDER = (
    "sales",
    "cost_of_sales",
    "sga",
    "non_operating_income",
    "non_operating_expense",
    "extraordinary_income",
    "extraordinary_loss",
    "income_taxes",
)
BS_ORDER = (
    "current_assets",
    "fixed_assets",
    "intangible_assets",
    "investments",
    "current_liabilities",
    "long_term_liabilities",
    "equity",
)


@dataclass(frozen=True)
class ProfitAndLoss:
    start: date
    end: date
    sections: list[StatementSection]
    gross_profit: int  # 売上総利益
    operating_income: int  # 営業利益
    ordinary_income: int  # 経常利益
    income_before_taxes: int  # 税引前当期純利益
    net_income: int  # 当期純利益


def _sections(
    accounts: Sequence[Account], sums: dict[uuid.UUID, tuple[int, int]], order: Sequence[str]
) -> dict[str, StatementSection]:
    out = {s: StatementSection(s) for s in order}
    for a in accounts:
        if a.section not in out or a.id not in sums:
            continue
        amount = _signed(a, *sums[a.id])
        if amount:
            out[a.section].lines.append(
                StatementLine(a.code, display_name(a.name, a.sub_name), amount)
            )
    return out


async def profit_and_loss(
    session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> ProfitAndLoss:
    if end < start:
        raise InvalidInput.field("to", "must not be before from")
    accounts = await repo.list_accounts(session, tenant_id)
    s = _sections(accounts, await _sums(session, tenant_id, start, end), PL_ORDER)
    gross = s["sales"].total - s["cost_of_sales"].total
    operating = gross - s["sga"].total
    ordinary = operating + s["non_operating_income"].total - s["non_operating_expense"].total
    before_taxes = ordinary + s["extraordinary_income"].total - s["extraordinary_loss"].total
    return ProfitAndLoss(
        start=start,
        end=end,
        sections=[s[k] for k in PL_ORDER],
        gross_profit=gross,
        operating_income=operating,
        ordinary_income=ordinary,
        income_before_taxes=before_taxes,
        net_income=before_taxes - s["income_taxes"].total,
    )


@dataclass(frozen=True)
class BalanceSheet:
    as_of: date
    sections: list[StatementSection]
    total_assets: int
    total_liabilities: int
    total_equity: int  # booked equity accounts
    retained_unclosed: int  # P&L of earlier years not yet closed into 繰越利益剰余金
    current_income: int  # this fiscal year's profit to date
    total_liabilities_and_equity: int


async def balance_sheet(session: AsyncSession, tenant_id: uuid.UUID, as_of: date) -> BalanceSheet:
    accounts = await repo.list_accounts(session, tenant_id)
    all_sums = await _sums(session, tenant_id, None, as_of)
    s = _sections(accounts, all_sums, BS_ORDER)
    fy_start = await fiscal_start_for(session, tenant_id, as_of)
    this_year = await _sums(session, tenant_id, fy_start, as_of)

    def pl_total(sums: dict[uuid.UUID, tuple[int, int]]) -> int:
        total = 0
        for a in accounts:
            if a.category in BS_CATEGORIES or a.id not in sums:
                continue
            d, c = sums[a.id]
            total += c - d  # revenue positive, expense negative
        return total

    current = pl_total(this_year)
    retained = pl_total(all_sums) - current
    assets = sum(s[k].total for k in BS_ORDER[:4])
    liabilities = s["current_liabilities"].total + s["long_term_liabilities"].total
    equity = s["equity"].total
    return BalanceSheet(
        as_of=as_of,
        sections=[s[k] for k in BS_ORDER],
        total_assets=assets,
        total_liabilities=liabilities,
        total_equity=equity,
        retained_unclosed=retained,
        current_income=current,
        total_liabilities_and_equity=liabilities + equity + retained + current,
    )


# --- consumption tax ------------------------------------------------------------------


@dataclass(frozen=True)
class TaxSummaryRow:
    category: str
    label: str
    rate: int
    net: int  # 税抜 base, signed: sales as credits, purchases as debits
    tax: int
    deductible_tax: int  # purchases: the creditable part (80 % / 70 % transitional)
    lines: int


async def tax_summary(
    session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> list[TaxSummaryRow]:
    """消費税集計: per tax category, the tax-exclusive base and the tax, from posted lines."""
    amount = JournalLine.debit + JournalLine.credit
    net = case((JournalLine.tax_included, amount - JournalLine.tax_amount), else_=amount)
    sign = case((JournalLine.debit > 0, 1), else_=-1)
    stmt = (
        select(
            JournalLine.tax_category,
            func.sum(net * sign),
            func.sum(JournalLine.tax_amount * sign),
            func.count(),
        )
        .join(
            JournalEntry,
            and_(
                JournalEntry.tenant_id == JournalLine.tenant_id,
                JournalEntry.id == JournalLine.entry_id,
            ),
        )
        .where(
            JournalEntry.tenant_id == tenant_id,
            JournalEntry.status == "posted",
            JournalEntry.entry_date.between(start, end),
            JournalLine.tax_parent_line_no.is_(None),
        )
        .group_by(JournalLine.tax_category)
    )
    found = {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in await session.execute(stmt)}
    out: list[TaxSummaryRow] = []
    for cat in tax.CATEGORIES:
        if cat.code not in found or cat.side == "none":
            continue
        debit_net, debit_tax, n = found[cat.code]
        flip = -1 if cat.side == "sales" else 1
        tax_amount = debit_tax * flip
        out.append(
            TaxSummaryRow(
                category=cat.code,
                label=cat.label,
                rate=cat.rate,
                net=debit_net * flip,
                tax=tax_amount,
                deductible_tax=(
                    tax.deductible_tax(tax_amount, cat.deductible_percent)
                    if cat.side == "purchase"
                    else 0
                ),
                lines=n,
            )
        )
    return out


# --- monthly series for charts ----------------------------------------------------------


@dataclass(frozen=True)
class MonthFigures:
    month: str
    revenue: int
    expenses: int
    cash: int  # 現金 + 預金 at month end


CASH_CODES = ("1110", "1120", "1130", "1140")


async def monthly_figures(
    session: AsyncSession, tenant_id: uuid.UUID, last_month: str, months: int = 12
) -> list[MonthFigures]:
    last = parse_month(last_month)
    first = add_months(last, -(months - 1))
    accounts = {a.id: a for a in await repo.list_accounts(session, tenant_id)}
    cash_ids = {i for i, a in accounts.items() if a.code in CASH_CODES}
    opening = await _sums(session, tenant_id, None, first - timedelta(days=1))
    cash = sum(d - c for i, (d, c) in opening.items() if i in cash_ids)
    out: list[MonthFigures] = []
    for k in range(months):
        start = add_months(first, k)
        sums = await _sums(session, tenant_id, start, month_end(start))
        revenue = sum(c - d for i, (d, c) in sums.items() if accounts[i].category == "revenue")
        expenses = sum(d - c for i, (d, c) in sums.items() if accounts[i].category == "expense")
        cash += sum(d - c for i, (d, c) in sums.items() if i in cash_ids)
        out.append(MonthFigures(f"{start:%Y-%m}", revenue, expenses, cash))
    return out


# --- CSV / XLSX -----------------------------------------------------------------------


def table_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM (Excel opens it as UTF-8), CRLF line ends."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def table_xlsx(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


TRIAL_BALANCE_HEADER = ("コード", "勘定科目", "前月残高", "借方", "貸方", "当月残高")


def trial_balance_table(tb: TrialBalance) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [r.code, r.name, r.opening, r.debit, r.credit, r.closing] for r in tb.rows
    ]
    rows.append(["", "合計", "", tb.total_debit, tb.total_credit, ""])
    return rows


LEDGER_HEADER = ("日付", "伝票番号", "相手科目", "摘要", "借方", "貸方", "残高")


def ledger_table(gl: GeneralLedger) -> list[list[Any]]:
    rows: list[list[Any]] = [["", "", "", "前期繰越", "", "", gl.opening]]
    rows += [
        [f"{r.entry_date:%Y/%m/%d}", r.number, r.counter_account, r.description, r.debit,
         r.credit, r.balance]
        for r in gl.rows
    ]  # fmt: skip
    return rows


TAX_HEADER = ("税区分", "税率", "税抜金額", "消費税額", "控除対象税額", "件数")


def tax_table(rows: Sequence[TaxSummaryRow]) -> list[list[Any]]:
    return [[r.label, f"{r.rate}%", r.net, r.tax, r.deductible_tax, r.lines] for r in rows]


# --- server-side SVG chart ------------------------------------------------------------

CHART_W, CHART_H = 640, 240
C_TOP, C_BOTTOM, C_LEFT, C_RIGHT = 16, 40, 64, 12
REVENUE_COLOUR, EXPENSE_COLOUR = "#7fb3e6", "#f4b4ae"


@dataclass(frozen=True)
class ChartBar:
    x: int
    y: int
    width: int
    height: int
    colour: str
    value: str  # the figure as text (the chart's title lists it too)


@dataclass(frozen=True)
class ChartMonth:
    label: str
    label_x: int
    bars: list[ChartBar]


@dataclass(frozen=True)
class MonthChart:
    width: int
    height: int
    baseline: int
    months: list[ChartMonth]
    gridlines: list[tuple[int, str]]  # (y, label in 万円)


def _man(yen: int) -> str:
    """Yen as 万円 with one decimal (the usual unit of small-company charts)."""
    return f"{Decimal(yen) / 10_000:,.1f}"


def month_chart(figures: Sequence[MonthFigures]) -> MonthChart:
    """Revenue and expenses per month as paired bars on one scale (negative figures, e.g.
    a month of refunds, draw as zero; the table beside the chart has the exact values)."""
    top = max([max(f.revenue, f.expenses, 0) for f in figures] + [1])
    step = 10 ** max(len(str(top)) - 1, 0)
    scale = -(-top // step) * step  # round the axis up to a leading digit
    plot_h = CHART_H - C_TOP - C_BOTTOM
    plot_w = CHART_W - C_LEFT - C_RIGHT
    slot = plot_w // max(len(figures), 1)
    width = max(slot * 35 // 100, 3)
    base = C_TOP + plot_h
    months: list[ChartMonth] = []
    for i, f in enumerate(figures):
        x0 = C_LEFT + i * slot + (slot - 2 * width) // 2
        bars = []
        for k, (value, colour) in enumerate(
            ((f.revenue, REVENUE_COLOUR), (f.expenses, EXPENSE_COLOUR))
        ):
            h = plot_h * max(value, 0) // scale
            bars.append(ChartBar(x0 + k * width, base - h, width, h, colour, f"{value:,}"))
        months.append(ChartMonth(f.month[2:], x0 + width, bars))
    grid = [(base - plot_h * k // 4, _man(scale * k // 4)) for k in range(5)]
    return MonthChart(CHART_W, CHART_H, base, months, grid)
