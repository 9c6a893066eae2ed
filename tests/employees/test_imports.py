"""Employee and attendance imports: every row's problems as exact (line, column, reason)
for UTF-8 and cp932 CSV and XLSX, nothing written while any row is invalid, a clean
file applied in one go, a larger one through the import job with progress."""

from __future__ import annotations

import datetime as dt
import io
import time
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.employees import imports
from daiko.employees.models import Employee, EmployeeMonthlyInput
from daiko.jobs.kinds import JobKind
from daiko.jobs.runner import handle_message
from daiko.runtime import Runtime
from tests.employees.conftest import As
from tests.employees.seed import seed_employee
from tests.factories import World

EN_HEADER = (
    "code,family_name,given_name,family_name_kana,given_name_kana,birth_date,hire_date,"
    "base_amount,prefecture,bank_code,branch_code,account_number,my_number"
)
EN_ROWS = [
    "E001,山田,太郎,ヤマダ,タロウ,1985-06-15,2020-04-01,300000,13,0005,001,1234567,123456789018",
    "E002,佐藤,花子,サトウ,ハナコ,1990-02-30,2021-04-01,280000,13,,,,",
    "E003,鈴木,一郎,Suzuki,イチロウ,1988-01-01,2019-04-01,250000,13,,,,",
    "E001,田中,次郎,タナカ,ジロウ,1991-01-01,2020-01-01,260000,13,,,,",
    "E005,高橋,三郎,タカハシ,サブロウ,1992-03-03,2022-04-01,240000,Atlantis,,,,",
    "E006,伊藤,四郎,イトウ,シロウ,1993-03-03,2022-04-01,240000,13,12A4,001,7654321,",
    "E007,渡辺,五郎,ワタナベ,ゴロウ,1994-03-03,2022-04-01,240000,13,,,,123456789012",
    "E008,山本,六郎,ヤマモト,ロクロウ,1995-13-01,2022-04-01,abc,27,,,,",
]
EN_PROBLEMS = [
    (3, "birth_date", "no such day"),
    (4, "family_name_kana", "katakana only (カタカナ)"),
    (5, "code", "duplicate code, first on line 2"),
    (6, "prefecture", "unknown prefecture (JIS code 01–47 or name)"),
    (7, "bank_code", "4 digits (金融機関コード)"),
    (8, "my_number", "check digit does not match (検査用数字)"),
    (9, "birth_date", "no such day"),
    (9, "base_amount", "a whole number of yen"),
]

JA_HEADER = "社員番号,氏名,フリガナ,生年月日,入社日,基本給,都道府県,銀行コード,支店コード,預金種目,口座番号,個人番号"
JA_ROWS = [
    'A01,山田 太郎,ヤマダ タロウ,1985/06/15,2020/04/01,"300,000",東京都,0005,001,普通,1234567,123456789018',
    "A02,佐藤花子,サトウ ハナコ,1990/02/01,2021/04/01,280000,東京,,,,,",
    "A03,鈴木 一郎,すずき いちろう,昭和63年1月1日,2019/04/01,250000,大阪府,,,,,",
    "A01,田中 次郎,タナカ ジロウ,1991/01/01,2020/01/01,260000,13,,,,,",
    "A05,高橋 三郎,タカハシ サブロウ,1992/03/03,2022/04/01,240000,トウキョウ,,,,,",
    "A06,伊藤 四郎,イトウ シロウ,1993/03/03,2022/04/01,240000,13,5,001,普通,7654321,",
    "A07,渡辺 五郎,ワタナベ ゴロウ,1994/03/03,2022/04/01,240000,13,,,,,548836529884",
]
JA_PROBLEMS = [
    (3, "氏名", "family and given name separated by a space"),
    (4, "生年月日", "not a date (YYYY-MM-DD)"),
    (5, "社員番号", "duplicate code, first on line 2"),
    (6, "都道府県", "unknown prefecture (JIS code 01–47 or name)"),
    (7, "銀行コード", "4 digits (金融機関コード)"),
    (8, "個人番号", "check digit does not match (検査用数字)"),
]


def csv_bytes(header: str, rows: list[str], encoding: str, bom: bool = False) -> bytes:
    data = ("\r\n".join([header, *rows]) + "\r\n").encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


async def upload(
    c: httpx.AsyncClient,
    content: bytes,
    filename: str,
    kind: str = "employees",
    **form: str,
) -> dict[str, Any]:
    r = await c.post(
        "/api/v1/employees/imports",
        files={"file": (filename, content, "application/octet-stream")},
        data={"kind": kind, **form},
    )
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def problems(out: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(e["line"], e["column"], e["reason"]) for e in out["errors"]]


async def count(engine: AsyncEngine, model: Any = Employee) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(model)) or 0)


async def test_utf8_csv_with_bom_lists_every_problem_and_writes_nothing(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    c = await as_user(world.tenant_a.users["client_member"])
    out = await upload(c, csv_bytes(EN_HEADER, EN_ROWS, "utf-8", bom=True), "staff.csv")
    assert (out["status"], out["encoding"], out["row_count"]) == ("invalid", "utf-8", 8)
    assert problems(out) == EN_PROBLEMS
    assert await count(owner_engine) == 0
    confirm = await c.post(f"/api/v1/employees/imports/{out['id']}/confirm")
    assert confirm.status_code == 409
    assert await count(owner_engine) == 0
    async with owner_engine.connect() as conn:
        staged = await conn.scalar(text("select rows::text from employee_imports"))
    assert staged == "[]"


async def test_cp932_csv_with_japanese_headers(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    c = await as_user(world.tenant_a.users["client_member"])
    out = await upload(c, csv_bytes(JA_HEADER, JA_ROWS, "cp932"), "社員.csv")
    assert (out["status"], out["encoding"]) == ("invalid", "cp932")
    assert problems(out) == JA_PROBLEMS
    assert await count(owner_engine) == 0


async def test_xlsx_problems_by_sheet_row(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        [
            "社員番号",
            "姓",
            "名",
            "セイ",
            "メイ",
            "生年月日",
            "入社日",
            "基本給",
            "都道府県",
            "銀行コード",
            "支店コード",
            "口座番号",
        ]
    )
    sheet.append(
        [
            1001,
            "山田",
            "太郎",
            "ヤマダ",
            "タロウ",
            dt.date(1985, 6, 15),
            dt.date(2020, 4, 1),
            300000,
            13,
            5,
            1,
            1234567,
        ]
    )
    sheet.append([])  # a blank row keeps the numbering of the sheet
    sheet.append(
        [
            1002,
            "佐藤",
            "花子",
            "ｻﾄｳ",
            "ハナコ",
            "1990-02-30",
            dt.date(2021, 4, 1),
            280000,
            48,
            None,
            None,
            None,
        ]
    )
    sheet.append(
        [
            1003,
            "鈴木",
            "一郎",
            "スズキ",
            "イチロウ",
            dt.date(1988, 1, 1),
            dt.date(2019, 4, 1),
            250000,
            "東京都",
            12345,
            1,
            7654321,
        ]
    )
    sheet.append(
        [
            1001,
            "田中",
            "次郎",
            "タナカ",
            "Jiro",
            dt.date(1991, 1, 1),
            dt.date(2020, 1, 1),
            260000,
            13,
            None,
            None,
            None,
        ]
    )
    buf = io.BytesIO()
    book.save(buf)
    c = await as_user(world.tenant_a.users["client_member"])
    out = await upload(c, buf.getvalue(), "staff.xlsx")
    assert (out["status"], out["encoding"]) == ("invalid", "xlsx")
    assert problems(out) == [
        (4, "生年月日", "no such day"),
        (4, "都道府県", "unknown prefecture (JIS code 01–47 or name)"),
        (5, "銀行コード", "4 digits (金融機関コード)"),
        (6, "メイ", "katakana only (カタカナ)"),
        (6, "社員番号", "duplicate code, first on line 2"),
    ]
    assert await count(owner_engine) == 0


async def test_unreadable_and_unknown_columns(world: World, as_user: As) -> None:
    c = await as_user(world.tenant_a.users["client_member"])
    out = await upload(c, b"code,shoe_size\r\nE1,27\r\n", "x.csv")
    assert problems(out) == [(1, "shoe_size", "unknown column")]
    out = await upload(c, b"\x81\x7f\xff\xfe", "x.csv")
    assert problems(out) == [(1, "", "the file is neither UTF-8 nor Shift_JIS (cp932)")]
    out = await upload(c, b"PK\x03\x04garbage", "x.xlsx")
    assert out["status"] == "invalid"
    assert out["errors"][0]["line"] == 0
    assert out["errors"][0]["reason"].startswith("not a readable XLSX file")


async def test_clean_cp932_file_is_applied_on_confirm(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    await seed_employee(owner_engine, world.tenant_a.id, code="A02", department="営業部")
    rows = [
        'A01,山田 太郎,ヤマダ タロウ,1985/06/15,2020/04/01,"300,000",東京都,0005,001,普通,1234567,123456789018',
        "A02,佐藤 花子,サトウ ハナコ,1990/02/01,2021/04/01,280000,27,,,,,",
    ]
    c = await as_user(world.tenant_a.users["client_member"])
    out = await upload(c, csv_bytes(JA_HEADER, rows, "cp932"), "社員.csv")
    assert (out["status"], out["creates"], out["updates"], out["errors"]) == ("ready", 1, 1, [])
    assert await count(owner_engine) == 1
    async with owner_engine.connect() as conn:
        staged = await conn.scalar(text("select rows::text from employee_imports"))
    assert "123456789018" not in staged and "1234567" not in staged
    done = await c.post(f"/api/v1/employees/imports/{out['id']}/confirm")
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["summary"]["created"]) == ("done", 1)
    listed = (await c.get("/api/v1/employees")).json()["items"]
    assert [
        (e["code"], e["family_name"], e["prefecture"], e["base_amount"], e["my_number"])
        for e in listed
    ] == [
        ("A01", "山田", "13", 300000, "********9018"),
        ("A02", "佐藤", "27", 280000, None),
    ]
    a02 = listed[1]
    assert (a02["department"], a02["version"]) == ("営業部", 2)
    accounts = (await c.get(f"/api/v1/employees/{listed[0]['id']}/bank-accounts")).json()
    assert [(a["bank_code"], a["account_type"], a["account_number"]) for a in accounts] == [
        ("0005", "1", "***4567")
    ]
    again = await c.post(f"/api/v1/employees/imports/{out['id']}/confirm")
    assert again.status_code == 409
    # The batch-sealed token opens like any `encrypt_field` token.
    admin = await as_user(world.tenant_a.users["client_admin"])
    shown = await admin.post(
        f"/api/v1/employees/{listed[0]['id']}/my-number/reveal",
        json={"purpose": "social_insurance_filing"},
    )
    assert shown.json()["my_number"] == "123456789018"


async def test_attendance_file_with_named_allowances(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    await seed_employee(owner_engine, world.tenant_a.id, code="E1")
    await seed_employee(owner_engine, world.tenant_a.id, code="E2")
    header = "社員番号,出勤日数,欠勤日数,残業時間,深夜労働時間,支給:出張手当,控除:社宅"
    bad = ["E1,20,0,10.5,2,5000,20000", "E9,20,0,0,0,,", "E2,twenty,0,0,0,,", "E1,19,1,0,0,,"]
    c = await as_user(world.tenant_a.users["client_member"])
    out = await upload(
        c, csv_bytes(header, bad, "utf-8"), "kintai.csv", "attendance", pay_month="2026-11"
    )
    assert problems(out) == [
        (3, "社員番号", "no employee with this code"),
        (4, "出勤日数", "a number"),
        (5, "社員番号", "duplicate row for this month, first on line 2"),
    ]
    assert await count(owner_engine, EmployeeMonthlyInput) == 0
    good = ["E1,20,0,70,2,5000,20000", "E2,19,1,0,0,,"]
    out = await upload(
        c, csv_bytes(header, good, "utf-8"), "kintai.csv", "attendance", pay_month="2026-11"
    )
    assert (out["status"], out["creates"]) == ("ready", 2)
    done = await c.post(f"/api/v1/employees/imports/{out['id']}/confirm")
    assert done.json()["status"] == "done"
    month = (await c.get("/api/v1/monthly-inputs", params={"month": "2026-11"})).json()
    first = month["items"][0]["input"]
    assert (
        first["worked_days"],
        first["overtime_hours"],
        first["overtime_over60_hours"],
        first["variable_allowances"],
        first["variable_deductions"],
    ) == ("20.0", "60.00", "10.00", {"出張手当": 5000}, {"社宅": 20000})


async def test_a_larger_file_goes_through_the_job_with_progress(
    world: World,
    as_user: As,
    owner_engine: AsyncEngine,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(imports, "SYNC_LIMIT", 2)
    monkeypatch.setattr(imports, "BATCH", 2)
    rows = [
        f"J{n:03d},社員,{n:03d}号,シャイン,ゴウ,1990-01-01,2020-04-01,250000,13,,,,"
        for n in range(5)
    ]
    c = await as_user(world.tenant_a.users["client_member"])
    out = await upload(c, csv_bytes(EN_HEADER, rows, "utf-8"), "big.csv")
    assert out["status"] == "ready"
    queued = (await c.post(f"/api/v1/employees/imports/{out['id']}/confirm")).json()
    assert queued["status"] == "queued" and queued["job_id"]
    assert await count(owner_engine) == 0
    outcome = await handle_message(
        runtime.db, JobKind.EMPLOYEE_IMPORT, world.tenant_a.id, queued["job_id"]
    )
    assert outcome == "succeeded"
    assert await count(owner_engine) == 5
    state = (await c.get(f"/api/v1/employees/imports/{out['id']}")).json()
    assert (state["status"], state["summary"]["created"], state["summary"]["job_status"]) == (
        "done",
        5,
        "succeeded",
    )
    assert (state["summary"]["progress_done"], state["summary"]["progress_total"]) == (5, 5)
    async with owner_engine.connect() as conn:
        message = await conn.scalar(text("select progress_message from jobs"))
    assert message == "5 of 5 rows"
    # A redelivered message finds the work done.
    assert (
        await handle_message(
            runtime.db, JobKind.EMPLOYEE_IMPORT, world.tenant_a.id, queued["job_id"]
        )
        == "skipped"
    )


@pytest.mark.slow
async def test_ten_thousand_rows_preview_and_job(
    world: World, as_user: As, owner_engine: AsyncEngine, runtime: Runtime
) -> None:
    rows = [
        f"K{n:05d},社員,{n:05d},シャイン,バンゴウ,1990-01-01,2020-04-01,250000,13,0005,001,{n:07d},"
        for n in range(10_000)
    ]
    c = await as_user(world.tenant_a.users["client_member"])
    started = time.perf_counter()
    out = await upload(c, csv_bytes(EN_HEADER, rows, "cp932"), "10k.csv")
    preview_s = time.perf_counter() - started
    assert (out["status"], out["creates"]) == ("ready", 10_000)
    queued = (await c.post(f"/api/v1/employees/imports/{out['id']}/confirm")).json()
    assert queued["status"] == "queued"
    started = time.perf_counter()
    assert (
        await handle_message(
            runtime.db, JobKind.EMPLOYEE_IMPORT, world.tenant_a.id, queued["job_id"]
        )
        == "succeeded"
    )
    apply_s = time.perf_counter() - started
    assert await count(owner_engine) == 10_000
    print(f"\n10,000 rows: preview {preview_s:.1f} s, job {apply_s:.1f} s")  # noqa: T201
