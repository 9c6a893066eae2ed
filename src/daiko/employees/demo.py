"""Demo staff for the demo tenants (`make dev`): twelve employees per payroll tenant with
grade history, 住民税 notices for fiscal 2026, salary accounts, a few My Numbers (valid
check digits, obviously fake) and attendance for the current and the previous month.
A tenant whose health insurer is a society (osaka-mfg) gets that society and its rates.
Idempotent: a tenant that already has the demo's first employee is left alone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import SystemActor
from daiko.db.engine import Database
from daiko.employees import repository as repo
from daiko.employees import service
from daiko.employees.models import EmployeeGrade, HealthInsuranceSociety
from daiko.employees.rules import today_jst
from daiko.security.my_number import my_number_check_digit
from daiko.tenancy.models import Tenant
from daiko.tenancy.scope import scope_of_tenant

log = structlog.get_logger("daiko.employees.demo")
ACTOR = SystemActor("demo.employees", display="Demo data")

# (family, given, family kana, given kana, birth, hire, dept, base, type, standard)
PEOPLE: tuple[tuple[str, str, str, str, str, str, str, int, str, int], ...] = (
    (
        "山田",
        "太郎",
        "ヤマダ",
        "タロウ",
        "1980-05-12",
        "2010-04-01",
        "営業部",
        380000,
        "regular",
        410000,
    ),
    (
        "佐藤",
        "花子",
        "サトウ",
        "ハナコ",
        "1986-09-30",
        "2012-04-01",
        "総務部",
        300000,
        "regular",
        320000,
    ),
    (
        "鈴木",
        "一郎",
        "スズキ",
        "イチロウ",
        "1975-01-20",
        "2005-10-01",
        "開発部",
        420000,
        "regular",
        440000,
    ),
    (
        "高橋",
        "美咲",
        "タカハシ",
        "ミサキ",
        "1992-03-03",
        "2016-04-01",
        "開発部",
        280000,
        "regular",
        300000,
    ),
    (
        "田中",
        "健太",
        "タナカ",
        "ケンタ",
        "1984-07-07",
        "2011-07-01",
        "営業部",
        340000,
        "regular",
        360000,
    ),
    (
        "伊藤",
        "さくら",
        "イトウ",
        "サクラ",
        "1995-12-24",
        "2019-04-01",
        "経理部",
        240000,
        "regular",
        260000,
    ),
    (
        "渡辺",
        "翔",
        "ワタナベ",
        "ショウ",
        "1990-06-15",
        "2018-01-15",
        "開発部",
        320000,
        "regular",
        340000,
    ),
    (
        "中村",
        "愛",
        "ナカムラ",
        "アイ",
        "1998-02-11",
        "2021-04-01",
        "総務部",
        220000,
        "regular",
        240000,
    ),
    (
        "小林",
        "大輔",
        "コバヤシ",
        "ダイスケ",
        "1970-11-02",
        "2000-04-01",
        "営業部",
        360000,
        "regular",
        380000,
    ),
    (
        "加藤",
        "由美",
        "カトウ",
        "ユミ",
        "1988-04-18",
        "2020-10-01",
        "経理部",
        260000,
        "contract",
        280000,
    ),
    (
        "吉田",
        "拓也",
        "ヨシダ",
        "タクヤ",
        "2001-08-08",
        "2024-04-01",
        "開発部",
        200000,
        "regular",
        220000,
    ),
    (
        "山口",
        "恵子",
        "ヤマグチ",
        "ケイコ",
        "1978-10-10",
        "2015-06-01",
        "総務部",
        1300,
        "part_time",
        150000,
    ),
)
MUNICIPALITIES = {"13": ("131041", "新宿区"), "27": ("271004", "大阪市")}
BANKS = (("0005", "001"), ("0009", "100"), ("0001", "250"), ("0010", "311"))


def fake_my_number(n: int) -> str:
    base = f"{99000000000 + n:011d}"
    return base + str(my_number_check_digit(base))


async def load(db: Database) -> None:
    async with db.global_session() as session:
        tenants = list(
            (
                await session.execute(
                    select(Tenant).where(Tenant.status == "active").order_by(Tenant.slug)
                )
            ).scalars()
        )
    for tenant in tenants:
        if "payroll" not in (tenant.services or []):
            continue
        async with db.session(scope_of_tenant(tenant.id)) as s:
            if await repo.get_by_code(s, tenant.id, "D001") is not None:
                continue
            await _staff(s, tenant)
        log.info("demo employees loaded", tenant=tenant.slug)


def _insurer(tenant: Tenant) -> dict[str, Any] | None:
    payroll = (tenant.settings or {}).get("payroll") or {}
    insurer = payroll.get("health_insurer") or {}
    if insurer.get("kind") in ("kumiai", "society") and insurer.get("name"):
        return dict(insurer)
    return None


def _percent(rates: dict[str, Any]) -> Any:
    def get(key: str, default: str | None = None) -> Decimal | None:
        value = rates.get(key, default)
        return None if value is None else Decimal(str(value))

    return get


async def _society(s: AsyncSession, tenant: Tenant, spec: dict[str, Any]) -> uuid.UUID:
    """The tenant's 健康保険組合, one row per rate period of its tenant file."""
    known = {x.valid_from: x for x in await repo.societies(s, tenant.id) if x.name == spec["name"]}
    rows = list(known.values())
    for rates in spec.get("rates") or [{"valid_from": "2026-03-01"}]:
        valid_from = dt.date.fromisoformat(str(rates["valid_from"]))
        if valid_from in known:
            continue
        percent = _percent(rates)
        row = HealthInsuranceSociety(
            tenant_id=tenant.id,
            name=spec["name"],
            health_rate=percent("health_percent", "9.5"),
            care_rate=percent("care_percent", "1.6"),
            health_employee_rate=percent("employee_health_percent"),
            care_employee_rate=percent("employee_care_percent"),
            valid_from=valid_from,
        )
        s.add(row)
        rows.append(row)
    await s.flush()
    return max(rows, key=lambda r: r.valid_from).id


async def _staff(s: AsyncSession, tenant: Tenant) -> None:
    prefecture = tenant.prefecture or "13"
    society_spec = _insurer(tenant)
    society_id = await _society(s, tenant, society_spec) if society_spec else None
    this_month = today_jst().replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    code, name = MUNICIPALITIES.get(prefecture, ("131041", "新宿区"))
    for n, (fam, giv, fkana, gkana, birth, hire, dept, base, kind, standard) in enumerate(
        PEOPLE, start=1
    ):
        hourly = kind == "part_time"
        raw: dict[str, Any] = {
            "code": f"D{n:03d}",
            "family_name": fam,
            "given_name": giv,
            "family_name_kana": fkana,
            "given_name_kana": gkana,
            "birth_date": birth,
            "hire_date": hire,
            "department": dept,
            "employment_type": kind,
            "pay_group": "hourly" if hourly and society_id else "monthly",
            "pay_basis": "hourly" if hourly else "monthly",
            "base_amount": base,
            "scheduled_monthly_hours": "120" if hourly else "160",
            "scheduled_days": "15" if hourly else "20",
            "allowances": [
                {"kind": "commuting", "amount": 8000 + 1000 * (n % 7)},
                *([{"kind": "position", "amount": 30000}] if n in (1, 3, 9) else []),
                *([{"kind": "family", "amount": 10000}] if n in (1, 5, 9) else []),
            ],
            "dependents": 2 if n in (1, 5, 9) else 0,
            "withholding_column": "otsu" if n == 12 else "kou",
            "insurer_kind": "society" if society_id else "kyoukai",
            "prefecture": prefecture,
            "society_id": society_id,
        }
        employee = await service.create_employee(s, ACTOR, tenant.id, raw)
        hired = dt.date.fromisoformat(hire)
        s.add(
            EmployeeGrade(
                tenant_id=tenant.id,
                employee_id=employee.id,
                effective_month=max(hired.replace(day=1), dt.date(2025, 9, 1)),
                health_standard=standard - 20000 if standard > 150000 else standard,
                pension_standard=max(88000, standard - 20000 if standard > 150000 else standard),
                reason="annual" if hired < dt.date(2025, 9, 1) else "acquisition",
                source_ref="demo",
            )
        )
        s.add(
            EmployeeGrade(
                tenant_id=tenant.id,
                employee_id=employee.id,
                effective_month=dt.date(2026, 9, 1),
                health_standard=standard,
                pension_standard=max(88000, min(650000, standard)),
                reason="annual",
                source_ref="demo: 算定基礎届 2026",
            )
        )
        annual = (standard * 12 // 10 // 12) * 12 + 300 + n * 100  # a plausible notice
        monthly = annual // 12 // 100 * 100
        await service.set_resident_tax(
            s,
            ACTOR,
            employee,
            fiscal_year=2026,
            municipality_code=code,
            municipality_name=name,
            june_amount=annual - monthly * 11,
            monthly_amount=monthly,
        )
        bank, branch = BANKS[n % len(BANKS)]
        await service.set_bank_account(
            s,
            ACTOR,
            employee,
            {
                "bank_code": bank,
                "branch_code": branch,
                "account_type": "1",
                "account_number": f"{1000000 + n * 7919:07d}",
            },
        )
        if n <= 4:
            await service.set_my_number(s, ACTOR, employee, fake_my_number(n))
        for month, extra in ((last_month, 0), (this_month, 1)):
            await service.put_monthly_input(
                s,
                ACTOR,
                employee,
                month,
                {
                    "worked_days": 15 if hourly else 20 - (n + extra) % 3,
                    "absence_days": 1 if (n + extra) % 5 == 0 else 0,
                    "paid_leave_days": (n + extra) % 3,
                    "overtime_hours": Decimal((n * 3 + extra * 5) % 40),
                    "late_night_hours": Decimal(2 if n % 4 == 0 else 0),
                    "rest_day_hours": Decimal(8 if n % 6 == 0 else 0),
                    "variable_allowances": {"出張手当": 5000} if n in (1, 5) else {},
                    "variable_deductions": {"社宅": 20000} if n == 7 else {},
                },
                audit=False,
            )
    await s.flush()
