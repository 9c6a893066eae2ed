"""Statement layouts: a column mapping, and the documented bank and card layouts built on it.

A `ColumnMapping` says which CSV column (1-based, as an operator counts them) holds what.
Amount sign convention for every statement line: positive = money *into* the statement's
account (a deposit; a card refund), negative = money *out* (a withdrawal; a card charge;
a receipt paid). A layout with one amount column where charges are positive sets
`negate_amount`.

Built-in layouts and where each is documented (the banks publish no specification; these
are the layouts their internet-banking downloads have, as recorded by open-source
converters with sample files):

- `mufg` 三菱UFJ銀行 入出金明細 CSV: 日付, 摘要, 摘要内容, 支払い金額, 預かり金額, 差引残高,
  メモ, 未資金化区分, 入払区分 (older downloads stop after 差引残高). Source:
  yukihiko-shinoda/zaim-csv-converter `zaimcsvconverter/data/mufg.py` (MufgRowData) and its
  sample `tests/testresources/test_zaim_csv_converter/csvinput_test_success/mufg201808.csv`.
- `sbi_sumishin` 住信SBIネット銀行 入出金明細 CSV: 日付, 内容, 出金金額(円), 入金金額(円),
  残高(円), メモ. Source: the same repository, `zaimcsvconverter/data/sbi_sumishin_net_bank.py`
  and `tests/testresources/zaim/test_zaim_csv_converter/csvinput_test_success/
  sbi_sumishin_net_bank202201.csv`.
- `zengin_03` 全銀協 入出金取引明細 (種別コード 03): 200-byte fixed records, header 1 / data 2 /
  trailer 8 / end 9, dates 和暦 YYMMDD. Field lengths from you21979/zengin-format-util
  `lib/spec.js` (FORMAT_WITHDRAWAL_DETAIL); parsed in `parsers.parse_zengin_03`.
- `view_card` ビューカード ご利用明細 CSV (credit card): a preamble (会員番号, お支払日 …), the
  header row starting ご利用年月日, a card-holder line, then ご利用年月日, ご利用箇所, ご利用額,
  払戻額, ご請求額, 支払区分, 今回回数, 今回ご請求額, 現地通貨額, 通貨略称, 換算レート. Source:
  zaim-csv-converter `zaimcsvconverter/data/view_card.py` and
  `tests/testresources/test_zaim_csv_converter/csvinput_test_success/view_card202005.csv`.
- `receipts` Daiko's own receipt template: 日付, 取引先, 金額, 税率, 摘要.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec

StatementKind = Literal["bank", "card", "receipt"]
Column = Annotated[int, msgspec.Meta(ge=1, le=200)]


class ColumnMapping(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, frozen=True):
    """Which column (1-based) holds what; saved per tenant as a named mapping."""

    date: Column
    description: Column | None = None
    counterparty: Column | None = None
    amount: Column | None = None  # one signed column
    withdrawal: Column | None = None  # 出金 / 支払い: money out
    deposit: Column | None = None  # 入金 / 預かり: money in
    balance: Column | None = None
    tax_rate: Column | None = None
    memo: Column | None = None
    negate_amount: bool = False  # the amount column counts charges as positive
    # Rows before the data: a fixed count, or everything up to and including the row
    # whose first cell is `header_marker` (preambles of varying length).
    header_rows: Annotated[int, msgspec.Meta(ge=0, le=100)] = 1
    header_marker: Annotated[str, msgspec.Meta(max_length=50)] | None = None
    # Exact column count of a data row; None: at least the highest column mapped.
    columns: Annotated[int, msgspec.Meta(ge=1, le=200)] | None = None
    # Rows whose first cell starts with one of these are not transactions (card-holder
    # lines, subtotals) and are passed over.
    skip_prefixes: tuple[str, ...] = ()

    def check(self) -> str | None:
        """Why this mapping cannot work, or None."""
        if self.amount is None and self.withdrawal is None and self.deposit is None:
            return "map an amount column, or withdrawal and/or deposit columns"
        if self.amount is not None and (self.withdrawal is not None or self.deposit is not None):
            return "map either one amount column or withdrawal/deposit columns, not both"
        used = [c for c in self.used_columns() if c is not None]
        if len(used) != len(set(used)):
            return "a column is mapped twice"
        if self.columns is not None and max(used) > self.columns:
            return f"column {max(used)} is mapped but rows have {self.columns} columns"
        return None

    def used_columns(self) -> tuple[int | None, ...]:
        return (
            self.date,
            self.description,
            self.counterparty,
            self.amount,
            self.withdrawal,
            self.deposit,
            self.balance,
            self.tax_rate,
            self.memo,
        )

    @property
    def min_columns(self) -> int:
        return self.columns or max(c for c in self.used_columns() if c is not None)


@dataclass(frozen=True)
class Layout:
    name: str
    label: str
    kind: StatementKind
    mapping: ColumnMapping | None  # None: a fixed-length format with its own parser
    source: str


LAYOUTS: dict[str, Layout] = {
    "mufg": Layout(
        name="mufg",
        label="三菱UFJ銀行 入出金明細 (CSV)",
        kind="bank",
        mapping=ColumnMapping(
            date=1, description=2, counterparty=3, withdrawal=4, deposit=5, balance=6
        ),
        source="yukihiko-shinoda/zaim-csv-converter zaimcsvconverter/data/mufg.py",
    ),
    "sbi_sumishin": Layout(
        name="sbi_sumishin",
        label="住信SBIネット銀行 入出金明細 (CSV)",
        kind="bank",
        mapping=ColumnMapping(
            date=1, description=2, withdrawal=3, deposit=4, balance=5, memo=6, columns=6
        ),
        source=(
            "yukihiko-shinoda/zaim-csv-converter zaimcsvconverter/data/sbi_sumishin_net_bank.py"
        ),
    ),
    "zengin_03": Layout(
        name="zengin_03",
        label="全銀協 入出金取引明細 (03, 200-byte fixed)",
        kind="bank",
        mapping=None,
        source="you21979/zengin-format-util lib/spec.js FORMAT_WITHDRAWAL_DETAIL",
    ),
    "view_card": Layout(
        name="view_card",
        label="ビューカード ご利用明細 (CSV)",
        kind="card",
        mapping=ColumnMapping(
            date=1,
            description=2,
            amount=3,
            negate_amount=True,
            header_rows=0,
            header_marker="ご利用年月日",
            columns=11,
            skip_prefixes=("****",),
        ),
        source="yukihiko-shinoda/zaim-csv-converter zaimcsvconverter/data/view_card.py",
    ),
    "receipts": Layout(
        name="receipts",
        label="Receipts (日付, 取引先, 金額, 税率, 摘要)",
        kind="receipt",
        mapping=ColumnMapping(
            date=1, counterparty=2, amount=3, tax_rate=4, description=5, negate_amount=True
        ),
        source="Daiko receipt template",
    ),
}
CUSTOM = "custom"
