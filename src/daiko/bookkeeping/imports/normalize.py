"""Cell values of Japanese statements: amounts and dates as people and banks write them.

Pure functions, no I/O. Both raise `ValueError` with a reason an operator can act on;
the parser adds the line and column.

Amounts (integer yen): `12,345`, `"¥12,345"`, `12,345円`, full-width `１２，３４５`,
negatives `-1,000`, `−1,000` (U+2212), `△1,000`, `▲1,000`, `(1,000)`, `1,000-`.
Dates: `2026/4/1`, `2026-04-01`, `20260401`, `2026.4.1`, `2026年4月1日`, `令和8年4月1日`,
`令和元年5月1日`, `R8.4.1`, `R08/04/01`, `R.08/04/01` (弥生), `H31.4.30`, `平成31年4月30日`,
`S64.1.7`, with full-width digits and an optional time after a space. An era date
outside its era (`H31.5.1`, `R1.4.30`) is refused rather than silently moved.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

# Full-width digits and signs → ASCII; the yen marks and separators we drop later.
_FULLWIDTH = str.maketrans(
    "０１２３４５６７８９，．－＋（）／　",
    "0123456789,.-+()/ ",
)
_NEGATIVE_MARKS = ("-", "−", "△", "▲")
_DROP = str.maketrans("", "", ",¥￥円 \u3000\\")


def parse_amount(raw: str) -> int | None:
    """Integer yen from a cell; None for an empty cell. Raises ValueError."""
    s = raw.strip()
    if not s:
        return None
    if s.isascii() and s.isdigit():  # the common case, no allocation beyond int()
        return int(s)
    t = s.replace(",", "")
    if t.isascii():
        if t.isdigit():
            return int(t)
        if t[0] == "-" and t[1:].isdigit():
            return -int(t[1:])
    t = s.translate(_FULLWIDTH).translate(_DROP)
    negative = False
    if t.startswith("(") and t.endswith(")"):
        negative, t = True, t[1:-1]
    if t[:1] in _NEGATIVE_MARKS:
        negative, t = True, t[1:]
    elif t[:1] == "+":
        t = t[1:]
    elif t[-1:] in ("-", "−"):
        negative, t = True, t[:-1]
    whole, dot, fraction = t.partition(".")
    if dot and fraction.strip("0"):
        raise ValueError(f"not whole yen: {raw.strip()!r}")
    if not whole or not (whole.isascii() and whole.isdigit()):
        raise ValueError(f"not an amount: {raw.strip()!r}")
    value = int(whole)
    return -value if negative else value


# Era: (first day, last day or None, offset so that western year = era year + offset).
_ERAS: dict[str, tuple[date, date | None, int]] = {
    "M": (date(1868, 1, 25), date(1912, 7, 29), 1867),
    "T": (date(1912, 7, 30), date(1926, 12, 24), 1911),
    "S": (date(1926, 12, 25), date(1989, 1, 7), 1925),
    "H": (date(1989, 1, 8), date(2019, 4, 30), 1988),
    "R": (date(2019, 5, 1), None, 2018),
}
_ERA_NAMES = {
    "明治": "M",
    "大正": "T",
    "昭和": "S",
    "平成": "H",
    "令和": "R",
    "㍾": "M",
    "㍽": "T",
    "㍼": "S",
    "㍻": "H",
    "㋿": "R",
}
_ERA_DATE = re.compile(r"^([MTSHR])\.?(\d{1,2}|元)[./\-年](\d{1,2})[./\-月](\d{1,2})日?$")
_WESTERN_DATE = re.compile(r"^(\d{4})[./\-年](\d{1,2})[./\-月](\d{1,2})日?$")


def _western(year: int, month: int, day: int, raw: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"not a date: {raw!r}") from None


def parse_date(raw: str) -> date:
    """A calendar date from a cell. Raises ValueError (empty included)."""
    s = raw.strip().translate(_FULLWIDTH)
    if " " in s:  # "2026/10/01 16:39:18": the date part
        s = s.split(" ", 1)[0]
    if not s:
        raise ValueError("empty date")
    if s.isdigit():
        if len(s) == 8:
            return _western(int(s[:4]), int(s[4:6]), int(s[6:]), raw.strip())
        raise ValueError(f"not a date: {raw.strip()!r}")
    m = _WESTERN_DATE.match(s)
    if m:
        return _western(int(m[1]), int(m[2]), int(m[3]), raw.strip())
    for name, letter in _ERA_NAMES.items():
        if s.startswith(name):
            s = letter + s[len(name) :]
            break
    s = s[:1].upper() + s[1:]
    m = _ERA_DATE.match(s)
    if not m:
        raise ValueError(f"not a date: {raw.strip()!r}")
    return era_date(m[1], 1 if m[2] == "元" else int(m[2]), int(m[3]), int(m[4]), raw.strip())


def era_date(era: str, year: int, month: int, day: int, raw: str = "") -> date:
    """A date given in a Japanese era (和暦), checked to lie within that era."""
    first, last, offset = _ERAS[era]
    if year < 1:
        raise ValueError(f"not a date: {raw!r}")
    value = _western(year + offset, month, day, raw)
    if value < first or (last is not None and value > last):
        raise ValueError(f"not a date in that era: {raw!r}")
    return value


def zengin_date(six: str, raw: str = "", *, today: date | None = None) -> date:
    """和暦 YYMMDD as 全銀 statement records carry it: 令和, unless that lies before the
    era began or more than a year ahead (then 平成: `310430` = H31.4.30, not R31)."""
    if len(six) != 6 or not six.isdigit():
        raise ValueError(f"not a date: {raw or six!r}")
    yy, mm, dd = int(six[:2]), int(six[2:4]), int(six[4:])
    horizon = (today or datetime.now(UTC).date()).replace(month=1, day=1)
    horizon = horizon.replace(year=horizon.year + 2)
    try:
        value = era_date("R", yy, mm, dd, raw or six)
    except ValueError:
        return era_date("H", yy, mm, dd, raw or six)
    if value >= horizon:
        try:
            return era_date("H", yy, mm, dd, raw or six)
        except ValueError:
            pass
    return value


def parse_tax_rate(raw: str) -> int | None:
    """Consumption-tax rate in percent: `10`, `10%`, `８％`, `軽減8%`; None when empty."""
    s = raw.strip().translate(_FULLWIDTH).replace("％", "%")
    if not s:
        return None
    digits = "".join(ch for ch in s if ch.isdigit())
    if digits not in ("0", "8", "10"):
        raise ValueError(f"not a consumption-tax rate (0, 8 or 10 %): {raw.strip()!r}")
    return int(digits)
