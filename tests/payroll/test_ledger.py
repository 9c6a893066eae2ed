"""賃金台帳 (wage ledger): exact columns, CSV in UTF-8 with BOM and in cp932, XLSX."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from daiko.payroll.ledger import LedgerRow, ledger_table, to_csv, to_xlsx

AMOUNTS = {
    "gross_pay": 343_000,
    "taxable_pay": 328_000,
    "non_taxable_pay": 15_000,
    "health_insurance": 14_775,
    "child_support_levy": 345,
    "pension": 27_450,
    "employment_insurance": 1_715,
    "social_insurance_total": 42_570,
    "taxable_after_insurance": 285_430,
    "income_tax": 7_560,
    "resident_tax": 12_000,
    "other_deductions": 0,
    "total_deductions": 63_845,
    "net_pay": 279_155,
}
ROWS = [
    LedgerRow(
        employee_code="0001",
        employee_name="山田 太郎",
        department="開発部",
        amounts=AMOUNTS,
        payments=[("基本給", 300_000), ("通勤手当", 15_000), ("時間外手当", 28_000)],
        attendance={"work_days": "20", "work_hours": "160", "overtime_hours": "12.5"},
    ),
    LedgerRow(
        employee_code="0002",
        employee_name="髙橋 𠮷子",  # 髙 is in cp932 (IBM extension); 𠮷 is not
        department="",
        amounts={**AMOUNTS, "gross_pay": 250_000},
        payments=[("基本給", 250_000), ("役職手当", 10_000)],
    ),
]
HEADER = [
    "社員番号", "氏名", "所属", "支給日", "賃金計算期間",
    "出勤日数", "労働時間数", "時間外労働時間数", "休日労働時間数", "深夜労働時間数",
    "基本給", "通勤手当", "時間外手当", "役職手当",
    "総支給額", "課税支給額", "非課税支給額", "健康保険料", "子ども・子育て支援金",
    "厚生年金保険料", "雇用保険料", "社会保険料計", "課税対象額", "所得税", "住民税",
    "その他控除", "控除合計", "差引支給額",
]  # fmt: skip


def test_columns_are_exact() -> None:
    table = ledger_table(dt.date(2026, 10, 23), "2026-10", ROWS)
    assert table.header == HEADER
    assert table.rows[0] == [
        "0001", "山田 太郎", "開発部", "2026-10-23", "2026-10",
        "20", "160", "12.5", "", "",
        300_000, 15_000, 28_000, 0,
        343_000, 328_000, 15_000, 14_775, 345, 27_450, 1_715, 42_570, 285_430,
        7_560, 12_000, 0, 63_845, 279_155,
    ]  # fmt: skip
    assert table.rows[1][10:14] == [250_000, 0, 0, 10_000]


def test_csv_utf8_has_a_bom_and_crlf() -> None:
    data = to_csv(ledger_table(dt.date(2026, 10, 23), "2026-10", ROWS))
    assert data.startswith(b"\xef\xbb\xbf" + "社員番号,氏名,所属".encode())
    text = data.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == ",".join(HEADER)
    assert lines[1].startswith("0001,山田 太郎,開発部,2026-10-23,2026-10,20,160,12.5,,,300000,")
    assert "髙橋 𠮷子" in lines[2]
    assert lines[3] == ""


def test_csv_cp932_replaces_what_it_cannot_carry() -> None:
    data = to_csv(ledger_table(dt.date(2026, 10, 23), "2026-10", ROWS), "cp932")
    assert data.startswith("社員番号,氏名".encode("cp932"))
    assert "髙橋 ?子".encode("cp932") in data


def test_xlsx_has_the_same_table() -> None:
    table = ledger_table(dt.date(2026, 10, 23), "2026-10", ROWS)
    wb = load_workbook(io.BytesIO(to_xlsx(table)))
    ws = wb.active
    assert ws is not None
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert values[0] == HEADER
    assert values[1][10] == 300_000
    assert values[1][-1] == 279_155
    assert ws.title == "賃金台帳"
