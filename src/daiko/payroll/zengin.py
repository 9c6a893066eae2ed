"""全銀協 (Zengin) salary/bonus transfer file: 給与振込 (種別 11) and 賞与振込 (種別 12).

Fixed-length records of 120 bytes, cp932 (JIS X 0201 half-width katakana, upper-case
Latin letters, digits and a few symbols), CR+LF after each record (a bank option can
drop them). Record 1 is the header, 2 one transfer each, 8 the trailer (count and
total, re-checked after writing), 9 the end. Numeric fields are right-aligned and
zero-filled, text fields left-aligned and space-filled and cut at their width in bytes;
a dakuten (ﾞ) or handakuten (ﾟ) is its own byte and counts toward the width.

Pure: no I/O. Layout in `shared/domain/japan-2026.md` §1.16.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import jaconv

from daiko.errors import InvalidInput

RECORD_BYTES = 120
KIND_SALARY = 11  # 給与振込
KIND_BONUS = 12  # 賞与振込
ACCOUNT_TYPES = (1, 2, 4, 9)  # 普通, 当座, 貯蓄, その他

# Small kana are not allowed in names: the bank expects their large forms.
_SMALL_TO_LARGE = str.maketrans("ｧｨｩｪｫｬｭｮｯ", "ｱｲｳｴｵﾔﾕﾖﾂ")
# Symbols banks reject, replaced by the ones they take.
_SYMBOLS = str.maketrans({"ｰ": "-", "･": ".", "、": ",", "。": ".", "‐": "-", "－": "-"})
_ALLOWED = re.compile(r"^[0-9A-Z\uff66-\uff9f ().,\-/\\｢｣]*$")
_LEGAL_ENTITIES = (  # 法人略語: the usual abbreviations in account names
    ("カブシキガイシャ", "ｶ"),
    ("ユウゲンガイシャ", "ﾕ"),
    ("ゴウドウガイシャ", "ﾄﾞ"),
)


def to_zengin_kana(text: str, field: str = "name") -> str:
    """Half-width katakana as banks accept them: hiragana and full-width katakana to
    half-width (dakuten as their own character), small kana to large, Latin letters
    upper-case. Anything outside the bank's character set (kanji) is a 422."""
    value = jaconv.hira2kata(text.strip())
    for word, short in _LEGAL_ENTITIES:
        if value.startswith(word):
            value = f"{short})" + value[len(word) :].lstrip("　 ")
        elif value.endswith(word):
            value = value[: -len(word)].rstrip("　 ") + f"({short}"
    value = jaconv.z2h(value, kana=True, ascii=True, digit=True)
    value = value.translate(_SMALL_TO_LARGE).translate(_SYMBOLS).upper()
    value = re.sub(r" {2,}", " ", value)
    if not _ALLOWED.match(value):
        bad = sorted({c for c in value if not _ALLOWED.match(c)})
        raise InvalidInput.field(
            field, f"characters a bank transfer file cannot carry: {''.join(bad)!r}"
        )
    return value


def _text(value: str, width: int) -> bytes:
    raw = value.encode("cp932")[:width]
    return raw + b" " * (width - len(raw))


def _num(value: int | str, width: int, field: str) -> bytes:
    text = str(value)
    if not text.isdigit() or len(text) > width:
        raise InvalidInput.field(field, f"must be at most {width} digits, got {text!r}")
    return text.rjust(width, "0").encode("ascii")


@dataclass(frozen=True)
class ZenginHeader:
    """The paying company (委託者) and its account."""

    kind: int  # 11 給与, 12 賞与
    company_code: str  # 委託者コード, N10, assigned by the bank
    company_name_kana: str
    transfer_date: date  # 振込指定日 (payday)
    bank_code: str  # N4
    bank_name_kana: str
    branch_code: str  # N3
    branch_name_kana: str
    account_type: int  # 1 普通, 2 当座
    account_number: str  # N7


@dataclass(frozen=True)
class ZenginTransfer:
    """One employee's transfer."""

    bank_code: str
    branch_code: str
    account_type: int
    account_number: str
    holder_name_kana: str
    amount: int
    bank_name_kana: str = ""
    branch_name_kana: str = ""
    new_code: int = 0  # 1 first transfer, 2 changed, 0 other
    customer_code1: str = ""  # 社員番号
    customer_code2: str = ""  # 所属コード


def header_record(h: ZenginHeader) -> bytes:
    if h.kind not in (KIND_SALARY, KIND_BONUS):
        raise InvalidInput.field("kind", "種別 must be 11 (給与) or 12 (賞与)")
    if h.account_type not in (1, 2):
        raise InvalidInput.field("account_type", "must be 1 (普通) or 2 (当座)")
    record = b"".join(
        (
            b"1",
            _num(h.kind, 2, "kind"),
            b"0",
            _num(h.company_code, 10, "company_code"),
            _text(to_zengin_kana(h.company_name_kana, "company_name_kana"), 40),
            _num(h.transfer_date.strftime("%m%d"), 4, "transfer_date"),
            _num(h.bank_code, 4, "bank_code"),
            _text(to_zengin_kana(h.bank_name_kana, "bank_name_kana"), 15),
            _num(h.branch_code, 3, "branch_code"),
            _text(to_zengin_kana(h.branch_name_kana, "branch_name_kana"), 15),
            _num(h.account_type, 1, "account_type"),
            _num(h.account_number, 7, "account_number"),
            b" " * 17,
        )
    )
    assert len(record) == RECORD_BYTES
    return record


def _customer_code(value: str, field: str) -> bytes:
    if not value:
        return b" " * 10
    if value.isdigit():
        return _num(value, 10, field)
    return _text(to_zengin_kana(value, field), 10)


def data_record(t: ZenginTransfer, index: int = 0) -> bytes:
    where = f"transfers[{index}]"
    if t.account_type not in ACCOUNT_TYPES:
        raise InvalidInput.field(f"{where}.account_type", "must be 1, 2, 4 or 9")
    if not 0 < t.amount < 10**10:
        raise InvalidInput.field(f"{where}.amount", "must be between 1 and 9,999,999,999 yen")
    record = b"".join(
        (
            b"2",
            _num(t.bank_code, 4, f"{where}.bank_code"),
            _text(to_zengin_kana(t.bank_name_kana, f"{where}.bank_name_kana"), 15),
            _num(t.branch_code, 3, f"{where}.branch_code"),
            _text(to_zengin_kana(t.branch_name_kana, f"{where}.branch_name_kana"), 15),
            b" " * 4,  # 手形交換所番号: unused
            _num(t.account_type, 1, f"{where}.account_type"),
            _num(t.account_number, 7, f"{where}.account_number"),
            _text(to_zengin_kana(t.holder_name_kana, f"{where}.holder_name_kana"), 30),
            _num(t.amount, 10, f"{where}.amount"),
            _num(t.new_code, 1, f"{where}.new_code"),
            _customer_code(t.customer_code1, f"{where}.customer_code1"),
            _customer_code(t.customer_code2, f"{where}.customer_code2"),
            b" " * 9,
        )
    )
    assert len(record) == RECORD_BYTES
    return record


def trailer_record(count: int, total: int) -> bytes:
    return b"8" + _num(count, 6, "count") + _num(total, 12, "total") + b" " * 101


def end_record() -> bytes:
    return b"9" + b" " * 119


def build_transfer_file(
    header: ZenginHeader, transfers: Sequence[ZenginTransfer], *, line_breaks: bool = True
) -> bytes:
    """The whole file; its trailer re-read and checked against the data records."""
    if not transfers:
        raise InvalidInput.field("transfers", "a transfer file needs at least one transfer")
    records = [header_record(header)]
    records += [data_record(t, i) for i, t in enumerate(transfers)]
    records.append(trailer_record(len(transfers), sum(t.amount for t in transfers)))
    records.append(end_record())
    sep = b"\r\n" if line_breaks else b""
    data = sep.join(records) + sep
    check_transfer_file(data)
    return data


@dataclass(frozen=True)
class FileTotals:
    count: int
    total: int
    sha256: str


def _records(data: bytes) -> list[bytes]:
    if b"\r\n" in data:
        lines = data.split(b"\r\n")
        if lines and lines[-1] == b"":
            lines.pop()
        return lines
    if len(data) % RECORD_BYTES:
        raise ValueError(f"{len(data)} bytes is not a whole number of 120-byte records")
    return [data[i : i + RECORD_BYTES] for i in range(0, len(data), RECORD_BYTES)]


def check_transfer_file(data: bytes) -> FileTotals:
    """Re-read a transfer file: record lengths and order, trailer count and amount equal
    to the data records'. A ValueError names the first thing wrong."""
    records = _records(data)
    for n, record in enumerate(records, 1):
        if len(record) != RECORD_BYTES:
            raise ValueError(f"record {n} is {len(record)} bytes, not {RECORD_BYTES}")
    kinds = bytes(r[0] for r in records)
    if not re.fullmatch(rb"12+89", kinds):
        raise ValueError(f"records out of order: {kinds.decode('ascii')}")
    amounts = [int(r[80:90]) for r in records[1:-2]]
    trailer = records[-2]
    count, total = int(trailer[1:7]), int(trailer[7:19])
    if count != len(amounts):
        raise ValueError(f"trailer count {count} ≠ {len(amounts)} data records")
    if total != sum(amounts):
        raise ValueError(f"trailer total {total} ≠ {sum(amounts)}, the sum of the data records")
    return FileTotals(count, total, hashlib.sha256(data).hexdigest())
