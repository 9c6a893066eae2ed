"""日本年金機構 CSV records, field-exact: the expected lines are the public layout's
examples (the same records `kufu/kirico` tests against), compared as cp932 bytes."""

from __future__ import annotations

import datetime as dt

import pytest

from daiko.social_insurance.datafile import (
    BonusRecord,
    MonthIncome,
    MonthlyChangeRecord,
    Office,
    Person,
    SanteiRecord,
    era_ymd,
    half_width_kana,
    render,
)

OFFICE = Office(
    prefecture_code="21",
    area_code="14",
    office_code="ｸﾄﾜ",
    office_number="77362",
    zip_code="1060041",
    address="東京都港区麻布台1-4-3 エグゼクティブタワー麻布台601",
    name="株式会社クフ",
    owner_name="吉田　ケイ　松蔭",
    phone="03-5563-7662",
)
YOSHIDA = Person(
    insured_number="000002",
    name_kana="ﾖｼﾀﾞ ﾀﾛｳ",
    name="吉田　太郎",
    birth_date=dt.date(1984, 5, 27),
    my_number="012345678901",
    basic_pension_area="0123",
    basic_pension_serial="123456",
)


def santei() -> SanteiRecord:
    return SanteiRecord(
        person=YOSHIDA,
        applied_on=dt.date(2016, 9, 1),
        old_health=410_000,
        old_pension=200_000,
        old_applied_on=dt.date(2015, 7, 1),
        april=MonthIncome(3, 444_444, 444),
        may=MonthIncome(24, 555_555, 555),
        june=MonthIncome(17, 666_666, 666),
        raised_on=dt.date(1991, 3, 1),
        raise_kind="2",
        retroactive_month=dt.date(2019, 5, 1),
        retroactive_amount=344,
        adjusted_average=1_000,
        memo="bikoooooo",
    )


def test_santei_record_2225700_is_field_exact() -> None:
    assert santei().row(OFFICE).encode("cp932") == (
        "2225700,21,14,ｸﾄﾜ,000002,ﾖｼﾀﾞ ﾀﾛｳ,吉田　太郎,5,590527,7,28,09,"
        "0410,0200,7,27,07,03,2,05,0000344,04,05,06,03,24,17,"
        "0444444,0555555,0666666,0000444,0000555,0000666,0444888,0556110,0667332,"
        "1223442,0611721,0001000,012345678901,0123,123456,,,,,,,,,,bikoooooo,"
    ).encode("cp932")


def test_santei_excludes_short_months_and_falls_back_for_part_timers() -> None:
    r = santei()
    assert [m.days for m in r.target_months()] == [24, 17]
    assert r.average() == (555_555 + 555 + 666_666 + 666) // 2
    part = SanteiRecord(
        person=YOSHIDA,
        applied_on=dt.date(2026, 9, 1),
        old_health=200_000,
        old_pension=200_000,
        old_applied_on=dt.date(2025, 9, 1),
        april=MonthIncome(16, 100_000),
        may=MonthIncome(15, 110_000),
        june=MonthIncome(14, 120_000),
        kind="part_time",
    )
    assert part.average() == 105_000
    row = part.row(OFFICE).split(",")
    assert row[9:12] == ["9", "08", "09"]  # 令和8年9月
    assert row[-4:] == ["1", "", "", ""]  # パート flag, 年間平均, 備考, 70歳以上のみ


def test_monthly_change_record_2221700_is_field_exact() -> None:
    record = MonthlyChangeRecord(
        person=Person("17", "ｺｳﾈﾝ ｻﾌﾞﾛｳ", "厚年　三郎", dt.date(1960, 7, 8)),
        applied_on=dt.date(2019, 12, 1),
        old_health=260_000,
        old_pension=260_000,
        old_applied_on=dt.date(2019, 9, 1),
        months=(MonthIncome(31, 300_000), MonthIncome(30, 300_000), MonthIncome(31, 300_000)),
        raised_on=dt.date(2019, 9, 1),
        raise_kind="1",
        reason="基本給の変更",
    )
    office = OFFICE.__class__(**{**OFFICE.__dict__, "area_code": "57", "office_code": "ｹﾏ"})
    assert record.row(office).encode("cp932") == (
        "2221700,21,57,ｹﾏ,17,ｺｳﾈﾝ ｻﾌﾞﾛｳ,厚年　三郎,5,350708,9,01,12,0260,0260,9,01,09,09,1,,,"
        "09,10,11,31,30,31,300000,300000,300000,0,0,0,300000,300000,300000,900000,300000,"
        ",,,,,,,基本給の変更,,,"
    ).encode("cp932")


@pytest.mark.parametrize(
    ("currency", "goods", "tail"),
    [
        (444_444, 555_555, "444444,555555,999000"),
        (10_000_000, 10_000_000, "9999999,9999999,9999000"),
    ],
)
def test_bonus_record_2265700_is_field_exact(currency: int, goods: int, tail: str) -> None:
    record = BonusRecord(YOSHIDA, dt.date(2019, 9, 1), currency, goods)
    assert record.row(OFFICE).encode("cp932") == (
        "2265700,21,14,ｸﾄﾜ,000002,ﾖｼﾀﾞ ﾀﾛｳ,吉田　太郎,5,590527,9,010901,"
        f"{tail},012345678901,0123,123456,,,,"
    ).encode("cp932")


def test_whole_file_is_cp932_with_crlf_after_every_line() -> None:
    data = render(
        OFFICE,
        [BonusRecord(YOSHIDA, dt.date(2026, 6, 30), 1_234_567)],
        seq=5,
        created_on=dt.date(2017, 1, 17),
    )
    expected = (
        "21,14,ｸﾄﾜ,005,20170117,22223\r\n"
        "[kanri]\r\n"
        ",001\r\n"
        "21,14,ｸﾄﾜ,77362,106,0041,東京都港区麻布台1-4-3 エグゼクティブタワー麻布台601,"
        "株式会社クフ,吉田　ケイ　松蔭,03,5563,7662\r\n"
        "[data]\r\n"
        "2265700,21,14,ｸﾄﾜ,000002,ﾖｼﾀﾞ ﾀﾛｳ,吉田　太郎,5,590527,9,080630,"
        "1234567,0,1234000,012345678901,0123,123456,,,,\r\n"
    ).encode("cp932")
    assert data == expected
    assert data[:2] == b"21" and b"\xb8\xc4\xdc" in data  # ｸﾄﾜ as single-byte kana


def test_characters_outside_cp932_are_refused() -> None:
    person = Person("1", "ﾃｽﾄ", "𠮷田　花子", dt.date(1990, 1, 1))
    with pytest.raises(ValueError, match="cp932"):
        render(
            OFFICE, [BonusRecord(person, dt.date(2026, 6, 30), 1)], created_on=dt.date(2026, 7, 1)
        )


def test_era_dates_and_kana() -> None:
    assert era_ymd(dt.date(2019, 4, 30)) == "310430"  # 平成31年
    assert era_ymd(dt.date(2019, 5, 1)) == "010501"  # 令和元年
    assert era_ymd(dt.date(1989, 1, 7)) == "640107"  # 昭和64年
    assert half_width_kana("ヤマダ　タロウ") == "ﾔﾏﾀﾞ ﾀﾛｳ"
