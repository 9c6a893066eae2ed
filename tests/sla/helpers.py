"""Building cases with an exact status history, and reading what the SLA work stored."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.cases.models import Case, CaseStatusChange
from daiko.cases.repository import get_case
from daiko.ids import new_id
from daiko.runtime import Runtime
from daiko.sla.service import ClockView, refresh_case_sla
from daiko.tenancy.scope import scope_of_tenant

JST = ZoneInfo("Asia/Tokyo")


def jst(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=JST)


async def make_case(
    engine: AsyncEngine,
    tenant_id: uuid.UUID,
    history: Sequence[tuple[str, str]],
    *,
    type_: str = "inquiry",
    service: str = "general",
    priority: str = "normal",
    title: str = "SLA case",
    assignee_id: uuid.UUID | None = None,
    pay_date: dt.date | None = None,
    pay_group: str | None = None,
    period: str | None = None,
) -> uuid.UUID:
    """A case whose history is `(JST time, status)` pairs, written as the owner."""
    case_id = new_id()
    last_at, last_status = history[-1]
    async with engine.begin() as conn:
        await conn.execute(
            insert(Case).values(
                tenant_id=tenant_id,
                id=case_id,
                type=type_,
                service=service,
                title=title,
                priority=priority,
                status=last_status,
                status_changed_at=jst(last_at),
                assignee_id=assignee_id,
                pay_date=pay_date,
                pay_group=pay_group,
                period=period,
            )
        )
        previous: str | None = None
        for at, status in history:
            await conn.execute(
                insert(CaseStatusChange).values(
                    tenant_id=tenant_id,
                    id=new_id(),
                    case_id=case_id,
                    from_status=previous,
                    to_status=status,
                    actor_kind="system",
                    actor_display="tests.sla",
                    at=jst(at),
                )
            )
            previous = status
    return case_id


async def add_change(
    engine: AsyncEngine, tenant_id: uuid.UUID, case_id: uuid.UUID, at: str, status: str
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(CaseStatusChange).values(
                tenant_id=tenant_id,
                id=new_id(),
                case_id=case_id,
                to_status=status,
                actor_kind="system",
                at=jst(at),
            )
        )
        await conn.execute(
            text("update cases set status = :s where id = :id"), {"s": status, "id": case_id}
        )


async def refresh(
    runtime: Runtime, tenant_id: uuid.UUID, case_id: uuid.UUID, now: dt.datetime
) -> list[ClockView]:
    async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
        case = await get_case(session, case_id)
        assert case is not None
        return await refresh_case_sla(session, case, now=now)


async def rows(engine: AsyncEngine, sql: str, **params: object) -> list[tuple[object, ...]]:
    async with engine.begin() as conn:
        return [tuple(r) for r in await conn.execute(text(sql), params)]


def by_clock(views: Sequence[ClockView]) -> dict[str, ClockView]:
    return {v.clock: v for v in views}


__all__ = ["add_change", "by_clock", "jst", "make_case", "refresh", "rows"]
