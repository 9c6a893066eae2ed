"""Zengin 給与振込 file, byte for byte (domain notes §1.16): the expected records are
written out by hand, kana as their cp932 bytes (half-width katakana 0xA1–0xDF)."""

from __future__ import annotations

import datetime as dt

import pytest

from daiko.errors import InvalidInput
from daiko.payroll.zengin import (
    KIND_BONUS,
    KIND_SALARY,
    ZenginHeader,
    ZenginTransfer,
    build_transfer_file,
    check_transfer_file,
    to_zengin_kana,
)

HEADER = ZenginHeader(
    kind=KIND_SALARY,
    company_code="1234567890",
    company_name_kana="カブシキガイシャ ダイコウ",  # 株式会社 → "ｶ)" prefix
    transfer_date=dt.date(2026, 10, 23),
    bank_code="0001",
    bank_name_kana="ミズホ",
    branch_code="001",
    branch_name_kana="ホンテン",
    account_type=1,
    account_number="7654321",
)
TRANSFERS = [
    ZenginTransfer(
        bank_code="0005",
        branch_code="123",
        account_type=1,
        account_number="12345",
        holder_name_kana="ヤマダ タロウ",
        amount=278_640,
        customer_code1="0001",
    ),
    ZenginTransfer(
        bank_code="0009",
        branch_code="456",
        account_type=2,
        account_number="7000001",
        # Small kana become large, dakuten take a byte each, and the name is cut at 30.
        holder_name_kana="ジョン・スミス・ガルシア・ロドリゲス・ペレス・ジュニア",
        amount=1_500_000,
    ),
]

SP = b" "
EXPECTED_HEADER = (
    b"1" + b"11" + b"0" + b"1234567890"
    + b"\xb6)\xc0\xde\xb2\xba\xb3" + SP * 33  # ｶ)ﾀﾞｲｺｳ
    + b"1023"
    + b"0001" + b"\xd0\xbd\xde\xce" + SP * 11  # ﾐｽﾞﾎ
    + b"001" + b"\xce\xdd\xc3\xdd" + SP * 11  # ﾎﾝﾃﾝ
    + b"1" + b"7654321" + SP * 17
)  # fmt: skip
EXPECTED_DATA_1 = (
    b"2" + b"0005" + SP * 15 + b"123" + SP * 15 + SP * 4
    + b"1" + b"0012345"
    + b"\xd4\xcf\xc0\xde \xc0\xdb\xb3" + SP * 22  # ﾔﾏﾀﾞ ﾀﾛｳ (8 bytes)
    + b"0000278640" + b"0" + b"0000000001" + SP * 10 + SP * 9
)  # fmt: skip
EXPECTED_DATA_2 = (
    b"2" + b"0009" + SP * 15 + b"456" + SP * 15 + SP * 4
    + b"2" + b"7000001"
    # ｼﾞﾖﾝ.ｽﾐｽ.ｶﾞﾙｼｱ.ﾛﾄﾞﾘｹﾞｽ.ﾍﾟﾚｽ.ｼﾞ (30 bytes; ﾕﾆｱ cut)
    + b"\xbc\xde\xd6\xdd.\xbd\xd0\xbd.\xb6\xde\xd9\xbc\xb1.\xdb\xc4\xde\xd8\xb9\xde\xbd."
    + b"\xcd\xdf\xda\xbd.\xbc\xde"
    + b"0001500000" + b"0" + SP * 10 + SP * 10 + SP * 9
)  # fmt: skip
EXPECTED_TRAILER = b"8" + b"000002" + b"000001778640" + SP * 101
EXPECTED_END = b"9" + SP * 119


def test_salary_file_is_byte_exact() -> None:
    data = build_transfer_file(HEADER, TRANSFERS)
    expected = b"\r\n".join(
        [EXPECTED_HEADER, EXPECTED_DATA_1, EXPECTED_DATA_2, EXPECTED_TRAILER, EXPECTED_END]
    )
    for record in (EXPECTED_HEADER, EXPECTED_DATA_1, EXPECTED_DATA_2, EXPECTED_TRAILER):
        assert len(record) == 120
    assert data == expected + b"\r\n"


def test_bonus_file_has_kind_12_and_can_drop_line_breaks() -> None:
    header = ZenginHeader(**{**HEADER.__dict__, "kind": KIND_BONUS})
    data = build_transfer_file(header, TRANSFERS[:1], line_breaks=False)
    assert len(data) == 4 * 120
    assert data[:4] == b"1120"
    totals = check_transfer_file(data)
    assert (totals.count, totals.total) == (1, 278_640)


def test_the_trailer_is_checked_against_the_data_records() -> None:
    good = build_transfer_file(HEADER, TRANSFERS)
    assert check_transfer_file(good).total == 1_778_640
    records = good.split(b"\r\n")
    records[3] = b"8" + b"000002" + b"000001778641" + SP * 101
    with pytest.raises(ValueError, match="trailer total 1778641 ≠ 1778640"):
        check_transfer_file(b"\r\n".join(records))
    records[3] = b"8" + b"000003" + b"000001778640" + SP * 101
    with pytest.raises(ValueError, match="trailer count 3 ≠ 2 data records"):
        check_transfer_file(b"\r\n".join(records))


@pytest.mark.parametrize(
    ("text", "kana"),
    [
        ("やまだ はなこ", "ﾔﾏﾀﾞ ﾊﾅｺ"),
        ("キャシー", "ｷﾔｼ-"),
        ("ﾊﾟﾋﾟﾌﾟ", "ﾊﾟﾋﾟﾌﾟ"),
        ("smith john", "SMITH JOHN"),
        ("ダイコウ カブシキガイシャ", "ﾀﾞｲｺｳ(ｶ"),
    ],
)
def test_names_become_bank_kana(text: str, kana: str) -> None:
    assert to_zengin_kana(text) == kana


def test_kanji_is_refused_with_the_field_named() -> None:
    with pytest.raises(InvalidInput) as exc:
        build_transfer_file(
            HEADER, [ZenginTransfer(**{**TRANSFERS[0].__dict__, "holder_name_kana": "山田"})]
        )
    assert exc.value.errors == [
        {
            "field": "transfers[0].holder_name_kana",
            "reason": "characters a bank transfer file cannot carry: '山田'",
        }
    ]


def test_amounts_and_codes_are_validated() -> None:
    with pytest.raises(InvalidInput, match=r"transfers\[0\].amount"):
        build_transfer_file(HEADER, [ZenginTransfer(**{**TRANSFERS[0].__dict__, "amount": 0})])
    with pytest.raises(InvalidInput, match=r"transfers\[0\].bank_code: must be at most 4 digits"):
        build_transfer_file(
            HEADER, [ZenginTransfer(**{**TRANSFERS[0].__dict__, "bank_code": "00A5"})]
        )
