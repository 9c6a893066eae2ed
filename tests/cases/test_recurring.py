"""Recurring cases: the plan for a day (pure), and opening exactly once across two runs
and two concurrent runs; one tenant's failure never stops the others."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.cases.models import Case, CaseChecklistItem, CaseStatusChange
from daiko.cases.recurring import open_recurring, plan
from daiko.runtime import Runtime
from daiko.tenancy.models import Tenant
from tests.factories import World

SETTINGS = {
    "payroll": {
        "pay_groups": [
            {"code": "monthly", "name": "月給者", "closing_day": 20, "pay_day": 25},
            {
                "code": "hourly",
                "name": "時給者",
                "closing_day": "end",
                "pay_day": 10,
                "pay_month_offset": 1,
            },
        ]
    }
}
TID = uuid.UUID(int=7)


def _titles(day: dt.date, services: tuple[str, ...] = ("payroll",)) -> list[str]:
    return [c.title for c in plan(TID, "t", services, SETTINGS, day)]


def test_payroll_opens_five_business_days_before_the_cut_off() -> None:
    # 締日 Sun 2026-12-20; five business days before it is Mon 2026-12-24.
    assert _titles(dt.date(2026, 12, 13)) == []
    assert _titles(dt.date(2026, 12, 14)) == ["給与計算 2026-12 月給者"]
    # 時給者 close at the month's end (Thu 31 Dec, a bank holiday): five business days
    # before it is Thu 24 Dec. November's hourly run was paid on 10 December.
    assert _titles(dt.date(2026, 12, 24)) == ["給与計算 2026-12 月給者", "給与計算 2026-12 時給者"]
    # After payday (25th) the monthly case is no longer opened.
    assert _titles(dt.date(2026, 12, 26)) == ["給与計算 2026-12 時給者"]
    cases = plan(TID, "t", ("payroll",), SETTINGS, dt.date(2026, 12, 14))
    monthly = cases[0]
    assert (monthly.period, monthly.pay_group, monthly.pay_date, monthly.recurrence_key) == (
        "2026-12",
        "monthly",
        dt.date(2026, 12, 25),
        "monthly/2026-12",
    )


def test_the_lead_time_and_the_calendar_come_from_the_tenant() -> None:
    settings = {
        **SETTINGS,
        "cases": {"payroll_open_business_days": 1},
        "calendar": {"closures": [], "extra_days_off": ["2026-12-18"]},
    }
    day_before = plan(TID, "t", ("payroll",), settings, dt.date(2026, 12, 16))
    assert [c.recurrence_key for c in day_before] == []
    # One business day before Sun 20 Dec, with Fri 18 Dec a company day off: Thu 17.
    opened = plan(TID, "t", ("payroll",), settings, dt.date(2026, 12, 17))
    assert [c.recurrence_key for c in opened] == ["monthly/2026-12"]


def test_bookkeeping_and_santei() -> None:
    # 2027-01-01..03 are bank holidays; the first business day is Mon 4 January.
    assert _titles(dt.date(2027, 1, 3), ("bookkeeping",)) == []
    assert _titles(dt.date(2027, 1, 4), ("bookkeeping",)) == ["月次決算 2026-12"]
    assert _titles(dt.date(2026, 5, 29), ("social_insurance",)) == []
    assert _titles(dt.date(2026, 6, 1), ("social_insurance",)) == ["算定基礎届 2026年"]
    assert _titles(dt.date(2026, 7, 10), ("social_insurance",)) == ["算定基礎届 2026年"]
    assert _titles(dt.date(2026, 7, 11), ("social_insurance",)) == []


async def _configure(engine: AsyncEngine, world: World) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(Tenant)
            .where(Tenant.id.in_([world.tenant_a.id, world.tenant_b.id]))
            .values(settings=SETTINGS, services=["payroll", "bookkeeping"])
        )


async def _count(engine: AsyncEngine, model: type, **where: object) -> int:
    async with engine.connect() as conn:
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return int((await conn.execute(stmt)).scalar_one())


DAY = dt.date(2026, 12, 24)  # monthly 2026-12, hourly 2026-12, bookkeeping 2026-11


async def test_two_runs_open_each_case_once(
    world: World, owner_engine: AsyncEngine, runtime: Runtime
) -> None:
    await _configure(owner_engine, world)
    first = await open_recurring(runtime.db, DAY)
    assert sorted(first.created) == sorted(
        (slug, title)
        for slug in ("tenant-a", "tenant-b")
        for title in ("給与計算 2026-12 月給者", "給与計算 2026-12 時給者", "月次決算 2026-11")
    )
    second = await open_recurring(runtime.db, DAY)
    assert (second.created, len(second.existing), second.failed) == ([], 6, {})
    assert await _count(owner_engine, Case) == 6
    assert await _count(owner_engine, CaseStatusChange) == 6
    assert await _count(owner_engine, CaseChecklistItem) == 12
    async with owner_engine.connect() as conn:
        row = (
            await conn.execute(
                select(Case.status, Case.assignee_id, Case.pay_date).where(
                    Case.tenant_id == world.tenant_a.id, Case.recurrence_key == "monthly/2026-12"
                )
            )
        ).one()
    # Submitted on the client's behalf and given to A's plain operator.
    assert tuple(row) == ("submitted", world.operator.id, dt.date(2026, 12, 25))


async def test_two_concurrent_runs_open_each_case_once(
    world: World, owner_engine: AsyncEngine, runtime: Runtime
) -> None:
    await _configure(owner_engine, world)
    one, two = await asyncio.gather(
        open_recurring(runtime.db, DAY), open_recurring(runtime.db, DAY)
    )
    assert len(one.created) + len(two.created) == 6
    assert len(one.existing) + len(two.existing) == 6
    assert (one.failed, two.failed) == ({}, {})
    assert await _count(owner_engine, Case) == 6
    assert await _count(owner_engine, CaseStatusChange) == 6


async def test_one_tenants_failure_does_not_stop_the_others(
    world: World, owner_engine: AsyncEngine, runtime: Runtime
) -> None:
    await _configure(owner_engine, world)
    async with owner_engine.begin() as conn:
        await conn.execute(
            update(Tenant)
            .where(Tenant.id == world.tenant_a.id)
            .values(settings={"payroll": {"pay_groups": "broken"}})
        )
    report = await open_recurring(runtime.db, DAY)
    assert list(report.failed) == ["tenant-a"]
    assert sorted(title for slug, title in report.created if slug == "tenant-b") == sorted(
        ["給与計算 2026-12 月給者", "給与計算 2026-12 時給者", "月次決算 2026-11"]
    )
    assert await _count(owner_engine, Case, tenant_id=world.tenant_a.id) == 0


async def test_cli_dry_run_then_real(
    world: World, owner_engine: AsyncEngine, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from daiko import config
    from daiko.cases.cli import group

    await _configure(owner_engine, world)
    monkeypatch.setattr(config, "get_settings", lambda: runtime.settings)
    runner = CliRunner()
    args = ["open-recurring", "--date", "2026-12-24", "--tenant", "tenant-a"]
    # The command runs its own event loop: off this one, in a thread.
    dry = await asyncio.to_thread(runner.invoke, group, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines()[-1] == "2026-12-24: 3 would open, 0 already open"
    assert await _count(owner_engine, Case) == 0
    real = await asyncio.to_thread(runner.invoke, group, args)
    assert real.output.splitlines()[-1] == "2026-12-24: 3 opened, 0 already open"
    again = await asyncio.to_thread(runner.invoke, group, args)
    assert again.output.splitlines()[-1] == "2026-12-24: 0 opened, 3 already open"
    assert await _count(owner_engine, Case) == 3
