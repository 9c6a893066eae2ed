"""Statement parsing: every layout, every amount / negative / date form, both encodings, and
the exact line, column and reason of each bad row."""

from __future__ import annotations

import re
from datetime import date

import pytest

from daiko.bookkeeping.imports.layouts import LAYOUTS, ColumnMapping
from daiko.bookkeeping.imports.normalize import parse_amount, parse_date, parse_tax_rate
from daiko.bookkeeping.imports.parsers import (
    FileRejected,
    ParsedLine,
    RowError,
    decode,
    parse,
)


def _split(items: list[ParsedLine | RowError]) -> tuple[list[ParsedLine], list[RowError]]:
    good = [i for i in items if isinstance(i, ParsedLine)]
    bad = [i for i in items if isinstance(i, RowError)]
    return good, bad


def run(data: bytes, layout: str | ColumnMapping) -> tuple[list[ParsedLine], list[RowError]]:
    mapping = LAYOUTS[layout].mapping if isinstance(layout, str) else layout
    return _split(list(parse(data, mapping)))


# --- amounts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1000", 1000),
        ("1,000", 1000),
        ("12,345,678", 12345678),
        ("¥1,000", 1000),
        ("￥1,000", 1000),
        ("1,000円", 1000),
        ("１，２３４", 1234),
        ("１２３４円", 1234),
        ("-1,000", -1000),
        ("−1,000", -1000),
        ("－1,000", -1000),
        ("△1,000", -1000),
        ("▲1,000", -1000),
        ("△ 500", -500),
        ("(1,000)", -1000),
        ("（１，０００）", -1000),
        ("1,000-", -1000),
        ("+250", 250),
        ("1000.00", 1000),
        (" 42 ", 42),
        ("0", 0),
    ],
)
def test_amounts(raw: str, value: int) -> None:
    assert parse_amount(raw) == value


def test_empty_amount_is_none() -> None:
    assert parse_amount("") is None
    assert parse_amount("   ") is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("abc", "not an amount: 'abc'"),
        ("12a", "not an amount: '12a'"),
        ("1,000.50", "not whole yen: '1,000.50'"),
        ("--5", "not an amount: '--5'"),
        ("1_000", "not an amount: '1_000'"),
    ],
)
def test_bad_amounts(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(reason)}$"):
        parse_amount(raw)


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("2026/4/1", date(2026, 4, 1)),
        ("2026/04/01", date(2026, 4, 1)),
        ("2026-04-01", date(2026, 4, 1)),
        ("20260401", date(2026, 4, 1)),
        ("2026.4.1", date(2026, 4, 1)),
        ("2026年4月1日", date(2026, 4, 1)),
        ("２０２６／０４／０１", date(2026, 4, 1)),
        ("2026/10/01 16:39:18", date(2026, 10, 1)),
        ("令和8年4月1日", date(2026, 4, 1)),
        ("令和８年４月１日", date(2026, 4, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("R8.4.1", date(2026, 4, 1)),
        ("r8.4.1", date(2026, 4, 1)),
        ("R08/04/01", date(2026, 4, 1)),
        ("R.08/04/01", date(2026, 4, 1)),
        ("H31.4.30", date(2019, 4, 30)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("H1.1.8", date(1989, 1, 8)),
        ("S64.1.7", date(1989, 1, 7)),
    ],
)
def test_dates(raw: str, value: date) -> None:
    assert parse_date(raw) == value


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("2026/13/01", "not a date: '2026/13/01'"),
        ("2026/02/30", "not a date: '2026/02/30'"),
        ("H31.5.1", "not a date in that era: 'H31.5.1'"),
        ("R1.4.30", "not a date in that era: 'R1.4.30'"),
        ("S64.1.8", "not a date in that era: 'S64.1.8'"),
        ("yesterday", "not a date: 'yesterday'"),
        ("202604", "not a date: '202604'"),
        ("", "empty date"),
    ],
)
def test_bad_dates(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(reason)}$"):
        parse_date(raw)


def test_tax_rates() -> None:
    assert parse_tax_rate("10") == 10
    assert parse_tax_rate("8%") == 8
    assert parse_tax_rate("８％") == 8
    assert parse_tax_rate("軽減8%") == 8
    assert parse_tax_rate("") is None
    with pytest.raises(ValueError, match="not a consumption-tax rate"):
        parse_tax_rate("5%")


# --- encodings ---------------------------------------------------------------------------

SBI = (
    '"日付","内容","出金金額(円)","入金金額(円)","残高(円)","メモ"\r\n'
    '"2022/01/16","利息",,"1","190,001","-"\r\n'
    '"2022/01/05","振替　ＳＢＩ証券","10,000",,"190,000","-"\r\n'
)


@pytest.mark.parametrize("encoding", ["cp932", "utf-8", "utf-8-sig"])
def test_same_lines_from_cp932_utf8_and_bom(encoding: str) -> None:
    good, bad = run(SBI.encode(encoding), "sbi_sumishin")
    assert bad == []
    assert good == [
        ParsedLine(2, date(2022, 1, 16), "利息", "", 1, 190001, None, "-"),
        ParsedLine(3, date(2022, 1, 5), "振替　ＳＢＩ証券", "", -10000, 190000, None, "-"),
    ]


def test_detected_encoding() -> None:
    assert decode(SBI.encode("cp932"))[1] == "cp932"
    assert decode(SBI.encode("utf-8"))[1] == "utf-8"


def test_bytes_in_no_encoding_are_refused_with_their_line() -> None:
    data = SBI.encode("utf-8") + b'"2022/01/06","\xff\xfe bad",,"1","2","-"\r\n'
    with pytest.raises(FileRejected) as exc:
        list(parse(data, LAYOUTS["sbi_sumishin"].mapping))
    assert exc.value.error == RowError(
        4,
        None,
        f"byte 0xff at offset {len(SBI.encode('utf-8')) + 14} is neither UTF-8 "
        "nor Shift_JIS (cp932)",
    )


def test_empty_file() -> None:
    with pytest.raises(FileRejected) as exc:
        list(parse(b"", LAYOUTS["mufg"].mapping))
    assert exc.value.error == RowError(1, None, "the file is empty")
    with pytest.raises(FileRejected):
        list(parse(b"\r\n  \r\n", LAYOUTS["mufg"].mapping))


def test_header_only_file_has_no_lines() -> None:
    good, bad = run(SBI.splitlines()[0].encode("cp932"), "sbi_sumishin")
    assert good == []
    assert bad == [RowError(1, None, "no statement lines in the file")]


# --- layouts -----------------------------------------------------------------------------

MUFG = (
    '"日付","摘要","摘要内容","支払い金額","預かり金額","差引残高","メモ","未資金化区分","入払区分"\r\n'
    '"2012/6/22","振込ＩＢ１","テスト　タロウ","2,000","","14,998,000","","","振替支払い"\r\n'
    '"2012/6/22","カード","","8,000","","14,990,000","","","支払い"\r\n'
    '"2012/6/25","振込","ﾄｳｷﾖｳﾃﾞﾝﾘﾖｸ","","120,000","15,110,000","","","入金"\r\n'
)


def test_mufg_layout() -> None:
    good, bad = run(MUFG.encode("cp932"), "mufg")
    assert bad == []
    assert [(g.line_no, g.txn_date, g.description, g.counterparty, g.amount) for g in good] == [
        (2, date(2012, 6, 22), "振込ＩＢ１", "テスト　タロウ", -2000),
        (3, date(2012, 6, 22), "カード", "", -8000),
        (4, date(2012, 6, 25), "振込", "ﾄｳｷﾖｳﾃﾞﾝﾘﾖｸ", 120000),
    ]
    assert [g.balance for g in good] == [14998000, 14990000, 15110000]


def test_mufg_older_six_column_download() -> None:
    data = '"日付","摘要","摘要内容","支払い金額","預かり金額","差引残高"\r\n"2023/6/2","デビット１","ＵＢＥＲ","3,960","","4,121,155"\r\n'
    good, bad = run(data.encode("cp932"), "mufg")
    assert bad == []
    assert good[0].amount == -3960


VIEW_CARD = (
    "会員番号,****-****-****-1234\n"
    "対象カード,「ビュー・スイカ｣カード\n"
    "お支払日,2020年05月07日\n"
    '今回お支払金額,"3,524"\n'
    "\n"
    "ご利用年月日,ご利用箇所,ご利用額,払戻額,ご請求額（うち手数料・利息）,支払区分（回数）,"
    "今回回数,今回ご請求額・弁済金（うち手数料・利息）,現地通貨額,通貨略称,換算レート\n"
    "****-****-****-1234 テスト　ユーザー\n"
    '2020/03/21,板橋駅　オートチャージ,"3,000",,"3,000",１回払,,"3,000",,   ,\n'
    "2020/03/31,カード年会費,524,,524,１回払,,524,,   ,\n"
)


def test_view_card_layout_skips_preamble_and_holder_line() -> None:
    good, bad = run(VIEW_CARD.encode("cp932"), "view_card")
    assert bad == []
    assert [(g.line_no, g.txn_date, g.description, g.amount) for g in good] == [
        (8, date(2020, 3, 21), "板橋駅　オートチャージ", -3000),
        (9, date(2020, 3, 31), "カード年会費", -524),
    ]


def test_view_card_without_its_header_row() -> None:
    good, bad = run("2020/03/21,x,1,,1,1,,1,,,\n".encode("cp932"), "view_card")
    assert good == []
    assert bad == [RowError(1, 1, "no header row starting 'ご利用年月日' found")]


def test_receipts_layout() -> None:
    data = '日付,取引先,金額,税率,摘要\n令和8年4月3日,スーパー三河,"¥1,080",8%,食料品\nR8.4.5,文具のヤマダ,550円,１０％,ボールペン\n'
    good, bad = run(data.encode("utf-8"), "receipts")
    assert bad == []
    assert [(g.txn_date, g.counterparty, g.amount, g.tax_rate, g.description) for g in good] == [
        (date(2026, 4, 3), "スーパー三河", -1080, 8, "食料品"),
        (date(2026, 4, 5), "文具のヤマダ", -550, 10, "ボールペン"),
    ]


def test_custom_mapping_with_one_signed_amount_column() -> None:
    mapping = ColumnMapping(date=2, description=3, amount=1, header_rows=0)
    data = '"(1,000)",20260401,家賃\n"▲2,000",2026-04-02,電気\n"5,000",R8.4.3,入金\n'
    good, bad = run(data.encode("cp932"), mapping)
    assert bad == []
    assert [(g.line_no, g.txn_date, g.amount) for g in good] == [
        (1, date(2026, 4, 1), -1000),
        (2, date(2026, 4, 2), -2000),
        (3, date(2026, 4, 3), 5000),
    ]


# --- malformed rows: exact line, column, reason ----------------------------------------------


def test_every_bad_row_is_reported_with_line_column_and_reason() -> None:
    data = (
        '"日付","内容","出金金額(円)","入金金額(円)","残高(円)","メモ"\r\n'
        '"2026/04/01","ok","1,000",,"9,000","-"\r\n'  # 2 good
        '"2026/04/02","short","1,000"\r\n'  # 3 wrong column count
        '"2026/13/02","bad date","1,000",,"8,000","-"\r\n'  # 4
        '"2026/04/03","bad amount","1,0x0",,"7,000","-"\r\n'  # 5
        '"2026/04/04","both","1,000","2,000","8,000","-"\r\n'  # 6
        '"2026/04/05","neither",,,"8,000","-"\r\n'  # 7
        '"2026/04/06","bad balance","1",,"abc","-"\r\n'  # 8
        '"2026/04/07","multi\r\nline memo",,"500","8,500","-"\r\n'  # 9-10 good
        '"2026/04/08","after","1",,"8,499","-","extra"\r\n'  # 11 too many columns
    )
    good, bad = run(data.encode("cp932"), "sbi_sumishin")
    assert [g.line_no for g in good] == [2, 9]
    assert bad == [
        RowError(3, None, "expected 6 columns, found 3"),
        RowError(4, 1, "not a date: '2026/13/02'"),
        RowError(5, 3, "not an amount: '1,0x0'"),
        RowError(6, 4, "both withdrawal and deposit are filled in"),
        RowError(7, 3, "neither withdrawal nor deposit is filled in"),
        RowError(8, 5, "not an amount: 'abc'"),
        RowError(11, None, "expected 6 columns, found 7"),
    ]


def test_unterminated_quote_is_a_row_error() -> None:
    data = '"日付","内容","出金金額(円)","入金金額(円)","残高(円)","メモ"\n"2026/04/01,"x",1,,1,-\n'
    good, bad = run(data.encode("utf-8"), "sbi_sumishin")
    assert good == []
    assert len(bad) >= 1
    assert bad[0].line == 2


def test_mapping_checks() -> None:
    assert ColumnMapping(date=1).check() == (
        "map an amount column, or withdrawal and/or deposit columns"
    )
    assert ColumnMapping(date=1, amount=2, deposit=3).check() == (
        "map either one amount column or withdrawal/deposit columns, not both"
    )
    assert ColumnMapping(date=1, amount=1).check() == "a column is mapped twice"
    assert ColumnMapping(date=1, amount=5, columns=4).check() == (
        "column 5 is mapped but rows have 4 columns"
    )
    assert ColumnMapping(date=1, amount=2).check() is None


# --- 全銀協 入出金取引明細 (03) ----------------------------------------------------------------


def _field(value: str | int, width: int, numeric: bool = False) -> bytes:
    raw = (str(value).rjust(width, "0") if numeric else str(value)).encode("cp932")
    return raw.ljust(width, b" ")


def zengin_header() -> bytes:
    rec = b"1" + b"03" + b"0" + _field("080401", 6) + _field("080401", 6) + _field("080430", 6)
    rec += _field("0005", 4) + _field("ﾐﾂﾋﾞｼUFJ", 15) + _field("001", 3) + _field("ﾎﾝﾃﾝ", 15)
    rec += b" " * 3 + b"1" + _field("1234567", 10, True) + _field("ｶ)ﾀﾞｲｺｳ", 40)
    rec += b"0" + b"1" + _field(1_000_000, 14, True)
    return rec.ljust(200, b" ")


def zengin_data(
    no: int, yymmdd: str, direction: str, amount: int, remitter: str, summary: str
) -> bytes:
    rec = b"2" + _field(no, 8, True) + _field(yymmdd, 6) + _field(yymmdd, 6) + direction.encode()
    rec += b"11" + _field(amount, 12, True) + _field(0, 12, True) + b" " * 12 + b"0"
    rec += b" " * 7 + b"   " + _field("", 10) + _field(remitter, 48) + _field("", 15)
    rec += _field("", 15) + _field(summary, 20) + _field("", 20) + b" "
    assert len(rec) == 200, len(rec)
    return rec


def zengin_trailer(ins: int, in_sum: int, outs: int, out_sum: int) -> bytes:
    rec = b"8" + _field(ins, 6, True) + _field(in_sum, 13, True) + _field(outs, 6, True)
    rec += _field(out_sum, 13, True) + b"0" + _field(0, 14, True) + _field(ins + outs, 7, True)
    return rec.ljust(200, b" ")


def zengin_file(*data: bytes, trailer: bytes | None = None, newline: bytes = b"\r\n") -> bytes:
    trailer = trailer if trailer is not None else zengin_trailer(1, 50000, 1, 3300)
    end = b"9".ljust(200, b" ")
    return newline.join([zengin_header(), *data, trailer, end]) + newline


def test_zengin_03_records_with_and_without_line_breaks() -> None:
    records = (
        zengin_data(1, "080401", "1", 50000, "ｶ)ｻﾝﾌﾟﾙｼﾖｳｼﾞ", "ﾌﾘｺﾐ"),
        zengin_data(2, "080402", "2", 3300, "", "ﾃｽｳﾘﾖｳ"),
    )
    for newline in (b"\r\n", b""):
        good, bad = run(zengin_file(*records, newline=newline), "zengin_03")
        assert bad == []
        assert [(g.line_no, g.txn_date, g.counterparty, g.description, g.amount) for g in good] == [
            (2, date(2026, 4, 1), "ｶ)ｻﾝﾌﾟﾙｼﾖｳｼﾞ", "ﾌﾘｺﾐ", 50000),
            (3, date(2026, 4, 2), "", "ﾃｽｳﾘﾖｳ", -3300),
        ]


def test_zengin_03_heisei_date_and_errors() -> None:
    records = (
        zengin_data(1, "310430", "1", 50000, "A", "B"),  # H31.4.30: before 令和
        zengin_data(2, "081340", "2", 3300, "", "X"),  # month 13
        zengin_data(3, "080402", "3", 3300, "", "X"),  # no such direction
        zengin_data(4, "080402", "2", 1, "", "X")[:150],  # short record
    )
    good, bad = run(zengin_file(*records), "zengin_03")
    assert [(g.line_no, g.txn_date) for g in good] == [(2, date(2019, 4, 30))]
    assert bad == [
        RowError(3, 3, "not a date: '081340'"),
        RowError(4, 5, "入払区分 must be 1 (入金) or 2 (出金)"),
        RowError(5, None, "record is 150 bytes, expected 200"),
        RowError(
            6,
            None,
            "trailer totals (deposits count/sum, withdrawals count/sum) "
            "(1, 50000, 1, 3300) differ from the data records (1, 50000, 0, 0)",
        ),
    ]


def test_zengin_03_wrong_kind_and_empty() -> None:
    header = b"1" + b"01" + zengin_header()[3:]
    _good, bad = run(header + b"\r\n" + b"9".ljust(200, b" "), "zengin_03")
    assert bad == [RowError(1, 2, "種別コード is '01', not 03")]
    assert run(b"", "zengin_03") == ([], [RowError(1, None, "the file is empty")])
