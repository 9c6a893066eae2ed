"""賃金台帳 (wage ledger, 労働基準法 §108): one row per employee of a run, as CSV (UTF-8
with BOM, or cp932 for older spreadsheet tools) and XLSX.

The columns are fixed except the payment items (基本給, 手当…), which follow in the order
they first appear in the run, so every kind of wage has its own column as §108 asks.
Pure: rows in, bytes out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

LEAD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("employee_code", "社員番号"),
    ("employee_name", "氏名"),
    ("department", "所属"),
    ("pay_date", "支給日"),
    ("period", "賃金計算期間"),
)
ATTENDANCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("work_days", "出勤日数"),
    ("work_hours", "労働時間数"),
    ("overtime_hours", "時間外労働時間数"),
    ("holiday_hours", "休日労働時間数"),
    ("night_hours", "深夜労働時間数"),
)
AMOUNT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("gross_pay", "総支給額"),
    ("taxable_pay", "課税支給額"),
    ("non_taxable_pay", "非課税支給額"),
    ("health_insurance", "健康保険料"),
    ("child_support_levy", "子ども・子育て支援金"),
    ("pension", "厚生年金保険料"),
    ("employment_insurance", "雇用保険料"),
    ("social_insurance_total", "社会保険料計"),
    ("taxable_after_insurance", "課税対象額"),
    ("income_tax", "所得税"),
    ("resident_tax", "住民税"),
    ("other_deductions", "その他控除"),
    ("total_deductions", "控除合計"),
    ("net_pay", "差引支給額"),
)

Cell = str | int


@dataclass(frozen=True)
class LedgerRow:
    employee_code: str
    employee_name: str
    department: str
    amounts: Mapping[str, int]
    payments: Sequence[tuple[str, int]] = ()
    attendance: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LedgerTable:
    header: list[str]
    rows: list[list[Cell]]


def ledger_table(pay_date: date, period: str, rows: Sequence[LedgerRow]) -> LedgerTable:
    items: list[str] = []
    for row in rows:
        for label, _ in row.payments:
            if label not in items:
                items.append(label)
    header = [h for _, h in LEAD_COLUMNS] + [h for _, h in ATTENDANCE_COLUMNS]
    header += items + [h for _, h in AMOUNT_COLUMNS]
    out: list[list[Cell]] = []
    for row in rows:
        paid: dict[str, int] = {}
        for label, amount in row.payments:
            paid[label] = paid.get(label, 0) + amount
        line: list[Cell] = [
            row.employee_code,
            row.employee_name,
            row.department,
            pay_date.isoformat(),
            period,
        ]
        line += [row.attendance.get(key, "") for key, _ in ATTENDANCE_COLUMNS]
        line += [paid.get(label, 0) for label in items]
        line += [int(row.amounts.get(key, 0)) for key, _ in AMOUNT_COLUMNS]
        out.append(line)
    return LedgerTable(header, out)


def to_csv(table: LedgerTable, encoding: Literal["utf-8-sig", "cp932"] = "utf-8-sig") -> bytes:
    """CSV with CR+LF line ends. cp932 cannot carry every name (rare kanji outside JIS):
    such a character becomes "?" there; the UTF-8 file is the faithful one."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(table.header)
    writer.writerows(table.rows)
    return buf.getvalue().encode(encoding, errors="replace")


def to_xlsx(table: LedgerTable, title: str = "賃金台帳") -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    ws.append(table.header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        ws.append(row)
    amount_from = len(LEAD_COLUMNS) + len(ATTENDANCE_COLUMNS) + 1
    for col in range(amount_from, len(table.header) + 1):
        letter = get_column_letter(col)
        for cell in ws[letter][1:]:
            cell.number_format = "#,##0"
    ws.freeze_panes = "C2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
