"""Posted entries in the journal-import layouts of 弥生会計, freee and マネーフォワード.

Japanese packages use the paired model: each row has a debit side and a credit side, and
rows sharing a voucher number (and date) form one compound entry whose totals balance.
Our one-sided lines are paired in order: the k-th debit line beside the k-th credit line,
the shorter side left blank. A tax line generated under 税抜経理 (仮払/仮受消費税等) is
folded back into its line, which is exported tax-inclusive with its tax amount: the
importing package splits the tax again by the 税区分.

- 弥生インポート形式: 25 columns, no header row, Shift_JIS (cp932), CRLF; 識別フラグ 2000
  for a one-row entry, else 2110 first / 2100 middle / 2101 last.
- マネーフォワード クラウド会計 仕訳帳インポート: a header row with the 27 template
  columns (A–AA). MF's guide (https://biz.moneyforward.com/support/tax-return/guide/import-books/ib01.html,
  and for 会計Plus https://biz.moneyforward.com/support/ac-plus/guide/journal2/import2.html)
  says: the first row (A–AA) is not to be edited; 取引No, 取引日, 勘定科目 and 金額 are
  required; rows with the same 取引日 and 取引No whose sides balance form one compound
  entry; 勘定科目, 補助科目, 税区分 and 部門 must match the names of the tenant's
  masters exactly. The invoice class is its own column (借方/貸方インボイス: 適格 or
  80%控除; blank → 適格 derived from the 税区分), so the 税区分 stays the plain one
  (課税仕入 10%) for purchases from unregistered suppliers too. The guides show the
  header only as a picture; the names here are the downloaded template's as independent
  importers spell them (and §3.5 of the domain notes).
- freee 仕訳インポート (振替伝票): freee's guide for journals from other software
  (https://support.freee.co.jp/hc/ja/articles/204847430) names the items — 日付 (required;
  決算整理仕訳 "1" marks a closing entry), 伝票番号 (same date and number → one
  multi-line entry), 決算整理仕訳, per-side 勘定科目/金額/税区分/税額 — and maps the file's
  columns to them by name at upload; the header is that page's template sheet: 32
  columns, per side 勘定科目, 科目コード, 補助科目, 取引先, 取引先コード, 部門, 品目,
  メモタグ, セグメント1–3, 金額, 税区分, 税額, then one 摘要 per row. We fill the
  names, amounts, taxes and 摘要 and leave codes, 品目, tags and segments blank.

MF and freee files are UTF-8 with a BOM unless cp932 is asked for. Characters that
cp932 cannot hold become 〓 (geta), the customary substitute.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import zip_longest
from typing import Final, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.bookkeeping import repository as repo
from daiko.bookkeeping import tax
from daiko.bookkeeping.models import JournalEntry, JournalLine
from daiko.errors import InvalidInput

Layout = Literal["yayoi", "freee", "mf"]
LAYOUTS: Final = ("yayoi", "freee", "mf")

MF_HEADER: Final = (
    "取引No", "取引日", "借方勘定科目", "借方補助科目", "借方部門", "借方取引先", "借方税区分",
    "借方インボイス", "借方金額(円)", "借方税額", "貸方勘定科目", "貸方補助科目", "貸方部門",
    "貸方取引先", "貸方税区分", "貸方インボイス", "貸方金額(円)", "貸方税額", "摘要", "仕訳メモ",
    "タグ", "MF仕訳タイプ", "決算整理仕訳", "作成日時", "作成者", "最終更新日時", "最終更新者",
)  # fmt: skip

FREEE_HEADER: Final = (
    "日付", "伝票番号", "決算整理仕訳",
    "借方勘定科目", "借方科目コード", "借方補助科目", "借方取引先", "借方取引先コード",
    "借方部門", "借方品目", "借方メモタグ", "借方セグメント1", "借方セグメント2",
    "借方セグメント3", "借方金額", "借方税区分", "借方税額",
    "貸方勘定科目", "貸方科目コード", "貸方補助科目", "貸方取引先", "貸方取引先コード",
    "貸方部門", "貸方品目", "貸方メモタグ", "貸方セグメント1", "貸方セグメント2",
    "貸方セグメント3", "貸方金額", "貸方税区分", "貸方税額",
    "摘要",
)  # fmt: skip

YAYOI_COLUMNS: Final = 25


@dataclass(frozen=True)
class Side:
    """One side of an exported row."""

    account: str
    sub_account: str
    department: str
    counterparty: str
    tax_category: tax.TaxCategory
    amount: int  # tax-inclusive when taxable
    tax_amount: int
    description: str
    registered: bool  # the counterparty has a registration number (インボイス)


@dataclass(frozen=True)
class ExportEntry:
    number: int
    entry_date: date
    description: str
    is_closing: bool
    rows: list[tuple[Side | None, Side | None]]
    created_at: str
    updated_at: str


async def load_entries(
    session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> list[ExportEntry]:
    """Posted entries dated in [start, end], in date and voucher order, paired for export."""
    if end < start:
        raise InvalidInput.field("to", "must not be before from")
    entries = (
        (
            await session.execute(
                select(JournalEntry)
                .where(
                    JournalEntry.tenant_id == tenant_id,
                    JournalEntry.status == "posted",
                    JournalEntry.entry_date.between(start, end),
                )
                .order_by(JournalEntry.entry_date, JournalEntry.number)
            )
        )
        .scalars()
        .all()
    )
    lines = await repo.lines_of(session, [e.id for e in entries])
    accounts = {a.id: a for a in await repo.list_accounts(session, tenant_id)}
    departments = {d.id: d for d in await repo.list_departments(session, tenant_id)}
    parties = {c.id: c for c in await repo.list_counterparties(session, tenant_id)}
    by_entry: dict[uuid.UUID, list[JournalLine]] = {}
    for line in lines:
        by_entry.setdefault(line.entry_id, []).append(line)
    out: list[ExportEntry] = []
    for e in entries:
        mine = by_entry.get(e.id, [])
        folded = {
            x.tax_parent_line_no: x.debit + x.credit
            for x in mine
            if x.tax_parent_line_no is not None
        }
        debits: list[Side] = []
        credits: list[Side] = []
        for x in mine:
            if x.tax_parent_line_no is not None:
                continue
            a = accounts[x.account_id]
            party = parties.get(x.counterparty_id) if x.counterparty_id else None
            dept = departments.get(x.department_id) if x.department_id else None
            side = Side(
                account=a.name,
                sub_account=a.sub_name or "",
                department=dept.name if dept else "",
                counterparty=party.name if party else "",
                tax_category=tax.category(x.tax_category),
                amount=x.debit + x.credit + folded.get(x.line_no, 0),
                tax_amount=x.tax_amount,
                description=x.description or e.description,
                registered=bool(party and party.registration_number),
            )
            (debits if x.debit > 0 else credits).append(side)
        out.append(
            ExportEntry(
                number=e.number,
                entry_date=e.entry_date,
                description=e.description,
                is_closing=e.is_closing,
                rows=list(zip_longest(debits, credits)),
                created_at=f"{e.created_at:%Y/%m/%d %H:%M:%S}",
                updated_at=f"{e.updated_at:%Y/%m/%d %H:%M:%S}",
            )
        )
    return out


def _csv(rows: Sequence[Sequence[str]], encoding: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    text = buf.getvalue()
    if encoding == "cp932":
        return text.encode("cp932")
    return ("\ufeff" + text).encode("utf-8")


def _cp932(text: str) -> str:
    """`text` with every character cp932 cannot encode replaced by 〓."""
    out = []
    for ch in text:
        try:
            ch.encode("cp932")
            out.append(ch)
        except UnicodeEncodeError:
            out.append("〓")
    return "".join(out)


def _n(value: int) -> str:
    return str(value)


# --- 弥生 ---------------------------------------------------------------------------


def _yayoi_side(side: Side | None) -> list[str]:
    if side is None:
        return ["", "", "", "", "", ""]
    taxed = side.tax_category.rate > 0
    return [
        side.account,
        side.sub_account,
        side.department,
        side.tax_category.yayoi,
        _n(side.amount),
        _n(side.tax_amount) if taxed else "0",
    ]


def yayoi_rows(entries: Sequence[ExportEntry]) -> list[list[str]]:
    out: list[list[str]] = []
    for e in entries:
        n = len(e.rows)
        for i, (debit, credit) in enumerate(e.rows):
            if n == 1:
                flag = "2000"
            elif i == 0:
                flag = "2110"
            elif i == n - 1:
                flag = "2101"
            else:
                flag = "2100"
            first = debit or credit
            description = first.description if first else e.description
            row = [
                flag,
                _n(e.number),
                "本決" if e.is_closing else "",
                f"{e.entry_date:%Y/%m/%d}",
                *_yayoi_side(debit),
                *_yayoi_side(credit),
                description,
                "",  # 番号
                "",  # 期日
                "0",  # タイプ
                "",  # 生成元
                "",  # 仕訳メモ
                "0",  # 付箋1
                "0",  # 付箋2
                "no",  # 調整
            ]
            assert len(row) == YAYOI_COLUMNS
            out.append([_cp932(c) for c in row])
    return out


def yayoi_csv(entries: Sequence[ExportEntry]) -> bytes:
    return _csv(yayoi_rows(entries), "cp932")


# --- マネーフォワード ---------------------------------------------------------------------


def _invoice_class(side: Side) -> str:
    cat = side.tax_category
    if cat.side != "purchase" or cat.rate == 0:
        return ""
    if cat.deductible_percent < 100:
        return f"{cat.deductible_percent}%控除"
    return "適格"


def _mf_side(side: Side | None) -> list[str]:
    if side is None:
        return ["", "", "", "", "", "", "", ""]
    taxed = side.tax_category.rate > 0
    return [
        side.account,
        side.sub_account,
        side.department,
        side.counterparty,
        side.tax_category.mf,
        _invoice_class(side),
        _n(side.amount),
        _n(side.tax_amount) if taxed else "",
    ]


def mf_rows(entries: Sequence[ExportEntry]) -> list[list[str]]:
    out: list[list[str]] = [list(MF_HEADER)]
    for e in entries:
        for debit, credit in e.rows:
            first = debit or credit
            row = [
                _n(e.number),
                f"{e.entry_date:%Y/%m/%d}",
                *_mf_side(debit),
                *_mf_side(credit),
                first.description if first else e.description,
                "",  # 仕訳メモ
                "",  # タグ
                "",  # MF仕訳タイプ
                "1" if e.is_closing else "",
                e.created_at,
                "",  # 作成者
                e.updated_at,
                "",  # 最終更新者
            ]
            assert len(row) == len(MF_HEADER)
            out.append(row)
    return out


# --- freee --------------------------------------------------------------------------


def _freee_side(side: Side | None) -> list[str]:
    if side is None:
        return [""] * 14
    taxed = side.tax_category.rate > 0
    return [
        side.account,
        "",  # 科目コード
        side.sub_account,
        side.counterparty,
        "",  # 取引先コード
        side.department,
        "",  # 品目
        "",  # メモタグ
        "",  # セグメント1
        "",  # セグメント2
        "",  # セグメント3
        _n(side.amount),
        side.tax_category.freee,
        _n(side.tax_amount) if taxed else "",
    ]


def freee_rows(entries: Sequence[ExportEntry]) -> list[list[str]]:
    out: list[list[str]] = [list(FREEE_HEADER)]
    for e in entries:
        for debit, credit in e.rows:
            row = [
                f"{e.entry_date:%Y/%m/%d}",
                _n(e.number),
                "1" if e.is_closing else "",
                *_freee_side(debit),
                *_freee_side(credit),
                first.description if (first := debit or credit) else e.description,
            ]
            assert len(row) == len(FREEE_HEADER)
            out.append(row)
    return out


RENDERERS: Final[dict[str, Callable[[Sequence[ExportEntry]], list[list[str]]]]] = {
    "yayoi": yayoi_rows,
    "mf": mf_rows,
    "freee": freee_rows,
}


def render(layout: str, entries: Sequence[ExportEntry], encoding: str | None = None) -> bytes:
    """The file of `layout`; 弥生 is always cp932, the others UTF-8 (BOM) or cp932."""
    if layout not in RENDERERS:
        raise InvalidInput.field("layout", f"one of {', '.join(LAYOUTS)}")
    enc = "cp932" if layout == "yayoi" else (encoding or "utf-8")
    if enc not in ("utf-8", "cp932"):
        raise InvalidInput.field("encoding", "utf-8 or cp932")
    rows = RENDERERS[layout](entries)
    if enc == "cp932":
        rows = [[_cp932(c) for c in row] for row in rows]
    return _csv(rows, enc)
