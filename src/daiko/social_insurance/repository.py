"""Queries of the social-insurance domain (the only module that selects its tables)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.social_insurance.models import (
    SiDependent,
    SiEnrolment,
    SiOffice,
    SiProcedure,
    SiProcedureDocument,
    SiProcedureEvent,
    SiReview,
    SiReviewItem,
)


@dataclass(frozen=True)
class ProcedureFilter:
    tenant_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    employee_id: uuid.UUID | None = None
    kind: str | None = None
    status: str | None = None


async def get_procedure(
    session: AsyncSession, procedure_id: uuid.UUID, *, for_update: bool = False
) -> SiProcedure | None:
    """By id in whatever tenants the session's scope holds (RLS decides)."""
    stmt = select(SiProcedure).where(SiProcedure.id == procedure_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_procedures(
    session: AsyncSession, f: ProcedureFilter, *, after: uuid.UUID | None, limit: int
) -> Sequence[SiProcedure]:
    conds: list[ColumnElement[bool]] = []
    if f.tenant_id is not None:
        conds.append(SiProcedure.tenant_id == f.tenant_id)
    if f.case_id is not None:
        conds.append(SiProcedure.case_id == f.case_id)
    if f.employee_id is not None:
        conds.append(SiProcedure.employee_id == f.employee_id)
    if f.kind is not None:
        conds.append(SiProcedure.kind == f.kind)
    if f.status is not None:
        conds.append(SiProcedure.status == f.status)
    if after is not None:
        conds.append(SiProcedure.id > after)
    stmt = select(SiProcedure).where(and_(true(), *conds)).order_by(SiProcedure.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def open_procedure(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    employee_id: uuid.UUID | None,
    kind: str,
    event_date: dt.date,
) -> SiProcedure | None:
    """A procedure of this kind for the same person and fact not cancelled (idempotency
    of life events: the same hire entered twice opens its procedures once)."""
    stmt = select(SiProcedure).where(
        SiProcedure.tenant_id == tenant_id,
        SiProcedure.employee_id == employee_id
        if employee_id is not None
        else SiProcedure.employee_id.is_(None),
        SiProcedure.kind == kind,
        SiProcedure.event_date == event_date,
        SiProcedure.status != "cancelled",
    )
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def events_of(session: AsyncSession, procedure: SiProcedure) -> Sequence[SiProcedureEvent]:
    stmt = (
        select(SiProcedureEvent)
        .where(
            SiProcedureEvent.tenant_id == procedure.tenant_id,
            SiProcedureEvent.procedure_id == procedure.id,
        )
        .order_by(SiProcedureEvent.at, SiProcedureEvent.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def documents_of(
    session: AsyncSession, procedure: SiProcedure
) -> Sequence[SiProcedureDocument]:
    stmt = (
        select(SiProcedureDocument)
        .where(
            SiProcedureDocument.tenant_id == procedure.tenant_id,
            SiProcedureDocument.procedure_id == procedure.id,
        )
        .order_by(SiProcedureDocument.created_at, SiProcedureDocument.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def office(session: AsyncSession, tenant_id: uuid.UUID) -> SiOffice | None:
    stmt = select(SiOffice).where(SiOffice.tenant_id == tenant_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def enrolments(
    session: AsyncSession, tenant_id: uuid.UUID, employee_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, SiEnrolment]:
    stmt = select(SiEnrolment).where(
        SiEnrolment.tenant_id == tenant_id, SiEnrolment.employee_id.in_(list(employee_ids))
    )
    return {e.employee_id: e for e in (await session.execute(stmt)).scalars()}


async def dependents(
    session: AsyncSession, tenant_id: uuid.UUID, employee_id: uuid.UUID
) -> Sequence[SiDependent]:
    stmt = (
        select(SiDependent)
        .where(SiDependent.tenant_id == tenant_id, SiDependent.employee_id == employee_id)
        .order_by(SiDependent.birth_date, SiDependent.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def get_review(session: AsyncSession, review_id: uuid.UUID) -> SiReview | None:
    return (
        await session.execute(select(SiReview).where(SiReview.id == review_id))
    ).scalar_one_or_none()


async def find_review(
    session: AsyncSession, tenant_id: uuid.UUID, kind: str, period: str
) -> SiReview | None:
    stmt = select(SiReview).where(
        SiReview.tenant_id == tenant_id, SiReview.kind == kind, SiReview.period == period
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_reviews(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID | None,
    kind: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[SiReview]:
    conds: list[ColumnElement[bool]] = []
    if tenant_id is not None:
        conds.append(SiReview.tenant_id == tenant_id)
    if kind is not None:
        conds.append(SiReview.kind == kind)
    if after is not None:
        conds.append(SiReview.id > after)
    stmt = select(SiReview).where(and_(true(), *conds)).order_by(SiReview.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def items_of(session: AsyncSession, review: SiReview) -> Sequence[SiReviewItem]:
    stmt = (
        select(SiReviewItem)
        .where(SiReviewItem.tenant_id == review.tenant_id, SiReviewItem.review_id == review.id)
        .order_by(SiReviewItem.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def get_item(
    session: AsyncSession, item_id: uuid.UUID, *, for_update: bool = False
) -> SiReviewItem | None:
    stmt = select(SiReviewItem).where(SiReviewItem.id == item_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


@dataclass(frozen=True)
class PaidMonth:
    """One employee's approved monthly pay, by the month it was paid in."""

    employee_id: uuid.UUID
    paid_month: dt.date  # first day of the pay date's month
    period: dt.date  # first day of the run's period
    gross: int
    payments: list[tuple[str, int]]


async def paid_months(
    session: AsyncSession, tenant_id: uuid.UUID, first: dt.date, last: dt.date
) -> list[PaidMonth]:
    """Monthly pay of approved (or locked) runs paid between `first` and the end of
    `last`'s month; a correction run's result replaces the original's."""
    from daiko.payroll.models import PayrollResult, PayrollRun

    end = dt.date(last.year + last.month // 12, last.month % 12 + 1, 1)
    stmt = (
        select(PayrollResult, PayrollRun)
        .join(
            PayrollRun,
            and_(
                PayrollRun.tenant_id == PayrollResult.tenant_id,
                PayrollRun.id == PayrollResult.run_id,
            ),
        )
        .where(
            PayrollRun.tenant_id == tenant_id,
            PayrollRun.kind == "monthly",
            PayrollRun.status.in_(("approved", "locked")),
            PayrollRun.pay_date >= first,
            PayrollRun.pay_date < end,
        )
        .order_by(PayrollRun.pay_date, PayrollRun.created_at)
    )
    latest: dict[tuple[uuid.UUID, dt.date], PaidMonth] = {}
    for result, run in (await session.execute(stmt)).all():
        lines: dict[str, Any] = result.lines or {}
        month = run.pay_date.replace(day=1)
        latest[(result.employee_id, month)] = PaidMonth(
            employee_id=result.employee_id,
            paid_month=month,
            period=dt.date.fromisoformat(run.period + "-01"),
            gross=int(result.gross_pay),
            payments=[(str(a), int(b)) for a, b in lines.get("payments", [])],
        )
    return list(latest.values())


async def awaiting_answer(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[SiProcedure]:
    """Procedures submitted through e-Gov whose office has not finished with them."""
    stmt = (
        select(SiProcedure)
        .where(
            SiProcedure.tenant_id == tenant_id,
            SiProcedure.arrival_id.is_not(None),
            SiProcedure.status.in_(("submitted", "arrived", "under_review")),
        )
        .order_by(SiProcedure.id)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).scalars().all()
