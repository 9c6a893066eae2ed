"""The 47 prefectures, JIS X 0401, and every way a tenant file may name one."""

from __future__ import annotations

import pytest

from daiko.tenancy.prefectures import (
    PREFECTURES,
    Prefecture,
    find_prefecture,
    lookup_prefecture,
    prefecture_by_code,
)


def test_there_are_47_numbered_01_to_47_in_order() -> None:
    assert len(PREFECTURES) == 47
    assert [p.code for p in PREFECTURES] == [f"{n:02d}" for n in range(1, 48)]
    assert len({p.kanji for p in PREFECTURES}) == 47
    assert len({p.romaji for p in PREFECTURES}) == 47


def test_suffixes() -> None:
    assert [p.kanji for p in PREFECTURES if p.kanji[-1] != "県"] == [
        "北海道",
        "東京都",
        "京都府",
        "大阪府",
    ]
    assert prefecture_by_code("13").romaji_suffix == "to"
    assert prefecture_by_code("27").romaji_suffix == "fu"
    assert prefecture_by_code("23").romaji_suffix == "ken"
    assert prefecture_by_code("01").romaji_suffix == ""


@pytest.mark.parametrize(
    "expected",
    [
        ("01", "北海道", "Hokkaido"),
        ("02", "青森県", "Aomori"),
        ("07", "福島県", "Fukushima"),
        ("08", "茨城県", "Ibaraki"),
        ("10", "群馬県", "Gunma"),
        ("13", "東京都", "Tokyo"),
        ("14", "神奈川県", "Kanagawa"),
        ("23", "愛知県", "Aichi"),
        ("26", "京都府", "Kyoto"),
        ("27", "大阪府", "Osaka"),
        ("28", "兵庫県", "Hyogo"),
        ("30", "和歌山県", "Wakayama"),
        ("39", "高知県", "Kochi"),
        ("40", "福岡県", "Fukuoka"),
        ("44", "大分県", "Oita"),
        ("46", "鹿児島県", "Kagoshima"),
        ("47", "沖縄県", "Okinawa"),
    ],
)
def test_codes_names_and_romaji(expected: tuple[str, str, str]) -> None:
    assert prefecture_by_code(expected[0]) == expected
    assert isinstance(prefecture_by_code(expected[0]), Prefecture)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("13", "13"),
        (13, "13"),
        ("01", "01"),
        ("1", "01"),
        (1, "01"),
        ("４７", "47"),
        ("東京都", "13"),
        ("東京", "13"),
        ("京都府", "26"),
        ("京都", "26"),
        ("北海道", "01"),
        ("神奈川", "14"),
        (" 大阪府\u3000", "27"),
        ("Tokyo", "13"),
        ("tokyo", "13"),
        ("TOKYO", "13"),
        ("Tokyo-to", "13"),
        ("tokyo to", "13"),
        ("Tōkyō", "13"),
        ("Toukyou", "13"),
        ("ｔｏｋｙｏ", "13"),
        ("Osaka-fu", "27"),
        ("Ōsaka", "27"),
        ("Kyoto-Fu", "26"),
        ("Aichi-ken", "23"),
        ("aichi_ken", "23"),
        ("Aichi Prefecture", "23"),
        ("Hokkaido", "01"),
        ("Hokkai-do", "01"),
        ("Hyōgo", "28"),
        ("Kōchi-ken", "39"),
        ("Ooita", "44"),
    ],
)
def test_find_by_code_kanji_or_romaji(text: str | int, code: str) -> None:
    found = find_prefecture(text)
    assert found is not None
    assert found.code == code
    assert lookup_prefecture(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "0",
        "00",
        "48",
        "013",
        "-13",
        "北海",
        "東京県",
        "Tokyo-ken",
        "Osaka-to",
        "Tokio",
        "Edo",
    ],
)
def test_unknown_names_find_nothing(text: str) -> None:
    assert find_prefecture(text) is None


def test_lookup_names_the_unknown_input() -> None:
    with pytest.raises(LookupError, match="unknown prefecture 'Tokio'"):
        lookup_prefecture("Tokio")


def test_by_code_wants_the_two_digit_code() -> None:
    with pytest.raises(KeyError):
        prefecture_by_code("1")
    with pytest.raises(KeyError):
        prefecture_by_code("48")


def test_every_prefecture_is_found_by_each_of_its_names() -> None:
    for p in PREFECTURES:
        names: list[str | int] = [p.code, p.kanji, p.romaji, p.romaji.upper(), int(p.code)]
        if p.romaji_suffix:
            names += [p.kanji[:-1], f"{p.romaji}-{p.romaji_suffix}"]
        for name in names:
            assert find_prefecture(name) == p, name
