"""Demo payroll for `daiko dev`: for every demo tenant with payroll, the paying account
for the Zengin header and one approved monthly run per pay group for the previous month
(after the employees demo, which gives the staff). The run is calculated here, approved
by the system and its outputs job queued, so the workers render payslips, 賃金台帳 and
the bank file and lock it. Idempotent: a pay group whose run exists is left alone.
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import SystemActor, record
from daiko.cases import service as cases
from daiko.db.engine import Database
from daiko.ids import new_id
from daiko.jobs import service as jobs
from daiko.jobs.kinds import JobKind
from daiko.payroll import inputs, service
from daiko.payroll import repository as repo
from daiko.payroll.models import PayrollRun
from daiko.tenancy.models import Tenant
from daiko.tenancy.scope import scope_of_tenant

log = structlog.get_logger("daiko.payroll")
JST = ZoneInfo("Asia/Tokyo")
ACTOR = SystemActor("demo.payroll", "デモデータ / demo data")
PAYING_ACCOUNT = {
    "company_code": "1234567890",
    "bank_code": "0005",
    "bank_name_kana": "ミツビシユーエフジェイ",
    "branch_code": "001",
    "branch_name_kana": "ホンテン",
    "account_type": 1,
    "account_number": "1234567",
}


def _previous_pay_date(today: dt.date, pay_day: Any) -> dt.date:
    first = today.replace(day=1)
    last_month = first - dt.timedelta(days=1)
    days = calendar.monthrange(last_month.year, last_month.month)[1]
    day = days if pay_day in (None, "end") else min(int(pay_day), days)
    return last_month.replace(day=day)


async def load(db: Database) -> None:
    async with db.global_session() as session:
        tenants = list(
            (
                await session.execute(
                    select(Tenant).where(Tenant.status == "active").order_by(Tenant.slug)
                )
            ).scalars()
        )
    today = dt.datetime.now(JST).date()
    for tenant in tenants:
        if "payroll" not in (tenant.services or []):
            continue
        groups = ((tenant.settings or {}).get("payroll") or {}).get("pay_groups") or [
            {"code": "monthly", "name": "月給者", "pay_day": 25}
        ]
        async with db.session(scope_of_tenant(tenant.id)) as session:
            await _settings(session, tenant)
        for group in groups:
            async with db.session(scope_of_tenant(tenant.id)) as session:
                made = await _run(session, tenant, group, today)
            if made:
                log.info("demo payroll run", tenant=tenant.slug, pay_group=group["code"])


async def _settings(session: AsyncSession, tenant: Tenant) -> None:
    settings = await repo.ensure_settings(session, tenant.id)
    if settings.company_code:
        return
    for name, value in PAYING_ACCOUNT.items():
        setattr(settings, name, value)
    settings.company_name_kana = tenant.name_kana or "デモ"
    if not settings.company_name_kana.startswith("カブシキガイシャ"):
        settings.company_name_kana = "カブシキガイシャ " + settings.company_name_kana
    await session.flush()


async def _run(
    session: AsyncSession, tenant: Tenant, group: dict[str, Any], today: dt.date
) -> uuid.UUID | None:
    code = str(group["code"])
    pay_date = _previous_pay_date(today, group.get("pay_day", 25))
    if await repo.original_run(session, tenant.id, "monthly", code, pay_date) is not None:
        return None
    period = service._period_of(pay_date, group)
    key = f"{code}/{period}"
    title = f"給与計算 {period} {group.get('name', code)}"
    case = await repo.payroll_case(session, tenant.id, key)
    if case is None:
        case = await cases.open_case(
            session,
            ACTOR,
            cases.NewCase(
                tenant_id=tenant.id,
                type="payroll",
                title=title,
                period=period,
                pay_group=code,
                pay_date=pay_date,
                status="submitted",
                recurrence_key=key,
            ),
            reason="demo data",
        )
    run = PayrollRun(
        tenant_id=tenant.id,
        id=new_id(),
        case_id=case.id,
        kind="monthly",
        pay_group=code,
        period=period,
        pay_date=pay_date,
        status="calculating",
        title=title,
        employee_count=0,
        totals={},
        version=1,
    )
    session.add(run)
    await session.flush()
    count = await inputs.fix_members(session, run)
    if not count:
        await session.delete(run)
        await session.flush()
        return None
    run.employee_count = count
    members = await repo.members_range(session, run, 0, count)
    settings = await repo.get_settings(session, tenant.id)
    await repo.insert_results(session, await inputs.build_results(session, run, members, settings))
    await session.flush()
    await service.finish_calculation_if_complete(session, run.id)
    job = await jobs.enqueue(
        session,
        tenant.id,
        JobKind.PAYROLL_OUTPUTS,
        {"run_id": str(run.id), "count": count, "chunk_size": service.OUTPUT_CHUNK_SIZE},
    )
    run.status = service.check_transition(run.status, "approve")
    run.approved_at = service._now()
    run.outputs_job_id = job.id
    await session.flush()
    await record(
        session,
        tenant_id=tenant.id,
        actor=ACTOR,
        action="payroll_run.approved",
        resource_type="payroll_run",
        resource_id=run.id,
        details={"demo": True},
    )
    return run.id
