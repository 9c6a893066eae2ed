"""Statement files → statement lines, streaming, with every bad row named.

`parse(data, layout_or_mapping)` yields `ParsedLine` for good rows and `RowError` (line,
column, reason) for bad ones, in file order, so a caller can preview (collect errors),
import (skip them) or count, in one pass and without holding the rows. Line numbers are
physical lines of the file (1-based; a quoted cell spanning lines counts them all), as
an editor shows them; columns are 1-based.

Speed: the CSV module tokenises in C; dates repeat (a statement has a few hundred
distinct days), so they are parsed once each and cached; amounts take an `isdigit` fast
path before any normalisation. No per-row regular expressions.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from daiko.bookkeeping.imports.layouts import ColumnMapping
from daiko.bookkeeping.imports.normalize import (
    parse_amount,
    parse_date,
    parse_tax_rate,
    zengin_date,
)

MAX_TEXT = 200


class ParsedLine(NamedTuple):
    line_no: int
    txn_date: date
    description: str
    counterparty: str
    amount: int  # + into the statement's account, - out of it
    balance: int | None
    tax_rate: int | None
    memo: str


@dataclass(frozen=True)
class RowError:
    line: int
    column: int | None
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


class FileRejected(Exception):
    """The file as a whole cannot be read (encoding, emptiness)."""

    def __init__(self, error: RowError) -> None:
        super().__init__(error.reason)
        self.error = error


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without BOM) if it decodes, else cp932 (Shift_JIS
    as Windows writes it). Neither → the file is refused at the first undecodable byte of
    whichever encoding read further."""
    if not data.strip():
        raise FileRejected(RowError(1, None, "the file is empty"))
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_at = exc.start
    try:
        return data.decode("cp932"), "cp932"
    except UnicodeDecodeError as exc:
        at = max(utf8_at, exc.start)
    raise FileRejected(
        RowError(
            _line_of(data, at),
            None,
            f"byte 0x{data[at]:02x} at offset {at} is neither UTF-8 nor Shift_JIS (cp932)",
        )
    )


def parse_csv(text: str, mapping: ColumnMapping) -> Iterator[ParsedLine | RowError]:
    reader = csv.reader(io.StringIO(text, newline=""))
    dates: dict[str, date] = {}
    m = mapping
    min_cols, exact = m.min_columns, m.columns
    date_ix = m.date - 1
    # 0-based indexes of the cells read on every row, -1 when the layout has none.
    desc_ix, party_ix, memo_ix, amount_ix, out_ix, in_ix, balance_ix = (
        -1 if c is None else c - 1
        for c in (m.description, m.counterparty, m.memo, m.amount, m.withdrawal, m.deposit,
                  m.balance)
    )  # fmt: skip
    amount_col, out_col, in_col, negate = m.amount, m.withdrawal, m.deposit, m.negate_amount
    skip = m.skip_prefixes
    in_header = m.header_marker is not None
    header_left = m.header_rows
    last = 0
    rows = 0
    try:
        for row in reader:
            line = last + 1
            last = reader.line_num
            if in_header:
                if row and row[0].strip() == m.header_marker:
                    in_header = False
                continue
            if header_left:
                header_left -= 1
                continue
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if skip and row[0].startswith(skip):
                continue
            rows += 1
            n = len(row)
            if (exact is not None and n != exact) or n < min_cols:
                want = exact if exact is not None else f"at least {min_cols}"
                yield RowError(line, None, f"expected {want} columns, found {n}")
                continue
            raw_date = row[date_ix]
            txn_date = dates.get(raw_date)
            if txn_date is None:
                try:
                    txn_date = dates[raw_date] = parse_date(raw_date)
                except ValueError as exc:
                    yield RowError(line, m.date, str(exc))
                    continue
            column: int | None = amount_col
            try:
                if amount_col is not None:
                    amount = parse_amount(row[amount_ix])
                    if amount is None:
                        yield RowError(line, column, "amount is empty")
                        continue
                    if negate:
                        amount = -amount
                else:
                    # parse_amount's fast paths inline (three calls a row otherwise)
                    column = out_col
                    out: int | None = None
                    if out_ix >= 0:
                        raw = row[out_ix]
                        if raw.isascii() and (digits := raw.replace(",", "")).isdigit():
                            out = int(digits)
                        elif raw:
                            out = parse_amount(raw)
                    column = in_col
                    into: int | None = None
                    if in_ix >= 0:
                        raw = row[in_ix]
                        if raw.isascii() and (digits := raw.replace(",", "")).isdigit():
                            into = int(digits)
                        elif raw:
                            into = parse_amount(raw)
                    if out and into:
                        yield RowError(line, in_col, "both withdrawal and deposit are filled in")
                        continue
                    if out:
                        amount = -out
                    elif into:
                        amount = into
                    elif out == 0 or into == 0:
                        amount = 0
                    else:
                        yield RowError(
                            line,
                            out_col or in_col,
                            "neither withdrawal nor deposit is filled in",
                        )
                        continue
                balance: int | None = None
                if balance_ix >= 0:
                    column = m.balance
                    raw = row[balance_ix]
                    if raw.isascii() and (digits := raw.replace(",", "")).isdigit():
                        balance = int(digits)
                    elif raw:
                        balance = parse_amount(raw)
                column = m.tax_rate
                tax_rate = parse_tax_rate(row[column - 1]) if column is not None else None
            except ValueError as exc:
                yield RowError(line, column, str(exc))
                continue
            yield ParsedLine(
                line,
                txn_date,
                row[desc_ix].strip()[:MAX_TEXT] if desc_ix >= 0 else "",
                row[party_ix].strip()[:MAX_TEXT] if party_ix >= 0 else "",
                amount,
                balance,
                tax_rate,
                row[memo_ix].strip()[:MAX_TEXT] if memo_ix >= 0 else "",
            )
    except csv.Error as exc:
        yield RowError(last + 1, None, f"malformed CSV: {exc}")
        return
    if in_header:
        yield RowError(1, 1, f"no header row starting {m.header_marker!r} found")
    elif rows == 0:
        yield RowError(max(last, 1), None, "no statement lines in the file")


# --- 全銀協 入出金取引明細 (03) --------------------------------------------------------------

RECORD = 200


def _spans(lengths: list[int]) -> list[tuple[int, int]]:
    out, at = [], 0
    for n in lengths:
        out.append((at, at + n))
        at += n
    return out


# Field lengths from you21979/zengin-format-util lib/spec.js (FORMAT_WITHDRAWAL_DETAIL).
_HEADER = _spans([1, 2, 1, 6, 6, 6, 4, 15, 3, 15, 3, 1, 10, 40, 1, 1, 14, 71])
_DATA = _spans([1, 8, 6, 6, 1, 2, 12, 12, 6, 6, 1, 7, 3, 10, 48, 15, 15, 20, 20, 1])
_TRAILER = _spans([1, 6, 13, 6, 13, 1, 14, 7, 139])
# Data fields (1-based, as in the bank's layout sheet) we read.
D_DATE, D_DIRECTION, D_AMOUNT, D_REMITTER, D_SUMMARY = 3, 5, 7, 15, 18


def _records(data: bytes) -> Iterator[tuple[int, bytes]]:
    if b"\n" in data:
        for number, raw in enumerate(data.split(b"\n"), start=1):
            record = raw.rstrip(b"\r")
            if record.strip(b" \x1a"):  # blank lines and a trailing EOF mark
                yield number, record
    else:
        for number, start in enumerate(range(0, len(data), RECORD), start=1):
            record = data[start : start + RECORD]
            if record.strip(b" \x1a"):
                yield number, record


def _field(record: bytes, spans: list[tuple[int, int]], number: int) -> bytes:
    start, end = spans[number - 1]
    return record[start:end]


def _text(raw: bytes) -> str:
    return raw.decode("cp932").strip().strip("\u3000")


def _number(record: bytes, spans: list[tuple[int, int]], number: int) -> int:
    raw = _field(record, spans, number).strip()
    if not raw.isdigit():
        raise ValueError(f"not a number: {raw.decode('cp932', 'replace')!r}")
    return int(raw)


def parse_zengin_03(data: bytes) -> Iterator[ParsedLine | RowError]:
    if not data.strip():
        yield RowError(1, None, "the file is empty")
        return
    seen_header = False
    ins = outs = in_total = out_total = 0
    for line, record in _records(data):
        if len(record) != RECORD:
            yield RowError(line, None, f"record is {len(record)} bytes, expected {RECORD}")
            continue
        kind = record[:1]
        try:
            if kind == b"1":
                code = _field(record, _HEADER, 2)
                if code != b"03":
                    yield RowError(
                        line, 2, f"種別コード is {code.decode('cp932', 'replace')!r}, not 03"
                    )
                seen_header = True
            elif kind == b"2":
                if not seen_header:
                    yield RowError(line, 1, "data record before the header record")
                    continue
                column = D_DATE
                raw_date = _field(record, _DATA, D_DATE).decode("ascii", "replace")
                txn_date = zengin_date(raw_date)
                column = D_DIRECTION
                direction = _field(record, _DATA, D_DIRECTION)
                if direction not in (b"1", b"2"):
                    raise ValueError("入払区分 must be 1 (入金) or 2 (出金)")
                column = D_AMOUNT
                amount = _number(record, _DATA, D_AMOUNT)
                column = D_REMITTER
                remitter = _text(_field(record, _DATA, D_REMITTER))
                column = D_SUMMARY
                summary = _text(_field(record, _DATA, D_SUMMARY))
                if direction == b"1":
                    ins, in_total = ins + 1, in_total + amount
                else:
                    outs, out_total = outs + 1, out_total + amount
                    amount = -amount
                yield ParsedLine(line, txn_date, summary, remitter, amount, None, None, "")
            elif kind == b"8":
                column = 2
                want = (
                    _number(record, _TRAILER, 2),
                    _number(record, _TRAILER, 3),
                    _number(record, _TRAILER, 4),
                    _number(record, _TRAILER, 5),
                )
                got = (ins, in_total, outs, out_total)
                if want != got:
                    yield RowError(
                        line,
                        None,
                        "trailer totals (deposits count/sum, withdrawals count/sum) "
                        f"{want} differ from the data records {got}",
                    )
            elif kind == b"9":
                pass
            else:
                yield RowError(line, 1, f"unknown record type {kind!r}")
        except UnicodeDecodeError:
            yield RowError(line, column, "bytes that are not Shift_JIS (cp932)")
        except ValueError as exc:
            yield RowError(line, column, str(exc))
    if not seen_header:
        yield RowError(1, None, "no header record (データ区分 1)")


def parse(data: bytes, mapping: ColumnMapping | None) -> Iterator[ParsedLine | RowError]:
    """Parse a whole file: `mapping` None means the 全銀 03 fixed-length format. Raises
    FileRejected when the bytes cannot be decoded at all."""
    if mapping is None:
        return parse_zengin_03(data)
    text, _ = decode(data)
    return parse_csv(text, mapping)
