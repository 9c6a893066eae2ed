"""Recurring cases: each period's cases of a tenant's subscribed services, opened by the
scheduler exactly once.

- payroll (給与計算): one case per pay group and period, opened a configured number of
  business days (tenant calendar) before the group's 締日, the client's data cut-off;
  open until the nominal 支給日.
- bookkeeping (月次決算): last month's close, opened on the month's first business day.
- social insurance (算定基礎届): the annual report, opened on June's first business day,
  until its 10 July deadline.

`plan(...)` is pure (tenant settings and a date in, cases to open out); `open_recurring`
fans out over the active tenants, each in its own scope and its own try, so one
tenant's failure never stops the others. Exactly once comes from the database: a
unique (tenant, type, recurrence key) and `insert … on conflict do nothing`, however
often or concurrently the run happens.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import SystemActor
from daiko.cases import service
from daiko.cases.models import Case
from daiko.cases.service import NewCase, NewChecklistItem
from daiko.db.engine import Database
from daiko.runtime import Runtime
from daiko.sla.calendar import BusinessCalendar, calendar_from_spec, japan_bank_calendar
from daiko.tenancy.models import Tenant
from daiko.tenancy.scope import scope_of_tenant
from daiko.tenancy.spec import CalendarSpec, PayrollSpec

log = structlog.get_logger("daiko.cases.recurring")
TOKYO = ZoneInfo("Asia/Tokyo")

ACTOR = SystemActor("scheduler.cases_recurring", "定期案件 (recurring cases)")
DEFAULT_PAYROLL_OPEN_BUSINESS_DAYS = 5
"""Business days before the data cut-off (締日) a payroll case opens, unless the tenant's
settings say otherwise (`settings.cases.payroll_open_business_days`)."""
SANTEI_DEADLINE = (7, 10)  # 算定基礎届: by 10 July

PAYROLL_CHECKLIST = (
    NewChecklistItem("勤怠データ (timesheets)", "document", True),
    NewChecklistItem("入退社・異動・控除の変更 (joiners, leavers, changes)", "data", False),
)
BOOKKEEPING_CHECKLIST = (
    NewChecklistItem("通帳・カード明細 (bank and card statements)", "document", True),
    NewChecklistItem("領収書・請求書 (receipts and invoices)", "document", True),
)
SANTEI_CHECKLIST = (
    NewChecklistItem("4〜6月の賃金台帳 (April-June payroll ledger)", "document", True),
)


def _month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def tenant_calendar(slug: str, settings: Mapping[str, Any], tz: str) -> BusinessCalendar:
    raw = settings.get("calendar")
    if not raw:
        return japan_bank_calendar()
    spec = msgspec.convert(raw, CalendarSpec, strict=False)
    return calendar_from_spec(slug, spec, tz=tz)


def plan(
    tenant_id: uuid.UUID,
    slug: str,
    services: Sequence[str],
    settings: Mapping[str, Any],
    today: dt.date,
    *,
    time_zone: str = "Asia/Tokyo",
) -> list[NewCase]:
    """The recurring cases that should be open for this tenant on `today`."""
    cal = tenant_calendar(slug, settings, time_zone)
    out: list[NewCase] = []
    if "payroll" in services and settings.get("payroll"):
        payroll = msgspec.convert(settings["payroll"], PayrollSpec, strict=False)
        lead = int(
            (settings.get("cases") or {}).get(
                "payroll_open_business_days", DEFAULT_PAYROLL_OPEN_BUSINESS_DAYS
            )
        )
        for group in payroll.pay_groups:
            for delta in (-1, 0, 1):
                year, month = _month(today.year, today.month, delta)
                cutoff = group.closing_date(year, month)
                opens = cal.business_days_before(cutoff, lead)
                pay = group.pay_date(year, month)
                if not opens <= today <= pay:
                    continue
                period = f"{year}-{month:02d}"
                out.append(
                    NewCase(
                        tenant_id=tenant_id,
                        type="payroll",
                        title=f"給与計算 {period} {group.name}",
                        description=(
                            f"締日 {cutoff.isoformat()}, 支給日 {pay.isoformat()}: "
                            "please provide the period's inputs by the cut-off."
                        ),
                        period=period,
                        pay_group=group.code,
                        pay_date=pay,
                        recurrence_key=f"{group.code}/{period}",
                        checklist=PAYROLL_CHECKLIST,
                    )
                )
    if "bookkeeping" in services:
        opens = cal.on_or_after(dt.date(today.year, today.month, 1))
        if today >= opens:
            year, month = _month(today.year, today.month, -1)
            period = f"{year}-{month:02d}"
            out.append(
                NewCase(
                    tenant_id=tenant_id,
                    type="bookkeeping_close",
                    title=f"月次決算 {period}",
                    period=period,
                    recurrence_key=period,
                    checklist=BOOKKEEPING_CHECKLIST,
                )
            )
    if "social_insurance" in services:
        opens = cal.on_or_after(dt.date(today.year, 6, 1))
        deadline = dt.date(today.year, *SANTEI_DEADLINE)
        if opens <= today <= deadline:
            period = f"{today.year}"
            out.append(
                NewCase(
                    tenant_id=tenant_id,
                    type="si_santei",
                    title=f"算定基礎届 {today.year}年",
                    description=f"提出期限 {deadline.isoformat()}",
                    period=period,
                    priority="high",
                    recurrence_key=period,
                    checklist=SANTEI_CHECKLIST,
                )
            )
    return out


@dataclass
class RecurringReport:
    created: list[tuple[str, str]] = field(default_factory=list)  # (slug, title)
    existing: list[tuple[str, str]] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # slug → error


async def _existing_keys(session: AsyncSession, tenant_id: uuid.UUID) -> set[tuple[str, str]]:
    rows = await session.execute(
        select(Case.type, Case.recurrence_key).where(
            Case.tenant_id == tenant_id, Case.recurrence_key.is_not(None)
        )
    )
    return {(t, k or "") for t, k in rows}


async def open_recurring(
    db: Database, today: dt.date, *, dry_run: bool = False, slug: str | None = None
) -> RecurringReport:
    """Open every active tenant's due recurring cases (one tenant's, with `slug`)."""
    report = RecurringReport()
    async with db.global_session() as session:
        stmt = select(Tenant.id, Tenant.slug, Tenant.services, Tenant.settings, Tenant.time_zone)
        stmt = stmt.where(Tenant.status == "active").order_by(Tenant.slug)
        if slug is not None:
            stmt = stmt.where(Tenant.slug == slug)
        tenants = (await session.execute(stmt)).all()
    for tenant_id, tenant_slug, services, settings, tz in tenants:
        try:
            wanted = plan(
                tenant_id, tenant_slug, services or [], settings or {}, today, time_zone=tz
            )
            if not wanted:
                continue
            async with db.session(scope_of_tenant(tenant_id)) as session:
                if dry_run:
                    have = await _existing_keys(session, tenant_id)
                    for new in wanted:
                        known = (new.type, new.recurrence_key or "") in have
                        (report.existing if known else report.created).append(
                            (tenant_slug, new.title)
                        )
                    continue
                for new in wanted:
                    case = await service.open_recurring_case(
                        session, ACTOR, new, reason="opened by the schedule"
                    )
                    (report.existing if case is None else report.created).append(
                        (tenant_slug, new.title)
                    )
        except Exception as exc:
            log.exception("recurring cases failed", tenant=tenant_slug)
            report.failed[tenant_slug] = f"{type(exc).__name__}: {exc}"[:300]
    if report.created and not dry_run:
        log.info("recurring cases opened", count=len(report.created))
    return report


async def run_periodic(runtime: Runtime, at: dt.datetime) -> None:
    """The scheduler's entry (`daiko.schedule`): today in Japan, every tenant."""
    report = await open_recurring(runtime.db, at.astimezone(TOKYO).date())
    if report.failed:
        log.warning("recurring cases failed for some tenants", tenants=sorted(report.failed))
