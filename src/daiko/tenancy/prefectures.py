"""The 47 prefectures (都道府県) with their JIS X 0401 codes.

The prefecture of a client's establishment picks its 協会けんぽ branch and so its health
insurance rate; tenant files may name it by code, kanji or romaji, and we store the code.
"""

from __future__ import annotations

import unicodedata
from typing import Final, NamedTuple

__all__ = [
    "PREFECTURES",
    "Prefecture",
    "find_prefecture",
    "lookup_prefecture",
    "prefecture_by_code",
]


class Prefecture(NamedTuple):
    """都道府県: JIS X 0401 code ("01".."47"), kanji name with its suffix, romaji name."""

    code: str
    kanji: str
    romaji: str

    @property
    def romaji_suffix(self) -> str:
        """ "to", "fu", "ken", or "" for Hokkaido (whose 道 is part of the name)."""
        return {"都": "to", "府": "fu", "県": "ken"}.get(self.kanji[-1], "")


PREFECTURES: Final[tuple[Prefecture, ...]] = tuple(
    Prefecture(f"{index:02d}", kanji, romaji)
    for index, (kanji, romaji) in enumerate(
        [
            ("北海道", "Hokkaido"),
            ("青森県", "Aomori"),
            ("岩手県", "Iwate"),
            ("宮城県", "Miyagi"),
            ("秋田県", "Akita"),
            ("山形県", "Yamagata"),
            ("福島県", "Fukushima"),
            ("茨城県", "Ibaraki"),
            ("栃木県", "Tochigi"),
            ("群馬県", "Gunma"),
            ("埼玉県", "Saitama"),
            ("千葉県", "Chiba"),
            ("東京都", "Tokyo"),
            ("神奈川県", "Kanagawa"),
            ("新潟県", "Niigata"),
            ("富山県", "Toyama"),
            ("石川県", "Ishikawa"),
            ("福井県", "Fukui"),
            ("山梨県", "Yamanashi"),
            ("長野県", "Nagano"),
            ("岐阜県", "Gifu"),
            ("静岡県", "Shizuoka"),
            ("愛知県", "Aichi"),
            ("三重県", "Mie"),
            ("滋賀県", "Shiga"),
            ("京都府", "Kyoto"),
            ("大阪府", "Osaka"),
            ("兵庫県", "Hyogo"),
            ("奈良県", "Nara"),
            ("和歌山県", "Wakayama"),
            ("鳥取県", "Tottori"),
            ("島根県", "Shimane"),
            ("岡山県", "Okayama"),
            ("広島県", "Hiroshima"),
            ("山口県", "Yamaguchi"),
            ("徳島県", "Tokushima"),
            ("香川県", "Kagawa"),
            ("愛媛県", "Ehime"),
            ("高知県", "Kochi"),
            ("福岡県", "Fukuoka"),
            ("佐賀県", "Saga"),
            ("長崎県", "Nagasaki"),
            ("熊本県", "Kumamoto"),
            ("大分県", "Oita"),
            ("宮崎県", "Miyazaki"),
            ("鹿児島県", "Kagoshima"),
            ("沖縄県", "Okinawa"),
        ],
        start=1,
    )
)

_BY_CODE: Final = {p.code: p for p in PREFECTURES}


def _fold_romaji(text: str) -> str:
    """Case, macrons (Tōkyō), long-vowel spellings (Toukyou, Ooita) and separators folded."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    words = plain.replace("_", " ").replace("-", " ").split()
    if words and words[-1] == "prefecture":
        words = words[:-1]
    folded = "-".join(words)
    return folded.replace("ou", "o").replace("oo", "o")


def _aliases(prefecture: Prefecture) -> list[str]:
    romaji = prefecture.romaji.casefold()
    names = [prefecture.kanji, romaji]
    if prefecture.romaji_suffix:
        names.append(prefecture.kanji[:-1])
        names.append(f"{romaji}-{prefecture.romaji_suffix}")
    else:
        names.append("hokkai-do")
    return names


_BY_NAME: Final = {_fold_romaji(alias): p for p in PREFECTURES for alias in _aliases(p)}


def prefecture_by_code(code: str) -> Prefecture:
    """The prefecture with this two-digit JIS X 0401 code; KeyError if there is none."""
    return _BY_CODE[code]


def find_prefecture(text: str | int) -> Prefecture | None:
    """Find a prefecture by code (13, "13", "01", "1"), kanji (東京都, 東京) or romaji
    (Tokyo, tokyo-to, Tokyo To, Tōkyō, Osaka-fu, Aichi-ken, Aichi Prefecture); else None."""
    if isinstance(text, int):
        text = str(text)
    normalized = unicodedata.normalize("NFKC", text).strip()
    if normalized.isascii() and normalized.isdigit():
        return _BY_CODE.get(f"{int(normalized):02d}") if len(normalized) <= 2 else None
    return _BY_NAME.get(_fold_romaji(normalized))


def lookup_prefecture(text: str | int) -> Prefecture:
    """Like `find_prefecture`, but raise LookupError naming the input when nothing matches."""
    found = find_prefecture(text)
    if found is None:
        raise LookupError(f"unknown prefecture {text!r}")
    return found
