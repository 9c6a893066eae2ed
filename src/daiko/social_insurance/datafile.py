"""日本年金機構 電子媒体届書 CSV (届書作成仕様書), pure: records in, cp932 bytes out.

One file (`SHFD0006.CSV`) is, in order, CRLF after every line:

1. FD 管理レコード: 都道府県コード, 郡市区符号, 事業所記号, 通番 (3 digits), 作成年月日
   (YYYYMMDD), 代表届書コード `22223`;
2. `[kanri]`;
3. 事業所数情報: (blank), `001`;
4. 事業所情報: 都道府県コード, 郡市区符号, 事業所記号, 事業所番号, 郵便番号 (3 + 4),
   所在地, 名称, 事業主氏名, 電話番号 (市外局番, 局番, 番号);
5. `[data]`;
6. the data records, one a line.

The data records implemented are 2225700 (算定基礎届, from March 2018), 2221700 (月額変更
届) and 2265700 (賞与支払届), field for field as the public layout (facts cross-checked
with the MIT-licensed `kufu/kirico`). Dates are 元号 code (1 明治, 3 大正, 5 昭和, 7 平成,
9 令和) + two-digit era year, month, day; 標準報酬月額 in thousands of yen, four digits.

The layouts of 資格取得届 (2200700), 資格喪失届 (2201700) and 被扶養者(異動)届 are in the
same 仕様書 but no public transcription was found: those procedures produce the PDF
only until the 仕様書 is on hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

FILE_NAME = "SHFD0006.CSV"
MAIN_DOC_CODE = "22223"
CAP = 9_999_999

# (first day, code, letter) of the eras, newest first.
_ERAS: tuple[tuple[dt.date, str], ...] = (
    (dt.date(2019, 5, 1), "9"),
    (dt.date(1989, 1, 8), "7"),
    (dt.date(1926, 12, 25), "5"),
    (dt.date(1912, 7, 30), "3"),
    (dt.date(1868, 10, 23), "1"),
)


def era(day: dt.date) -> tuple[str, int]:
    """(元号 code, era year) of a date."""
    for start, code in _ERAS:
        if day >= start:
            return code, day.year - start.year + 1
    raise ValueError(f"{day} is before 明治")


def era_code(day: dt.date) -> str:
    return era(day)[0]


def era_year(day: dt.date) -> str:
    return f"{era(day)[1]:02d}"


def era_ymd(day: dt.date) -> str:
    return f"{era(day)[1]:02d}{day.month:02d}{day.day:02d}"


def in_thousands(amount: int) -> str:
    """標準報酬月額 in thousands of yen, rounded half up, four digits."""
    return f"{(amount + 500) // 1000:04d}"


def _cap(amount: int) -> int:
    return amount if amount < 10_000_000 else CAP


def _z(value: int, width: int) -> str:
    return str(value).rjust(width, "0")


def _s(value: object) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Office:
    prefecture_code: str  # "21"
    area_code: str  # "14"
    office_code: str  # 事業所記号, half-width: "ｸﾄﾜ"
    office_number: str  # "77362"
    zip_code: str  # "1060041"
    address: str
    name: str
    owner_name: str  # 姓　名 with a full-width space
    phone: str  # "03-5563-7662"


def fd_record(office: Office, seq: int, created_on: dt.date) -> str:
    return ",".join(
        (
            office.prefecture_code,
            office.area_code,
            office.office_code,
            _z(seq, 3),
            created_on.strftime("%Y%m%d"),
            MAIN_DOC_CODE,
        )
    )


def office_record(office: Office) -> str:
    parts = office.phone.split("-")
    if len(parts) != 3:
        raise ValueError("phone must be 市外局番-局番-番号")
    return ",".join(
        (
            office.prefecture_code,
            office.area_code,
            office.office_code,
            office.office_number,
            office.zip_code[:3],
            office.zip_code[3:],
            office.address,
            office.name,
            office.owner_name,
            *parts,
        )
    )


@dataclass(frozen=True)
class Person:
    insured_number: str  # 被保険者整理番号
    name_kana: str  # half-width katakana, family and given name split by a half-width space
    name: str  # 姓　名 with a full-width space
    birth_date: dt.date
    my_number: str | None = None
    basic_pension_area: str | None = None  # 基礎年金番号 first four digits
    basic_pension_serial: str | None = None  # its last six digits


def _person(office: Office, doc_code: str, p: Person) -> list[str]:
    return [
        doc_code,
        office.prefecture_code,
        office.area_code,
        office.office_code,
        p.insured_number,
        p.name_kana,
        p.name,
        era_code(p.birth_date),
        era_ymd(p.birth_date),
    ]


def _ids(p: Person) -> list[str]:
    return [_s(p.my_number), _s(p.basic_pension_area), _s(p.basic_pension_serial)]


def _flag(value: bool) -> str:
    return "1" if value else ""


@dataclass(frozen=True)
class MonthIncome:
    days: int  # 支払基礎日数
    currency: int  # 通貨によるもの
    goods: int = 0  # 現物によるもの

    @property
    def total(self) -> int:
        return self.currency + self.goods


@dataclass(frozen=True)
class SanteiRecord:
    """2225700 算定基礎届 (from March 2018)."""

    person: Person
    applied_on: dt.date  # 適用年月 (September of the year)
    old_health: int | None  # 従前の標準報酬月額
    old_pension: int | None
    old_applied_on: dt.date  # 従前改定月
    april: MonthIncome
    may: MonthIncome
    june: MonthIncome
    raised_on: dt.date | None = None  # 昇(降)給月
    raise_kind: str | None = None  # "1" 昇給, "2" 降給
    retroactive_month: dt.date | None = None
    retroactive_amount: int | None = None
    adjusted_average: int | None = None  # 修正平均額
    kind: str = "ordinary"  # ordinary | part_time | short_time
    seventy_and_over: bool = False
    seventy_months: str = ""
    multiple_offices: bool = False
    change_expected: bool = False  # 月額変更予定
    mid_month_hire: bool = False  # 途中入社
    leave_of_absence: bool = False  # 病休・育休・休職等
    annual_average: bool = False  # 年間平均
    memo: str = ""
    seventy_only: bool = False

    def _months(self) -> tuple[MonthIncome, MonthIncome, MonthIncome]:
        return self.april, self.may, self.june

    def target_months(self) -> list[MonthIncome]:
        """Months counted: ≥ 17 days; short-time ≥ 11; part-time ≥ 15 when no month
        reaches 17."""
        months = self._months()
        if self.kind == "short_time":
            need = 11
        elif self.kind == "part_time" and all(m.days < 17 for m in months):
            need = 15
        else:
            need = 17
        return [m for m in months if m.days >= need]

    def total(self) -> int:
        return sum(m.total for m in self.target_months())

    def average(self) -> int:
        used = self.target_months()
        return self.total() // len(used) if used else 0

    def row(self, office: Office) -> str:
        months = self._months()
        fields = [
            *_person(office, "2225700", self.person),
            era_code(self.applied_on),
            era_year(self.applied_on),
            "09",
            in_thousands(self.old_health) if self.old_health is not None else "",
            in_thousands(self.old_pension) if self.old_pension is not None else "",
            era_code(self.old_applied_on),
            era_year(self.old_applied_on),
            f"{self.old_applied_on.month:02d}",
            f"{self.raised_on.month:02d}" if self.raised_on else "",
            _s(self.raise_kind),
            f"{self.retroactive_month.month:02d}" if self.retroactive_month else "",
            _z(self.retroactive_amount, 7) if self.retroactive_amount is not None else "",
            "04",
            "05",
            "06",
            *(_z(m.days, 2) for m in months),
            *(_z(m.currency, 7) for m in months),
            *(_z(m.goods, 7) for m in months),
            *(_z(_cap(m.total), 7) for m in months),
            _z(_cap(self.total()), 7),
            _z(_cap(self.average()), 7),
            _z(self.adjusted_average, 7) if self.adjusted_average is not None else "",
            *_ids(self.person),
            _flag(self.seventy_and_over),
            self.seventy_months,
            _flag(self.multiple_offices),
            _flag(self.change_expected),
            _flag(self.mid_month_hire),
            _flag(self.leave_of_absence),
            _flag(self.kind == "short_time"),
            _flag(self.kind == "part_time"),
            _flag(self.annual_average),
            self.memo,
            _flag(self.seventy_only),
        ]
        return ",".join(fields)


@dataclass(frozen=True)
class MonthlyChangeRecord:
    """2221700 月額変更届 (and the 70歳以上被用者 version)."""

    person: Person
    applied_on: dt.date  # 改定年月 (the 4th month)
    old_health: int | None
    old_pension: int | None
    old_applied_on: dt.date
    months: tuple[MonthIncome, MonthIncome, MonthIncome]  # the three months before
    raised_on: dt.date | None = None
    raise_kind: str | None = None  # "1" 昇給, "2" 降給
    retroactive_month: dt.date | None = None
    retroactive_amount: int | None = None
    adjusted_average: int | None = None
    seventy_and_over: bool = False
    multiple_offices: bool = False
    short_time: bool = False
    reason: str = ""  # 昇(降)給の理由
    health_only: bool = False  # 健康保険のみ月額変更
    memo: str = ""
    seventy_only: bool = False

    def total(self) -> int:
        return sum(m.total for m in self.months)

    def row(self, office: Office) -> str:
        first = _add_months(self.applied_on, -3)
        fields = [
            *_person(office, "2221700", self.person),
            era_code(self.applied_on),
            era_year(self.applied_on),
            f"{self.applied_on.month:02d}",
            in_thousands(self.old_health) if self.old_health is not None else "",
            in_thousands(self.old_pension) if self.old_pension is not None else "",
            era_code(self.old_applied_on),
            era_year(self.old_applied_on),
            f"{self.old_applied_on.month:02d}",
            f"{self.raised_on.month:02d}" if self.raised_on else "",
            _s(self.raise_kind),
            f"{self.retroactive_month.month:02d}" if self.retroactive_month else "",
            _s(self.retroactive_amount),
            *(f"{_add_months(first, i).month:02d}" for i in range(3)),
            *(_z(m.days, 2) for m in self.months),
            *(str(m.currency) for m in self.months),
            *(str(m.goods) for m in self.months),
            *(str(_cap(m.total)) for m in self.months),
            str(_cap(self.total())),
            str(_cap(self.total() // 3)),
            _s(self.adjusted_average),
            *_ids(self.person),
            _flag(self.seventy_and_over),
            _flag(self.multiple_offices),
            _flag(self.short_time),
            self.reason,
            _flag(self.health_only),
            self.memo,
            _flag(self.seventy_only),
        ]
        return ",".join(fields)


@dataclass(frozen=True)
class BonusRecord:
    """2265700 賞与支払届."""

    person: Person
    paid_on: dt.date
    currency: int
    goods: int = 0
    seventy_and_over: bool = False
    multiple_offices: bool = False
    first_payment_day: str = ""  # 同一月内の複数回支給: the first payment's day, 2 digits
    seventy_only: bool = False

    def standard_bonus(self) -> int:
        """標準賞与額 on the form: the total with thousands truncated (9,999,000 cap)."""
        total = self.currency + self.goods
        return 9_999_000 if total >= 10_000_000 else total - total % 1000

    def row(self, office: Office) -> str:
        fields = [
            *_person(office, "2265700", self.person),
            era_code(self.paid_on),
            era_ymd(self.paid_on),
            str(_cap(self.currency)),
            str(_cap(self.goods)),
            str(self.standard_bonus()),
            *_ids(self.person),
            _flag(self.seventy_and_over),
            _flag(self.multiple_offices),
            self.first_payment_day,
            _flag(self.seventy_only),
        ]
        return ",".join(fields)


Record = SanteiRecord | MonthlyChangeRecord | BonusRecord


def render(
    office: Office, records: Sequence[Record], *, seq: int = 1, created_on: dt.date
) -> bytes:
    """The whole file, cp932, CRLF after every line. A character cp932 cannot hold is a
    `ValueError` naming it (the 仕様チェックプログラム would refuse the file)."""
    if not records:
        raise ValueError("a data file needs at least one record")
    lines = [
        fd_record(office, seq, created_on),
        "[kanri]",
        ",001",
        office_record(office),
        "[data]",
        *(r.row(office) for r in records),
    ]
    text = "".join(line + "\r\n" for line in lines)
    try:
        return text.encode("cp932")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{text[exc.start : exc.end]!r} cannot be written in Shift_JIS (cp932)"
        ) from None


def _add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def half_width_kana(text: str) -> str:
    """Full-width katakana → half-width (the フリガナ fields are half-width)."""
    import jaconv

    out: str = jaconv.z2h(text, kana=True, ascii=False, digit=False)
    return out.replace("\u3000", " ")
