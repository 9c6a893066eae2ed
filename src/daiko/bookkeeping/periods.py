"""Fiscal years (会計年度) and their monthly periods, which close (月次締め) and lock.

A fiscal year is twelve calendar months from its first day (the tenant's start month by
default, April for most companies). Closing a month refuses while drafts dated in it
remain, and from then on the database refuses any insert, update or delete of entries
dated in it (trigger `bk_entry_guard`). Months close in order: an earlier open month
blocks closing a later one.
"""

from __future__ import annotations

import calendar
import uuid
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from daiko.bookkeeping import repository as repo
from daiko.bookkeeping.accounts import ensure_settings
from daiko.bookkeeping.models import AccountingPeriod, FiscalYear
from daiko.errors import Conflict, InvalidInput, NotFound


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def fiscal_year_start(day: date, start_month: int) -> date:
    """First day of the fiscal year (starting in `start_month`) that contains `day`."""
    year = day.year if day.month >= start_month else day.year - 1
    return date(year, start_month, 1)


async def create_fiscal_year(
    session: AsyncSession, tenant_id: uuid.UUID, start_date: date
) -> FiscalYear:
    """A fiscal year of twelve monthly periods from `start_date` (the 1st of a month)."""
    if start_date.day != 1:
        raise InvalidInput.field("start_date", "a fiscal year starts on the 1st of a month")
    end_date = add_months(start_date, 12).replace(day=1)
    end_date = date.fromordinal(end_date.toordinal() - 1)
    if await repo.overlapping_fiscal_year(session, tenant_id, start_date, end_date):
        raise Conflict("the fiscal year overlaps an existing one")
    await ensure_settings(session, tenant_id)
    year = FiscalYear(tenant_id=tenant_id, start_date=start_date, end_date=end_date)
    session.add(year)
    await session.flush()
    for i in range(12):
        first = add_months(start_date, i)
        session.add(
            AccountingPeriod(
                tenant_id=tenant_id,
                fiscal_year_id=year.id,
                start_date=first,
                end_date=month_end(first),
            )
        )
    await session.flush()
    return year


async def ensure_fiscal_year(session: AsyncSession, tenant_id: uuid.UUID, day: date) -> FiscalYear:
    """The fiscal year containing `day`, created from the tenant's start month if none."""
    found = await repo.fiscal_year_containing(session, tenant_id, day)
    if found is not None:
        return found
    settings = await ensure_settings(session, tenant_id)
    return await create_fiscal_year(
        session, tenant_id, fiscal_year_start(day, settings.fiscal_year_start_month)
    )


async def close_period(
    session: AsyncSession, period_id: uuid.UUID, *, closed_by: uuid.UUID | None
) -> AccountingPeriod:
    """Close one month: no drafts may remain in it and earlier months must be closed."""
    period = await repo.get_period(session, period_id, for_update=True)
    if period is None:
        raise NotFound("no such accounting period")
    if period.status == "closed":
        raise Conflict("the period is already closed")
    earlier_open = [
        p
        for p in await repo.periods_of(session, period.tenant_id)
        if p.start_date < period.start_date and p.status == "open"
    ]
    if earlier_open:
        first = earlier_open[0].start_date
        raise Conflict(
            f"close {first:%Y-%m} first: months close in order", extra={"code": "earlier_open"}
        )
    drafts = await repo.drafts_between(
        session, period.tenant_id, period.start_date, period.end_date
    )
    if drafts:
        raise Conflict(
            f"{drafts} draft entries are dated in this period: post or delete them first",
            extra={"code": "drafts_remain", "drafts": drafts},
        )
    period.status = "closed"
    period.closed_at = datetime.now(UTC)
    period.closed_by = closed_by
    await session.flush()
    return period
