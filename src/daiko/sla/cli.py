"""`daiko sla …`: business-calendar arithmetic for operators and checks."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

import click
import msgspec

from daiko.sla.calendar import BusinessCalendar, calendar_from_spec, calendar_named
from daiko.tenancy.spec import CalendarSpec


async def _tenant_calendar(slug: str) -> BusinessCalendar:
    from sqlalchemy import select

    from daiko.cli import settings_with_embedded_database
    from daiko.config import get_settings
    from daiko.db.engine import Database
    from daiko.tenancy.models import Tenant

    db = Database(settings_with_embedded_database(get_settings()))
    try:
        async with db.global_session() as session:
            row = (
                await session.execute(
                    select(Tenant.settings, Tenant.time_zone).where(Tenant.slug == slug)
                )
            ).one_or_none()
    finally:
        await db.dispose()
    if row is None:
        raise click.BadParameter(f"no calendar or tenant named {slug!r}", param_hint="--calendar")
    settings: dict[str, Any] = row.settings or {}
    spec = (
        msgspec.convert(settings["calendar"], CalendarSpec, strict=False)
        if settings.get("calendar")
        else CalendarSpec()
    )
    return calendar_from_spec(slug, spec, tz=row.time_zone)


def resolve_calendar(name: str) -> BusinessCalendar:
    try:
        return calendar_named(name)
    except KeyError:
        return asyncio.run(_tenant_calendar(name))


@click.group("sla")
def group() -> None:
    """Service levels and business calendars."""


@group.command("due")
@click.option(
    "--calendar",
    "calendar_name",
    default="jp",
    show_default=True,
    help="jp (bank: weekends, holidays, 31 Dec–3 Jan), jp-gov, or a tenant slug.",
)
@click.option(
    "--start", required=True, help="A date (2026-04-28) or a time (2026-04-28T17:00+09:00)."
)
@click.option(
    "--business-days", type=int, default=None, help="Business days to add (negative: before)."
)
@click.option("--business-hours", type=float, default=None, help="Working hours to add.")
def due(
    calendar_name: str, start: str, business_days: int | None, business_hours: float | None
) -> None:
    """Print the date N business days after START, or the moment N working hours after it."""
    if (business_days is None) == (business_hours is None):
        raise click.UsageError("give exactly one of --business-days and --business-hours")
    calendar = resolve_calendar(calendar_name)
    if business_days is not None:
        try:
            day = dt.date.fromisoformat(start[:10])
        except ValueError:
            raise click.BadParameter(f"not a date: {start!r}", param_hint="--start") from None
        click.echo(calendar.add_business_days(day, business_days).isoformat())
        return
    assert business_hours is not None
    if business_hours < 0:
        raise click.BadParameter("must not be negative", param_hint="--business-hours")
    try:
        moment = dt.datetime.fromisoformat(start)
    except ValueError:
        raise click.BadParameter(f"not a date-time: {start!r}", param_hint="--start") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=calendar.tz)
    result = calendar.add_business_time(moment, dt.timedelta(hours=business_hours))
    click.echo(result.astimezone(moment.tzinfo).isoformat(timespec="minutes"))


@group.command("holidays")
@click.option("--calendar", "calendar_name", default="jp", show_default=True)
@click.argument("year", type=int)
def holidays(calendar_name: str, year: int) -> None:
    """List the closed weekdays of YEAR with their reason."""
    calendar = resolve_calendar(calendar_name)
    for day, reason in calendar.describe(dt.date(year, 1, 1), dt.date(year, 12, 31)):
        if day.weekday() not in calendar.weekend:
            click.echo(f"{day.isoformat()} {day:%a} {reason}")


@dataclass(frozen=True)
class _Env:
    settings: Any
    db: Any


async def _with_runtime(fn: Any) -> Any:
    """Only the database is needed (no broker, no document store)."""
    from daiko.cli import settings_with_embedded_database
    from daiko.config import get_settings
    from daiko.db.engine import Database

    settings = settings_with_embedded_database(get_settings())
    db = Database(settings)
    try:
        return await fn(_Env(settings, db))
    finally:
        await db.dispose()


@group.command("scan")
@click.option("--now", default=None, help="Scan as of this moment (ISO 8601); default: now.")
@click.option("--no-mail", is_flag=True, help="Record events without sending mail.")
def scan_command(now: str | None, no_mail: bool) -> None:
    """Run one SLA scan now: record warnings and breaches once, escalate, notify."""
    from daiko.sla.scanner import scan

    moment = None
    if now is not None:
        try:
            moment = dt.datetime.fromisoformat(now)
        except ValueError:
            raise click.BadParameter(f"not a date-time: {now!r}", param_hint="--now") from None
        if moment.tzinfo is None:
            raise click.BadParameter("give a time zone (e.g. +09:00)", param_hint="--now")

    async def go(runtime: Any) -> Any:
        return await scan(runtime.db, runtime.settings, now=moment, notify=not no_mail)

    result = asyncio.run(_with_runtime(go))
    click.echo(
        f"due {result.due}, recorded {result.recorded}, escalated {result.escalated}, "
        f"mails {len(result.mails)}, tenants {result.tenants}, failed {result.failed_tenants}"
    )
    if result.failed_tenants:
        raise SystemExit(1)


@group.command("report")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@click.option("--month", required=True, help="YYYY-MM (the last month of the report).")
@click.option("--months", type=int, default=1, show_default=True, help="Months back.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV instead of a table.")
def report(slug: str, month: str, months: int, as_csv: bool) -> None:
    """Attainment of one tenant per service and month."""
    from sqlalchemy import select

    from daiko.sla.reports import CSV_HEADER, attainment, months_back, parse_month, to_csv
    from daiko.tenancy.models import Tenant
    from daiko.tenancy.scope import scope_of_tenant

    try:
        parse_month(month)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from None

    async def go(runtime: Any) -> Any:
        async with runtime.db.global_session() as session:
            tenant_id = (
                await session.execute(select(Tenant.id).where(Tenant.slug == slug))
            ).scalar()
        if tenant_id is None:
            raise click.BadParameter(f"no tenant {slug!r}", param_hint="--tenant")
        async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
            return await attainment(session, [tenant_id], months_back(month, months), month)

    rows = asyncio.run(_with_runtime(go))
    if as_csv:
        click.echo(to_csv(rows), nl=False)
        return
    widths = [max(len(h), 10) for h in CSV_HEADER]
    click.echo("  ".join(h.ljust(w) for h, w in zip(CSV_HEADER, widths, strict=True)))
    for line in to_csv(rows).splitlines()[1:]:
        cells = line.split(",")
        click.echo("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))
