"""Employee and attendance files (CSV in UTF-8 with or without BOM or cp932, or XLSX):
upload → preview → confirm → one transaction.

The preview reads every row and lists every problem as (line, column, reason), with the
column named as the file names it. A file with any problem is stored as `invalid` with
its errors only and can never be applied. A clean file is staged in `employee_imports`:
its rows already normalised, and the sensitive cells (My Number, account number, holder
name) already sealed with the tenant's field key, so the clear file rests nowhere — not
in the document store, where a payroll file would otherwise sit for its retention years
with every employee's My Number in it. Confirming writes the staged rows in one
transaction (synchronously for small files, else through the import job with progress).

Column headers are accepted in Japanese or English (see `EMPLOYEE_COLUMNS`,
`ATTENDANCE_COLUMNS`; the README lists them).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
import uuid
import zipfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

import msgspec
from sqlalchemy import Table as SaTable
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import Actor, record
from daiko.employees import repository as repo
from daiko.employees import rules, service
from daiko.employees.models import (
    ACCOUNT_NUMBER_PURPOSE,
    HOLDER_NAME_PURPOSE,
    MY_NUMBER_PURPOSE,
    Employee,
    EmployeeBankAccount,
    EmployeeImport,
    EmployeeMonthlyInput,
    EmployeeMyNumber,
    HealthInsuranceSociety,
)
from daiko.errors import Conflict, InvalidInput
from daiko.ids import new_id
from daiko.security.fields import field_sealer

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
SYNC_LIMIT = 200  # rows applied within the request; more go through the job
BATCH = 500


@dataclass(frozen=True)
class Column:
    field: str
    ja: str
    en: str
    aliases: tuple[str, ...] = ()
    note: str = ""


EMPLOYEE_COLUMNS: tuple[Column, ...] = (
    Column("code", "社員番号", "code", ("従業員番号", "社員コード", "employee_code"), "required"),
    Column("name", "氏名", "name", ("名前", "full_name"), "姓と名を空白で区切る"),
    Column("family_name", "姓", "family_name", ("氏",)),
    Column("given_name", "名", "given_name"),
    Column("name_kana", "フリガナ", "name_kana", ("氏名カナ", "カナ氏名", "ふりがな")),
    Column("family_name_kana", "セイ", "family_name_kana", ("姓カナ", "姓(カナ)")),
    Column("given_name_kana", "メイ", "given_name_kana", ("名カナ", "名(カナ)")),
    Column("birth_date", "生年月日", "birth_date", (), "YYYY-MM-DD"),
    Column("gender", "性別", "gender", (), "男/女"),
    Column("email", "メールアドレス", "email", ("メール",)),
    Column("hire_date", "入社日", "hire_date", ("入社年月日",)),
    Column("leave_date", "退職日", "leave_date", ("退職年月日",)),
    Column(
        "employment_type", "雇用区分", "employment_type", (), "正社員/契約社員/パート/嘱託/役員"
    ),
    Column("pay_group", "給与グループ", "pay_group", ("支給グループ",)),
    Column("department", "部署", "department", ("所属", "部門")),
    Column("pay_basis", "給与形態", "pay_basis", ("給与区分",), "月給/日給/時給"),
    Column("base_amount", "基本給", "base_amount", ("基本給額", "base_pay"), "円"),
    Column(
        "scheduled_monthly_hours", "所定労働時間", "scheduled_monthly_hours", ("月所定労働時間",)
    ),
    Column("scheduled_days", "所定労働日数", "scheduled_days", ("月所定労働日数",)),
    Column("commuting_allowance", "通勤手当", "commuting_allowance", (), "非課税"),
    Column("position_allowance", "役職手当", "position_allowance"),
    Column("family_allowance", "家族手当", "family_allowance"),
    Column("housing_allowance", "住宅手当", "housing_allowance"),
    Column("withholding_column", "税区分", "withholding_column", ("源泉区分", "税表区分"), "甲/乙"),
    Column("dependents", "扶養人数", "dependents", ("扶養親族等の数", "扶養親族数")),
    Column("prefecture", "都道府県", "prefecture", ("健保都道府県",), "協会けんぽ支部"),
    Column("society", "健康保険組合", "health_insurance_society", ("健保組合",)),
    Column(
        "employment_insurance_industry",
        "雇用保険事業区分",
        "employment_insurance_industry",
        ("事業の種類",),
        "一般/農林水産/建設",
    ),
    Column("social_insurance_enrolled", "社会保険加入", "social_insurance_enrolled", ("社保加入",)),
    Column(
        "employment_insurance_enrolled",
        "雇用保険加入",
        "employment_insurance_enrolled",
        ("雇保加入",),
    ),
    Column("bank_code", "銀行コード", "bank_code", ("金融機関コード",)),
    Column("branch_code", "支店コード", "branch_code"),
    Column("account_type", "預金種目", "account_type", ("口座種別",), "普通/当座/貯蓄"),
    Column("account_number", "口座番号", "account_number"),
    Column("holder_name", "口座名義", "account_holder", ("口座名義カナ", "holder_name")),
    Column("my_number", "個人番号", "my_number", ("マイナンバー",)),
)
ATTENDANCE_COLUMNS: tuple[Column, ...] = (
    Column("code", "社員番号", "code", ("従業員番号", "社員コード", "employee_code"), "required"),
    Column("pay_month", "対象月", "pay_month", ("支給月", "month"), "YYYY-MM"),
    Column("worked_days", "出勤日数", "worked_days"),
    Column("absence_days", "欠勤日数", "absence_days"),
    Column("paid_leave_days", "有給日数", "paid_leave_days", ("有休日数", "有給休暇日数")),
    Column("overtime_hours", "残業時間", "overtime_hours", ("時間外労働時間",), "60時間まで"),
    Column("overtime_over60_hours", "60時間超残業", "overtime_over60_hours", ("60時間超時間外",)),
    Column("rest_day_hours", "休日労働時間", "rest_day_hours", ("休日出勤時間",)),
    Column("late_night_hours", "深夜労働時間", "late_night_hours", ("深夜時間",)),
    Column("lateness_hours", "遅刻早退時間", "lateness_hours", ("遅早時間",)),
    Column("note", "備考", "note"),
)
ALLOWANCE_PREFIXES = ("支給:", "allowance:")
DEDUCTION_PREFIXES = ("控除:", "deduction:")
ALLOWANCE_FIELDS = {
    "commuting_allowance": "commuting",
    "position_allowance": "position",
    "family_allowance": "family",
    "housing_allowance": "housing",
}
BANK_FIELDS = ("bank_code", "branch_code", "account_type", "account_number", "holder_name")


def _fold(header: str) -> str:
    text = unicodedata.normalize("NFKC", header).strip().lower()
    return text.replace(" ", "").replace("_", "").replace("（", "(").replace("）", ")")


def _lookup(columns: Sequence[Column]) -> dict[str, str]:
    out: dict[str, str] = {}
    for c in columns:
        for name in (c.ja, c.en, c.field, *c.aliases):
            out[_fold(name)] = c.field
    return out


# --- reading files ---------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


@dataclass
class Table:
    encoding: str
    header: list[str]
    header_line: int
    rows: list[tuple[int, list[Any]]]  # (line in the file, cells)


class FileRefused(Exception):
    """The file as a whole cannot be read (one problem, line 0 or the header)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.reason)
        self.problem = problem


def decode(content: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first, else cp932 (Shift_JIS as Windows writes it)."""
    try:
        return content.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp932"), "cp932"
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise FileRefused(
            Problem(line, "", "the file is neither UTF-8 nor Shift_JIS (cp932)")
        ) from None


def _blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def read_table(content: bytes, filename: str) -> Table:
    if len(content) > MAX_BYTES:
        raise FileRefused(Problem(0, "", f"the file is larger than {MAX_BYTES // 1024 // 1024} MB"))
    if not content.strip():
        raise FileRefused(Problem(0, "", "the file is empty"))
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    text, encoding = decode(content)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[Any]]] = []
    header: list[str] | None = None
    header_line = 0
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if _blank(cells):
                continue
            if header is None:
                header, header_line = [c.strip() for c in cells], line
                continue
            rows.append((line, cells))
            if len(rows) > MAX_ROWS:
                raise FileRefused(Problem(line, "", f"more than {MAX_ROWS} rows"))
    except csv.Error as exc:
        raise FileRefused(Problem(reader.line_num, "", f"not a readable CSV file: {exc}")) from None
    if header is None:
        raise FileRefused(Problem(0, "", "the file has no header row"))
    return Table(encoding, header, header_line, rows)


def _read_xlsx(content: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise FileRefused(Problem(0, "", f"not a readable XLSX file: {exc}")) from None
    try:
        sheet = book.worksheets[0]
        rows: list[tuple[int, list[Any]]] = []
        header: list[str] | None = None
        header_line = 0
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = list(values)
            if _blank(cells):
                continue
            if header is None:
                header = ["" if c is None else str(c).strip() for c in cells]
                while header and not header[-1]:
                    header.pop()
                header_line = line
                continue
            rows.append((line, cells))
            if len(rows) > MAX_ROWS:
                raise FileRefused(Problem(line, "", f"more than {MAX_ROWS} rows"))
    finally:
        book.close()
    if header is None:
        raise FileRefused(Problem(0, "", "the sheet has no header row"))
    return Table("xlsx", header, header_line, rows)


def _cell(value: Any) -> Any:
    """A cell as the parsers take it: text stripped, numbers and dates as they are."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --- mapping headers -------------------------------------------------------------------------


@dataclass
class Layout:
    fields: dict[int, str]  # column index → field
    names: dict[str, str]  # field → header as written
    extra: dict[int, tuple[str, str]] = field(default_factory=dict)  # index → (kind, name)


def map_header(table: Table, columns: Sequence[Column], *, extras: bool = False) -> Layout:
    lookup = _lookup(columns)
    layout = Layout(fields={}, names={})
    problems: list[Problem] = []
    for index, header in enumerate(table.header):
        if not header:
            continue
        folded = _fold(header)
        found = lookup.get(folded)
        if found is None and extras:
            for kind, prefixes in (
                ("allowance", ALLOWANCE_PREFIXES),
                ("deduction", DEDUCTION_PREFIXES),
            ):
                for prefix in prefixes:
                    if folded.startswith(_fold(prefix)):
                        name = unicodedata.normalize("NFKC", header).split(":", 1)[1].strip()
                        if name:
                            layout.extra[index] = (kind, name[:50])
                            found = "extra"
        if found is None:
            problems.append(Problem(table.header_line, header, "unknown column"))
        elif found != "extra":
            if found in layout.names:
                problems.append(
                    Problem(table.header_line, header, f"same column as {layout.names[found]}")
                )
            layout.fields[index] = found
            layout.names[found] = header
    if "code" not in layout.names:
        problems.append(Problem(table.header_line, columns[0].ja, "required column is missing"))
    if problems:
        raise _Many(problems)
    return layout


class _Many(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def _column_name(layout: Layout, columns: Sequence[Column], fld: str) -> str:
    if fld in layout.names:
        return layout.names[fld]
    if fld in ("family_name", "given_name") and "name" in layout.names:
        return layout.names["name"]
    if fld in ("family_name_kana", "given_name_kana") and "name_kana" in layout.names:
        return layout.names["name_kana"]
    if fld == "society_id":
        return layout.names.get("society", _column_name(layout, columns, "society"))
    for c in columns:
        if c.field == fld:
            return c.ja
    return fld


def _row_values(layout: Layout, cells: Sequence[Any]) -> dict[str, Any]:
    return {
        fld: _cell(cells[index]) if index < len(cells) else None
        for index, fld in layout.fields.items()
    }


# --- staging ------------------------------------------------------------------------------------


@dataclass
class Preview:
    kind: str
    encoding: str | None
    row_count: int
    problems: list[Problem]
    rows: list[dict[str, Any]]  # staged, JSON-able
    creates: int = 0
    updates: int = 0


def _split_name(value: Any) -> tuple[str, str] | None:
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    parts = text.split(None, 1)
    if len(parts) != 2:
        return None
    return parts[0], parts[1].strip()


def _code(value: Any) -> str | None:
    try:
        return rules.employee_code(str(value or ""))
    except ValueError:
        return None


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(values)
    return out


Sealer = Callable[[str, str], Awaitable[str]]
PURPOSES = {
    "my_number": MY_NUMBER_PURPOSE,
    "account_number": ACCOUNT_NUMBER_PURPOSE,
    "holder_name": HOLDER_NAME_PURPOSE,
}


async def batch_sealer(session: AsyncSession, tenant_id: uuid.UUID) -> Sealer:
    """Seal thousands of cells with one read of the tenant's data key
    (`daiko.security.fields.field_sealer`)."""
    sealer = await field_sealer(session, tenant_id)

    async def seal(value: str, what: str) -> str:
        return sealer.seal(value, purpose=PURPOSES[what])

    return seal


async def preview_employees(
    session: AsyncSession, tenant_id: uuid.UUID, table: Table, seal: Sealer
) -> Preview:
    layout = map_header(table, EMPLOYEE_COLUMNS)
    societies: dict[str, HealthInsuranceSociety] = {}
    for s in await repo.societies(session, tenant_id):
        societies[unicodedata.normalize("NFKC", s.name).strip()] = s  # latest valid_from wins
    raw_rows = [(line, _row_values(layout, cells)) for line, cells in table.rows]
    codes = [_code(raw.get("code")) for _, raw in raw_rows]
    existing = await repo.by_codes(session, tenant_id, [c for c in codes if c])
    problems: list[Problem] = []
    staged: list[dict[str, Any]] = []
    first_line: dict[str, int] = {}
    creates = updates = 0

    def say(line: int, fld: str, reason: str) -> None:
        problems.append(Problem(line, _column_name(layout, EMPLOYEE_COLUMNS, fld), reason))

    for line, raw in raw_rows:
        values: dict[str, Any] = {}
        own: list[tuple[str, str]] = []
        for fld, value in raw.items():
            if value is None or fld in BANK_FIELDS or fld in ALLOWANCE_FIELDS or fld == "my_number":
                continue
            if fld == "name":
                split = _split_name(value)
                if split is None:
                    own.append(("name", "family and given name separated by a space"))
                else:
                    values["family_name"], values["given_name"] = split
            elif fld == "name_kana":
                split = _split_name(value)
                if split is None:
                    own.append(("name_kana", "family and given kana separated by a space"))
                else:
                    values["family_name_kana"], values["given_name_kana"] = split
            elif fld == "society":
                found = societies.get(unicodedata.normalize("NFKC", str(value)).strip())
                if found is None:
                    own.append(("society", "unknown health-insurance society"))
                else:
                    values["insurer_kind"] = "society"
                    values["society_id"] = found.id
            else:
                values[fld] = value
        allowance_cells = {f: raw[f] for f in ALLOWANCE_FIELDS if f in raw}
        current = existing.get(_code(raw.get("code")) or "")
        if allowance_cells and any(v is not None for v in allowance_cells.values()):
            items = []
            for fld, value in allowance_cells.items():
                if value is None:
                    continue
                try:
                    amount = rules.parse_yen(value)
                except ValueError as exc:
                    own.append((fld, str(exc)))
                    continue
                if amount:
                    items.append({"kind": ALLOWANCE_FIELDS[fld], "amount": amount})
            values["allowances"] = items
        if "prefecture" in values and "society_id" not in values:
            values.setdefault("insurer_kind", "kyoukai")
        cleaned, errors = service.clean_employee(values, current=current)
        if current is not None:
            cleaned = {k: v for k, v in cleaned.items() if k in values}
        for fld, reason in own:
            say(line, fld, reason)
        for e in errors:
            if e.field in ("family_name", "given_name") and any(f == "name" for f, _ in own):
                continue
            if e.field in ("family_name_kana", "given_name_kana") and any(
                f == "name_kana" for f, _ in own
            ):
                continue
            say(line, e.field, e.reason)
        clean_code = cleaned.get("code")
        if clean_code is not None:
            if clean_code in first_line:
                say(line, "code", f"duplicate code, first on line {first_line[clean_code]}")
            else:
                first_line[clean_code] = line
        bank_cells = {f: raw.get(f) for f in BANK_FIELDS if raw.get(f) is not None}
        bank: dict[str, Any] | None = None
        if bank_cells:
            if "account_type" not in bank_cells:
                bank_cells["account_type"] = "1"
            family = cleaned.get("family_name_kana") or (current and current.family_name_kana)
            given = cleaned.get("given_name_kana") or (current and current.given_name_kana)
            bank, bank_errors = service.clean_bank_account(
                bank_cells, family_kana=family or None, given_kana=given or None
            )
            for e in bank_errors:
                say(line, e.field, e.reason)
        my_number: str | None = None
        if raw.get("my_number") is not None:
            try:
                my_number = rules.my_number(raw["my_number"])
            except ValueError as exc:
                say(line, "my_number", str(exc))
        if problems and problems[-1].line == line:
            continue
        if current is None:
            creates += 1
        else:
            updates += 1
        if problems:
            continue  # seal and stage nothing once the file is known to be invalid
        row: dict[str, Any] = {
            "line": line,
            "action": "update" if current is not None else "create",
            "code": clean_code,
            "name": f"{cleaned.get('family_name', current.family_name if current else '')} "
            f"{cleaned.get('given_name', current.given_name if current else '')}".strip(),
            "values": _jsonable(cleaned),
        }
        if bank is not None:
            row["bank"] = {
                "bank_code": bank["bank_code"],
                "branch_code": bank["branch_code"],
                "account_type": bank["account_type"],
                "number_token": await seal(bank["account_number"], "account_number"),
                "last4": bank["account_number"][-4:],
                "holder_token": await seal(bank["holder_name"], "holder_name"),
            }
        if my_number is not None:
            row["my_number"] = {
                "token": await seal(my_number, "my_number"),
                "last4": my_number[-4:],
            }
        staged.append(row)
    return Preview(
        kind="employees",
        encoding=table.encoding,
        row_count=len(table.rows),
        problems=problems,
        rows=[] if problems else staged,
        creates=creates,
        updates=updates,
    )


INPUT_NUMBERS = {
    "worked_days": Decimal(31),
    "absence_days": Decimal(31),
    "paid_leave_days": Decimal(31),
    "overtime_hours": Decimal(999),
    "overtime_over60_hours": Decimal(999),
    "rest_day_hours": Decimal(999),
    "late_night_hours": Decimal(999),
    "lateness_hours": Decimal(999),
}


async def preview_attendance(
    session: AsyncSession, tenant_id: uuid.UUID, table: Table, pay_month: dt.date | None
) -> Preview:
    layout = map_header(table, ATTENDANCE_COLUMNS, extras=True)
    if pay_month is None and "pay_month" not in layout.names:
        raise _Many(
            [Problem(table.header_line, "対象月", "give the month on the form or as a column")]
        )
    code_index = next(i for i, f in layout.fields.items() if f == "code")
    codes = [_code(_cell(cells[code_index])) for _, cells in table.rows if code_index < len(cells)]
    employees = await repo.by_codes(session, tenant_id, [c for c in codes if c])
    problems: list[Problem] = []
    staged: list[dict[str, Any]] = []
    seen: dict[tuple[str, dt.date], int] = {}

    def say(line: int, fld: str, reason: str) -> None:
        problems.append(Problem(line, _column_name(layout, ATTENDANCE_COLUMNS, fld), reason))

    month_keys: set[tuple[uuid.UUID, dt.date]] = set()
    for line, cells in table.rows:
        raw = _row_values(layout, cells)
        before = len(problems)
        code = raw.get("code")
        employee = employees.get(_code(code) or "")
        if code is None:
            say(line, "code", "required")
        elif employee is None:
            say(line, "code", "no employee with this code")
        month = pay_month
        if raw.get("pay_month") is not None:
            try:
                month = rules.parse_month(raw["pay_month"])
            except ValueError as exc:
                say(line, "pay_month", str(exc))
                month = None
        values: dict[str, Any] = {}
        for fld, maximum in INPUT_NUMBERS.items():
            value = raw.get(fld)
            if value is None:
                values[fld] = Decimal(0)
                continue
            try:
                values[fld] = rules.parse_decimal(value, maximum=maximum)
            except ValueError as exc:
                say(line, fld, str(exc))
        over = values.get("overtime_hours")
        if isinstance(over, Decimal) and over > 60:
            if raw.get("overtime_over60_hours") is None:
                values["overtime_hours"], values["overtime_over60_hours"] = Decimal(60), over - 60
            else:
                say(line, "overtime_hours", "at most 60; the rest goes in 60時間超残業")
        allowances: dict[str, int] = {}
        deductions: dict[str, int] = {}
        for index, (kind, name) in layout.extra.items():
            value = _cell(cells[index]) if index < len(cells) else None
            if value is None:
                continue
            try:
                amount = rules.parse_yen(value)
            except ValueError as exc:
                problems.append(Problem(line, table.header[index], str(exc)))
                continue
            if amount:
                (allowances if kind == "allowance" else deductions)[name] = amount
        values["variable_allowances"] = allowances
        values["variable_deductions"] = deductions
        note = str(raw["note"])[:2000] if raw.get("note") is not None else None
        if note is not None and rules.has_control(note):
            say(line, "note", "control characters are not allowed")
            note = None
        values["note"] = note
        if employee is not None and month is not None:
            key = (employee.code, month)
            if key in seen:
                say(line, "code", f"duplicate row for this month, first on line {seen[key]}")
            else:
                seen[key] = line
        if len(problems) > before or problems or employee is None or month is None:
            continue
        month_keys.add((employee.id, month))
        staged.append(
            {
                "line": line,
                "employee_id": str(employee.id),
                "code": employee.code,
                "name": employee.full_name,
                "pay_month": month.isoformat(),
                "values": _jsonable(values),
            }
        )
    creates = updates = 0
    if not problems and staged:
        existing = await _existing_inputs(session, tenant_id, month_keys)
        for row in staged:
            known = (uuid.UUID(row["employee_id"]), dt.date.fromisoformat(row["pay_month"]))
            row["action"] = "update" if known in existing else "create"
            if known in existing:
                updates += 1
            else:
                creates += 1
    return Preview(
        kind="attendance",
        encoding=table.encoding,
        row_count=len(table.rows),
        problems=problems,
        rows=[] if problems else staged,
        creates=creates,
        updates=updates,
    )


async def _existing_inputs(
    session: AsyncSession, tenant_id: uuid.UUID, keys: set[tuple[uuid.UUID, dt.date]]
) -> set[tuple[uuid.UUID, dt.date]]:
    months = {m for _, m in keys}
    found: set[tuple[uuid.UUID, dt.date]] = set()
    for month in months:
        stmt = select(EmployeeMonthlyInput.employee_id).where(
            EmployeeMonthlyInput.tenant_id == tenant_id, EmployeeMonthlyInput.pay_month == month
        )
        found |= {(eid, month) for eid in (await session.execute(stmt)).scalars()}
    return found & keys


async def stage(
    session: AsyncSession,
    actor: Actor,
    *,
    tenant_id: uuid.UUID,
    kind: str,
    filename: str,
    content: bytes,
    pay_month: dt.date | None = None,
    created_by: uuid.UUID | None = None,
) -> EmployeeImport:
    """Read and check the whole file, then stage it (`ready`) or keep only its problems
    (`invalid`). Nothing outside `employee_imports` is written."""
    if kind not in ("employees", "attendance"):
        raise InvalidInput.field("kind", "employees or attendance")

    seal = await batch_sealer(session, tenant_id)

    try:
        table = read_table(content, filename)
        if kind == "employees":
            preview = await preview_employees(session, tenant_id, table, seal)
        else:
            preview = await preview_attendance(session, tenant_id, table, pay_month)
    except FileRefused as exc:
        preview = Preview(kind, None, 0, [exc.problem], [])
    except _Many as exc:
        preview = Preview(kind, None, 0, exc.problems, [])
    imp = EmployeeImport(
        tenant_id=tenant_id,
        id=new_id(),
        kind=kind,
        status="invalid" if preview.problems else "ready",
        filename="".join(ch for ch in filename if not rules.has_control(ch))[:255] or "upload",
        encoding=preview.encoding,
        pay_month=pay_month,
        row_count=preview.row_count,
        rows=preview.rows,
        errors=[p.as_dict() for p in preview.problems],
        summary={"creates": preview.creates, "updates": preview.updates},
        created_by=created_by,
    )
    session.add(imp)
    await session.flush()
    await record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="employee_import.uploaded",
        resource_type="employee_import",
        resource_id=imp.id,
        details={
            "kind": kind,
            "filename": imp.filename,
            "rows": imp.row_count,
            "errors": len(imp.errors),
        },
    )
    return imp


# --- applying ----------------------------------------------------------------------------------

Progress = Callable[[int, int], Awaitable[None]]


async def _no_progress(done: int, total: int) -> None:
    return None


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


async def apply(
    session: AsyncSession, actor: Actor, imp: EmployeeImport, progress: Progress = _no_progress
) -> dict[str, int]:
    """Write a `ready` import's rows in the caller's transaction (all or nothing)."""
    if imp.status not in ("ready", "queued", "running"):
        raise Conflict(
            f"this import is {imp.status}", errors=[{"field": "status", "reason": imp.status}]
        )
    if imp.kind == "employees":
        counts = await _apply_employees(session, imp, progress)
    else:
        counts = await _apply_attendance(session, imp, progress)
    imp.status = "done"
    imp.rows = []  # the staged rows (and their sealed values) have served
    imp.summary = {**imp.summary, **counts}
    await session.flush()
    await record(
        session,
        tenant_id=imp.tenant_id,
        actor=actor,
        action="employee_import.applied",
        resource_type="employee_import",
        resource_id=imp.id,
        details={"kind": imp.kind, **counts},
    )
    return counts


def _table(model: Any) -> SaTable:
    return cast(SaTable, model.__table__)


async def _apply_employees(
    session: AsyncSession, imp: EmployeeImport, progress: Progress
) -> dict[str, int]:
    rows = imp.rows
    total = len(rows)
    existing = await repo.by_codes(session, imp.tenant_id, [r["code"] for r in rows])
    created = updated = 0
    done = 0
    for batch in _chunks(rows):
        creates: list[dict[str, Any]] = []
        accounts: list[dict[str, Any]] = []
        numbers: list[dict[str, Any]] = []
        for row in batch:
            current = existing.get(row["code"])
            values, errors = service.clean_employee(row["values"], current=current)
            if current is not None:
                values = {k: v for k, v in values.items() if k in row["values"]}
            if errors:
                e = errors[0]
                raise InvalidInput(
                    f"line {row['line']}: {e.field}: {e.reason}",
                    errors=[{"field": f"line {row['line']}.{e.field}", "reason": e.reason}],
                )
            if current is None:
                employee_id = new_id()
                creates.append(
                    {name: values.get(name) for name in service.FIELDS}
                    | {"tenant_id": imp.tenant_id, "id": employee_id, "version": 1}
                )
                created += 1
            else:
                employee_id = current.id
                changed = [k for k, v in values.items() if getattr(current, k) != v]
                for name in changed:
                    setattr(current, name, values[name])
                if changed:
                    current.version += 1
                updated += 1
            if row.get("bank"):
                b = row["bank"]
                accounts.append(
                    {
                        "tenant_id": imp.tenant_id,
                        "id": new_id(),
                        "employee_id": employee_id,
                        "position": 1,
                        "bank_code": b["bank_code"],
                        "branch_code": b["branch_code"],
                        "account_type": b["account_type"],
                        "account_number_token": b["number_token"],
                        "account_number_last4": b["last4"],
                        "account_number_length": 7,
                        "holder_name_token": b["holder_token"],
                    }
                )
            if row.get("my_number"):
                numbers.append(
                    {
                        "tenant_id": imp.tenant_id,
                        "id": new_id(),
                        "employee_id": employee_id,
                        "token": row["my_number"]["token"],
                        "last4": row["my_number"]["last4"],
                        "registered_by": imp.created_by,
                    }
                )
        await session.flush()
        # executemany with one compiled statement per table (not one VALUES list each).
        if creates:
            await session.execute(insert(_table(Employee)), creates)
        if accounts:
            acc = insert(_table(EmployeeBankAccount))
            await session.execute(
                acc.on_conflict_do_update(
                    index_elements=["tenant_id", "employee_id", "position"],
                    set_={
                        name: acc.excluded[name]
                        for name in (
                            "bank_code",
                            "branch_code",
                            "account_type",
                            "account_number_token",
                            "account_number_last4",
                            "account_number_length",
                            "holder_name_token",
                        )
                    },
                ),
                accounts,
            )
        if numbers:
            num = insert(_table(EmployeeMyNumber))
            await session.execute(
                num.on_conflict_do_update(
                    index_elements=["tenant_id", "employee_id"],
                    set_={n: num.excluded[n] for n in ("token", "last4", "registered_by")},
                ),
                numbers,
            )
        done += len(batch)
        await progress(done, total)
    return {"created": created, "updated": updated}


async def _apply_attendance(
    session: AsyncSession, imp: EmployeeImport, progress: Progress
) -> dict[str, int]:
    rows = imp.rows
    total = len(rows)
    ids = {uuid.UUID(r["employee_id"]) for r in rows}
    present = set(
        (
            await session.execute(
                select(Employee.id).where(Employee.tenant_id == imp.tenant_id, Employee.id.in_(ids))
            )
        ).scalars()
    )
    created = updated = 0
    done = 0
    for batch in _chunks(rows):
        values = []
        for row in batch:
            employee_id = uuid.UUID(row["employee_id"])
            if employee_id not in present:
                raise InvalidInput(
                    f"line {row['line']}: the employee {row['code']} no longer exists",
                    errors=[{"field": f"line {row['line']}.code", "reason": "no such employee"}],
                )
            v = row["values"]
            values.append(
                {
                    "tenant_id": imp.tenant_id,
                    "id": new_id(),
                    "employee_id": employee_id,
                    "pay_month": dt.date.fromisoformat(row["pay_month"]),
                    **{k: Decimal(str(v[k])) for k in INPUT_NUMBERS},
                    "variable_allowances": v.get("variable_allowances") or {},
                    "variable_deductions": v.get("variable_deductions") or {},
                    "note": v.get("note"),
                }
            )
            if row.get("action") == "update":
                updated += 1
            else:
                created += 1
        stmt = insert(EmployeeMonthlyInput).values(values)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["tenant_id", "employee_id", "pay_month"],
                set_={
                    **{
                        k: stmt.excluded[k]
                        for k in (
                            *INPUT_NUMBERS,
                            "variable_allowances",
                            "variable_deductions",
                            "note",
                        )
                    },
                    "version": EmployeeMonthlyInput.version + 1,
                    "updated_at": stmt.excluded.updated_at,
                },
            )
        )
        done += len(batch)
        await progress(done, total)
    return {"created": created, "updated": updated}


async def mark(session: AsyncSession, imp: EmployeeImport, status: str, **extra: Any) -> None:
    await session.execute(
        update(EmployeeImport)
        .where(EmployeeImport.tenant_id == imp.tenant_id, EmployeeImport.id == imp.id)
        .values(status=status, **extra)
    )


async def confirm(
    session: AsyncSession, actor: Actor, imp: EmployeeImport, *, created_by: uuid.UUID | None
) -> EmployeeImport:
    """Apply a `ready` import now when small, else enqueue its job (runs after commit)."""
    from daiko.jobs.kinds import JobKind
    from daiko.jobs.service import enqueue

    if imp.status != "ready":
        raise Conflict(
            f"this import is {imp.status}, not ready",
            errors=[{"field": "status", "reason": imp.status}],
        )
    if len(imp.rows) <= SYNC_LIMIT:
        await apply(session, actor, imp)
        return imp
    kind = JobKind.EMPLOYEE_IMPORT if imp.kind == "employees" else JobKind.ATTENDANCE_IMPORT
    job = await enqueue(
        session, imp.tenant_id, kind, {"import_id": str(imp.id)}, created_by=created_by
    )
    imp.status = "queued"
    imp.job_id = job.id
    await session.flush()
    return imp
