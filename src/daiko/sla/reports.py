"""Attainment reports: per tenant × service × month, contractual clocks met and
breached (statutory ones counted beside them, never mixed in), and the median business
time to completion. A clock counts in the month (Asia/Tokyo) it settled: when it was met,
or the moment it breached."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.sla import repository as repo
from daiko.tenancy.models import Tenant

REPORT_TZ = "Asia/Tokyo"
CSV_HEADER = (
    "tenant",
    "service",
    "month",
    "met",
    "breached",
    "attainment_percent",
    "median_hours",
    "statutory_met",
    "statutory_breached",
)


@dataclass(frozen=True)
class AttainmentRow:
    tenant_id: uuid.UUID
    tenant_slug: str
    tenant_name: str
    service: str
    month: str
    met: int
    breached: int
    attainment_percent: Decimal | None  # met / (met + breached), 1 decimal
    median_hours: Decimal | None  # median business hours to completion, 2 decimals
    statutory_met: int
    statutory_breached: int


def parse_month(value: str) -> tuple[int, int]:
    year, _, month = value.partition("-")
    y, m = int(year), int(month)
    if not (2000 <= y <= 2100 and 1 <= m <= 12) or len(value) != 7:
        raise ValueError(f"not a month (YYYY-MM): {value!r}")
    return y, m


def month_bounds(first: str, last: str) -> tuple[dt.datetime, dt.datetime]:
    """[start of `first`, start of the month after `last`) in Asia/Tokyo."""
    tz = ZoneInfo(REPORT_TZ)
    y1, m1 = parse_month(first)
    y2, m2 = parse_month(last)
    since = dt.datetime(y1, m1, 1, tzinfo=tz)
    until = dt.datetime(y2 + m2 // 12, m2 % 12 + 1, 1, tzinfo=tz)
    if until <= since:
        raise ValueError("the last month must not be before the first")
    return since, until


def months_back(last: str, count: int) -> str:
    y, m = parse_month(last)
    index = y * 12 + (m - 1) - (count - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def percent(met: int, breached: int) -> Decimal | None:
    total = met + breached
    if total == 0:
        return None
    return (Decimal(met * 100) / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)


async def attainment(
    session: AsyncSession,
    tenant_ids: Sequence[uuid.UUID],
    first_month: str,
    last_month: str,
    service: str | None = None,
) -> list[AttainmentRow]:
    since, until = month_bounds(first_month, last_month)
    tenants = {
        t.id: t
        for t in (
            await session.execute(select(Tenant).where(Tenant.id.in_(list(tenant_ids))))
        ).scalars()
    }
    rows = await repo.attainment_rows(session, list(tenants), since, until, service, REPORT_TZ)
    out: list[AttainmentRow] = []
    for r in rows:
        median = repo.as_decimal(r.median_seconds)
        out.append(
            AttainmentRow(
                tenant_id=r.tenant_id,
                tenant_slug=tenants[r.tenant_id].slug,
                tenant_name=tenants[r.tenant_id].name,
                service=r.service,
                month=r.month,
                met=r.met,
                breached=r.breached,
                attainment_percent=percent(r.met, r.breached),
                median_hours=None
                if median is None
                else (median / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP),
                statutory_met=r.statutory_met,
                statutory_breached=r.statutory_breached,
            )
        )
    out.sort(key=lambda a: (a.tenant_slug, a.month, a.service))
    return out


def to_csv(rows: Sequence[AttainmentRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow(
            [
                r.tenant_slug,
                r.service,
                r.month,
                r.met,
                r.breached,
                "" if r.attainment_percent is None else str(r.attainment_percent),
                "" if r.median_hours is None else str(r.median_hours),
                r.statutory_met,
                r.statutory_breached,
            ]
        )
    return buffer.getvalue()
