"""Editing a tenant's business calendar from the console: closures (annual "MM-DD" or
one-off dates) and extra days off, saved into `tenants.settings.calendar` (the same
shape `daiko tenants apply` writes), audited, and applied to the tenant's open clocks."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import record
from daiko.errors import InvalidInput, NotFound
from daiko.sla.service import recompute_tenant
from daiko.tenancy.models import Tenant
from daiko.tenancy.spec import CalendarSpec, Closure, MonthDay, WorkingHours

_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


def parse_day(value: str, field: str) -> dt.date | MonthDay:
    value = value.strip()
    match = _MONTH_DAY.match(value)
    try:
        if match:
            month, day = int(match.group(1)), int(match.group(2))
            dt.date(2024, month, day)  # a real day of some year (02-29 included)
            return MonthDay(month=month, day=day)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput.field(field, "a date (2026-08-13) or a yearly day (08-13)") from None


def spec_of(tenant: Tenant) -> CalendarSpec:
    raw = (tenant.settings or {}).get("calendar")
    return msgspec.convert(raw, CalendarSpec, strict=False) if raw else CalendarSpec()


def add_closure(spec: CalendarSpec, label: str, start: str, end: str) -> CalendarSpec:
    label = label.strip()
    if not label or len(label) > 100:
        raise InvalidInput.field("label", "1 to 100 characters")
    first, last = parse_day(start, "start"), parse_day(end, "end")
    if type(first) is not type(last):
        raise InvalidInput.field("end", "both dates, or both yearly days")
    if isinstance(first, dt.date) and isinstance(last, dt.date) and last < first:
        raise InvalidInput.field("end", "must not be before the start")
    closure = Closure(label=label, start=first, end=last)
    return msgspec.structs.replace(spec, closures=(*spec.closures, closure))


def add_day_off(spec: CalendarSpec, day: str) -> CalendarSpec:
    value = parse_day(day, "day")
    if not isinstance(value, dt.date):
        raise InvalidInput.field("day", "a date (2026-08-12)")
    if value in spec.extra_days_off:
        return spec
    return msgspec.structs.replace(
        spec, extra_days_off=tuple(sorted((*spec.extra_days_off, value)))
    )


def set_working_hours(spec: CalendarSpec, start: str, end: str) -> CalendarSpec:
    """就業時間: the hours in which SLA business time passes on a business day."""
    try:
        first = dt.time.fromisoformat(start.strip())
        last = dt.time.fromisoformat(end.strip())
    except ValueError:
        raise InvalidInput.field("work_start", "a time like 09:00") from None
    if last <= first:
        raise InvalidInput.field("work_end", "must be after the start")
    return msgspec.structs.replace(spec, working_hours=WorkingHours(start=first, end=last))


def remove(spec: CalendarSpec, what: str, index: int) -> CalendarSpec:
    items = spec.closures if what == "closure" else spec.extra_days_off
    if not 0 <= index < len(items):
        raise InvalidInput.field("index", "no such entry")
    if what == "closure":
        rest = spec.closures[:index] + spec.closures[index + 1 :]
        return msgspec.structs.replace(spec, closures=rest)
    days = spec.extra_days_off[:index] + spec.extra_days_off[index + 1 :]
    return msgspec.structs.replace(spec, extra_days_off=days)


def describe(spec: CalendarSpec, before: CalendarSpec) -> dict[str, Any]:
    old = msgspec.to_builtins(before)
    new = msgspec.to_builtins(spec)
    return {"from": old, "to": new}


async def save_calendar(
    session: AsyncSession, actor: Any, tenant_id: uuid.UUID, change: str, edit: Any
) -> CalendarSpec:
    """Apply `edit` (CalendarSpec → CalendarSpec) to the tenant's calendar; audit it as
    `sla.calendar_changed` and recompute the tenant's open clocks. Flushes only."""
    tenant = await session.get(Tenant, tenant_id, with_for_update=True)
    if tenant is None:
        raise NotFound("no such company")
    before = spec_of(tenant)
    after: CalendarSpec = edit(before)
    if after == before:
        return after
    tenant.settings = {**(tenant.settings or {}), "calendar": msgspec.to_builtins(after)}
    await session.flush()
    await recompute_tenant(session, tenant_id)
    await record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="sla.calendar_changed",
        resource_type="tenant_calendar",
        resource_id=tenant_id,
        details={"change": change, **describe(after, before)},
    )
    return after
