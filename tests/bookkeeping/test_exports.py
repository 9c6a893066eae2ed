"""Export layouts, column-exact: 弥生 (cp932, 25 columns, no header), MF (27-column
template header), freee (the 32-column 仕訳インポート template header). Byte-exact where
fixed. Sources for the layouts: the docstring of `daiko.bookkeeping.exports`."""

from __future__ import annotations

import csv
import io
from datetime import date

from daiko.bookkeeping import exports, journal
from daiko.bookkeeping.journal import JournalLineDraft as L
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.bookkeeping.conftest import Ledger


async def _entries(runtime: Runtime, ledger: Ledger, day: date) -> list[exports.ExportEntry]:
    async with runtime.db.session(scope_of_tenant(ledger.tenant_id)) as s:
        return await exports.load_entries(s, ledger.tenant_id, day, day)


async def test_yayoi_single_row_entry_is_byte_exact(runtime: Runtime, ledger: Ledger) -> None:
    entries = await _entries(runtime, ledger, date(2026, 4, 15))
    body = exports.render("yayoi", entries)
    expected = (
        "2000,3,,2026/04/15,消耗品費,,本社,課対仕入内10%適格,5500,500,"
        "普通預金,,,対象外,5500,0,事務用品,,,0,,,0,0,no\r\n"
    ).encode("cp932")
    assert body == expected
    assert len(next(csv.reader(io.StringIO(body.decode("cp932"))))) == 25


async def test_yayoi_compound_entry_flags_and_pairing(runtime: Runtime, ledger: Ledger) -> None:
    entries = await _entries(runtime, ledger, date(2026, 4, 25))
    rows = list(csv.reader(io.StringIO(exports.render("yayoi", entries).decode("cp932"))))
    assert [r[0] for r in rows] == ["2110", "2100", "2100", "2100", "2101"]
    assert rows[0][4:17] == [
        "給料手当", "", "", "対象外", "300000", "0",
        "預り金", "源泉所得税", "", "対象外", "7000", "0", "4月分給与",
    ]  # fmt: skip
    assert rows[4][4:16] == ["", "", "", "", "", "", "普通預金", "", "", "対象外", "235500", "0"]
    assert all(len(r) == 25 and r[1] == "4" for r in rows)


async def test_mf_header_and_row(runtime: Runtime, ledger: Ledger) -> None:
    entries = await _entries(runtime, ledger, date(2026, 4, 15))
    body = exports.render("mf", entries)
    assert body.startswith(b"\xef\xbb\xbf")
    header, row = body.decode("utf-8-sig").split("\r\n")[:2]
    assert header == (
        "取引No,取引日,借方勘定科目,借方補助科目,借方部門,借方取引先,借方税区分,借方インボイス,"
        "借方金額(円),借方税額,貸方勘定科目,貸方補助科目,貸方部門,貸方取引先,貸方税区分,"
        "貸方インボイス,貸方金額(円),貸方税額,摘要,仕訳メモ,タグ,MF仕訳タイプ,決算整理仕訳,"
        "作成日時,作成者,最終更新日時,最終更新者"
    )
    fields = next(csv.reader([row]))
    assert len(fields) == 27
    assert fields[:23] == [
        "3", "2026/04/15", "消耗品費", "", "本社", "文具の山田商店", "課税仕入 10%", "適格",
        "5500", "500", "普通預金", "", "", "", "対象外", "", "5500", "", "事務用品", "", "", "",
        "",
    ]  # fmt: skip


async def test_freee_header_and_row_in_cp932(runtime: Runtime, ledger: Ledger) -> None:
    entries = await _entries(runtime, ledger, date(2026, 4, 10))
    body = exports.render("freee", entries, "cp932")
    assert body == (
        "日付,伝票番号,決算整理仕訳,"
        "借方勘定科目,借方科目コード,借方補助科目,借方取引先,借方取引先コード,借方部門,"
        "借方品目,借方メモタグ,借方セグメント1,借方セグメント2,借方セグメント3,借方金額,"
        "借方税区分,借方税額,"
        "貸方勘定科目,貸方科目コード,貸方補助科目,貸方取引先,貸方取引先コード,貸方部門,"
        "貸方品目,貸方メモタグ,貸方セグメント1,貸方セグメント2,貸方セグメント3,貸方金額,"
        "貸方税区分,貸方税額,"
        "摘要\r\n"
        "2026/04/10,2,,"
        "売掛金,,,,,,,,,,,110000,対象外,,"
        "売上高,,,,,,,,,,,110000,課税売上10%,10000,"
        "4月売上\r\n"
    ).encode("cp932")


async def test_purchases_from_unregistered_suppliers(runtime: Runtime, ledger: Ledger) -> None:
    """80 % deductible (経過措置): freee names it in the 税区分, MF in its インボイス column
    beside the plain 税区分."""
    tid = ledger.tenant_id
    async with runtime.db.session(scope_of_tenant(tid)) as s:
        await journal.record_entry(
            s,
            tenant_id=tid,
            entry_date=date(2026, 4, 30),
            description="個人への外注",
            lines=[
                L("6240", debit=11_000, tax_category="taxable_purchase_10_80"),
                L("1130", credit=11_000),
            ],
            source_kind="manual",
            source_id=None,
            created_by=None,
        )
    entries = await _entries(runtime, ledger, date(2026, 4, 30))
    mf = list(csv.reader(io.StringIO(exports.render("mf", entries).decode("utf-8-sig"))))
    assert mf[1][6:10] == ["課税仕入 10%", "80%控除", "11000", "1000"]
    freee = list(csv.reader(io.StringIO(exports.render("freee", entries).decode("utf-8-sig"))))
    assert len(freee[1]) == 32
    assert freee[1][14:17] == ["11000", "課対仕入（控80）10%", "1000"]


def test_cp932_substitutes_what_it_cannot_hold() -> None:
    assert exports._cp932("髙橋🍣") == "髙橋〓"
