"""The only place with payroll-run queries. Every function takes a tenant-scoped session:
RLS limits it to the caller's tenants, so another tenant's run simply is not found."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.cases.models import Case
from daiko.payroll.models import (
    AMOUNT_COLUMNS,
    PayrollJournalLine,
    PayrollResult,
    PayrollRun,
    PayrollRunDocument,
    PayrollRunMember,
    PayrollSettings,
)


async def get_run(
    session: AsyncSession, run_id: uuid.UUID, *, for_update: bool = False
) -> PayrollRun | None:
    stmt = select(PayrollRun).where(PayrollRun.id == run_id)
    if for_update:
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_run_in(
    session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID, *, for_update: bool = False
) -> PayrollRun | None:
    stmt = select(PayrollRun).where(PayrollRun.tenant_id == tenant_id, PayrollRun.id == run_id)
    if for_update:
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


@dataclass(frozen=True)
class RunFilter:
    tenant_id: uuid.UUID | None = None
    status: str | None = None
    kind: str | None = None
    pay_group: str | None = None


async def list_runs(
    session: AsyncSession,
    where: RunFilter,
    *,
    after: tuple[date, uuid.UUID] | None = None,
    limit: int = 50,
) -> Sequence[PayrollRun]:
    """Latest pay date first, then newest first (keyset on (pay_date, id))."""
    stmt = (
        select(PayrollRun).order_by(PayrollRun.pay_date.desc(), PayrollRun.id.desc()).limit(limit)
    )
    if where.tenant_id is not None:
        stmt = stmt.where(PayrollRun.tenant_id == where.tenant_id)
    if where.status is not None:
        stmt = stmt.where(PayrollRun.status == where.status)
    if where.kind is not None:
        stmt = stmt.where(PayrollRun.kind == where.kind)
    if where.pay_group is not None:
        stmt = stmt.where(PayrollRun.pay_group == where.pay_group)
    if after is not None:
        stmt = stmt.where(tuple_(PayrollRun.pay_date, PayrollRun.id) < tuple_(*after))
    return (await session.execute(stmt)).scalars().all()


async def original_run(
    session: AsyncSession, tenant_id: uuid.UUID, kind: str, pay_group: str, pay_date: date
) -> PayrollRun | None:
    stmt = select(PayrollRun).where(
        PayrollRun.tenant_id == tenant_id,
        PayrollRun.kind == kind,
        PayrollRun.pay_group == pay_group,
        PayrollRun.pay_date == pay_date,
        PayrollRun.corrects_run_id.is_(None),
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def payroll_case(
    session: AsyncSession, tenant_id: uuid.UUID, recurrence_key: str
) -> Case | None:
    stmt = select(Case).where(
        Case.tenant_id == tenant_id,
        Case.type == "payroll",
        Case.recurrence_key == recurrence_key,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def clear_calculation(session: AsyncSession, run: PayrollRun) -> None:
    """Forget a run's members, results and journal (before a recalculation)."""
    for model in (PayrollResult, PayrollJournalLine, PayrollRunMember):
        await session.execute(
            delete(model).where(
                model.tenant_id == run.tenant_id,
                model.run_id == run.id,
            )
        )


async def add_members(
    session: AsyncSession, run: PayrollRun, employee_ids: Sequence[uuid.UUID]
) -> None:
    if not employee_ids:
        return
    await session.execute(
        insert(PayrollRunMember),
        [
            {
                "tenant_id": run.tenant_id,
                "id": uuid.uuid4(),
                "run_id": run.id,
                "seq": seq,
                "employee_id": employee_id,
            }
            for seq, employee_id in enumerate(employee_ids)
        ],
    )


async def members_range(
    session: AsyncSession, run: PayrollRun, start: int, count: int
) -> list[tuple[int, uuid.UUID]]:
    stmt = (
        select(PayrollRunMember.seq, PayrollRunMember.employee_id)
        .where(
            PayrollRunMember.tenant_id == run.tenant_id,
            PayrollRunMember.run_id == run.id,
            PayrollRunMember.seq >= start,
            PayrollRunMember.seq < start + count,
        )
        .order_by(PayrollRunMember.seq)
    )
    return [(seq, eid) for seq, eid in (await session.execute(stmt)).all()]


async def insert_results(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert results; a row already there (same run and employee) is left alone, so a
    chunk that runs twice writes once. Executed as one batched statement (insertmanyvalues),
    not one giant VALUES list: compiling 500 × 35 bind parameters costs seconds."""
    if not rows:
        return
    await session.execute(
        insert(PayrollResult).on_conflict_do_nothing(
            index_elements=["tenant_id", "run_id", "employee_id"]
        ),
        list(rows),
    )


async def count_results(session: AsyncSession, run: PayrollRun) -> int:
    stmt = select(func.count()).where(
        PayrollResult.tenant_id == run.tenant_id, PayrollResult.run_id == run.id
    )
    return int((await session.execute(stmt)).scalar_one())


async def result_totals(session: AsyncSession, run: PayrollRun) -> dict[str, int]:
    cols = [func.coalesce(func.sum(getattr(PayrollResult, c)), 0).label(c) for c in AMOUNT_COLUMNS]
    stmt = select(func.count().label("employees"), *cols).where(
        PayrollResult.tenant_id == run.tenant_id, PayrollResult.run_id == run.id
    )
    row = (await session.execute(stmt)).one()
    return {k: int(v) for k, v in row._mapping.items()}


async def results_page(
    session: AsyncSession, run: PayrollRun, *, after_seq: int | None = None, limit: int = 50
) -> Sequence[PayrollResult]:
    stmt = (
        select(PayrollResult)
        .where(PayrollResult.tenant_id == run.tenant_id, PayrollResult.run_id == run.id)
        .order_by(PayrollResult.seq)
        .limit(limit)
    )
    if after_seq is not None:
        stmt = stmt.where(PayrollResult.seq > after_seq)
    return (await session.execute(stmt)).scalars().all()


async def results_range(
    session: AsyncSession, run: PayrollRun, start: int, count: int
) -> Sequence[PayrollResult]:
    stmt = (
        select(PayrollResult)
        .where(
            PayrollResult.tenant_id == run.tenant_id,
            PayrollResult.run_id == run.id,
            PayrollResult.seq >= start,
            PayrollResult.seq < start + count,
        )
        .order_by(PayrollResult.seq)
    )
    return (await session.execute(stmt)).scalars().all()


async def all_results(session: AsyncSession, run: PayrollRun) -> Sequence[PayrollResult]:
    stmt = (
        select(PayrollResult)
        .where(PayrollResult.tenant_id == run.tenant_id, PayrollResult.run_id == run.id)
        .order_by(PayrollResult.seq)
    )
    return (await session.execute(stmt)).scalars().all()


async def previous_approved_run(session: AsyncSession, run: PayrollRun) -> PayrollRun | None:
    """The latest approved (or locked) run of the same pay group and kind before this
    one's pay date; for a correction, the run it corrects."""
    if run.corrects_run_id is not None:
        return await get_run_in(session, run.tenant_id, run.corrects_run_id)
    stmt = (
        select(PayrollRun)
        .where(
            PayrollRun.tenant_id == run.tenant_id,
            PayrollRun.kind == run.kind,
            PayrollRun.pay_group == run.pay_group,
            PayrollRun.status.in_(("approved", "locked")),
            PayrollRun.pay_date < run.pay_date,
        )
        .order_by(PayrollRun.pay_date.desc(), PayrollRun.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


@dataclass(frozen=True)
class Comparison:
    employee_id: uuid.UUID
    employee_code: str
    employee_name: str
    gross: int | None
    net: int | None
    previous_gross: int | None
    previous_net: int | None


async def compare(session: AsyncSession, run: PayrollRun, previous: PayrollRun) -> list[Comparison]:
    """Per employee: this run's and the previous run's gross and net (None where the
    employee is not in that run)."""
    cur = (
        select(PayrollResult)
        .where(PayrollResult.tenant_id == run.tenant_id, PayrollResult.run_id == run.id)
        .subquery("cur")
    )
    prev = (
        select(PayrollResult)
        .where(PayrollResult.tenant_id == previous.tenant_id, PayrollResult.run_id == previous.id)
        .subquery("prev")
    )
    stmt = (
        select(
            func.coalesce(cur.c.employee_id, prev.c.employee_id),
            func.coalesce(cur.c.employee_code, prev.c.employee_code),
            func.coalesce(cur.c.employee_name, prev.c.employee_name),
            cur.c.gross_pay,
            cur.c.net_pay,
            prev.c.gross_pay,
            prev.c.net_pay,
        )
        .select_from(cur.join(prev, cur.c.employee_id == prev.c.employee_id, full=True))
        .order_by(func.coalesce(cur.c.employee_code, prev.c.employee_code))
    )
    return [Comparison(*row) for row in (await session.execute(stmt)).all()]


async def monthly_totals(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int = 12
) -> list[tuple[str, int, int]]:
    """(period, gross, net) of the latest approved monthly runs, oldest first."""
    stmt = (
        select(PayrollRun.period, PayrollRun.totals)
        .where(
            PayrollRun.tenant_id == tenant_id,
            PayrollRun.kind == "monthly",
            PayrollRun.status.in_(("approved", "locked")),
            PayrollRun.corrects_run_id.is_(None),
        )
        .order_by(PayrollRun.pay_date.desc())
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    out = [(period, int(t.get("gross_pay", 0)), int(t.get("net_pay", 0))) for period, t in rows]
    return out[::-1]


async def replace_journal(
    session: AsyncSession, run: PayrollRun, lines: Sequence[Mapping[str, Any]]
) -> None:
    await session.execute(
        delete(PayrollJournalLine).where(
            PayrollJournalLine.tenant_id == run.tenant_id, PayrollJournalLine.run_id == run.id
        )
    )
    if lines:
        await session.execute(insert(PayrollJournalLine), list(lines))


async def journal_of(session: AsyncSession, run: PayrollRun) -> Sequence[PayrollJournalLine]:
    stmt = (
        select(PayrollJournalLine)
        .where(PayrollJournalLine.tenant_id == run.tenant_id, PayrollJournalLine.run_id == run.id)
        .order_by(PayrollJournalLine.line_no)
    )
    return (await session.execute(stmt)).scalars().all()


async def run_documents(
    session: AsyncSession,
    run: PayrollRun,
    *,
    kind: str | None = None,
    employee_id: uuid.UUID | None = None,
    after: tuple[str, uuid.UUID] | None = None,
    limit: int | None = None,
) -> list[tuple[PayrollRunDocument, str | None]]:
    """A run's outputs with the employee code of each payslip; ordered by (kind, id)."""
    stmt = (
        select(PayrollRunDocument, PayrollResult.employee_code)
        .outerjoin(
            PayrollResult,
            and_(
                PayrollResult.tenant_id == PayrollRunDocument.tenant_id,
                PayrollResult.run_id == PayrollRunDocument.run_id,
                PayrollResult.employee_id == PayrollRunDocument.employee_id,
            ),
        )
        .where(PayrollRunDocument.tenant_id == run.tenant_id, PayrollRunDocument.run_id == run.id)
        .order_by(PayrollRunDocument.kind, PayrollRunDocument.id)
    )
    if kind is not None:
        stmt = stmt.where(PayrollRunDocument.kind == kind)
    if employee_id is not None:
        stmt = stmt.where(PayrollRunDocument.employee_id == employee_id)
    if after is not None:
        stmt = stmt.where(
            or_(
                PayrollRunDocument.kind > after[0],
                and_(PayrollRunDocument.kind == after[0], PayrollRunDocument.id > after[1]),
            )
        )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [(doc, code) for doc, code in (await session.execute(stmt)).all()]


async def documented_employees(
    session: AsyncSession, run: PayrollRun, employee_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    if not employee_ids:
        return set()
    stmt = select(PayrollRunDocument.employee_id).where(
        PayrollRunDocument.tenant_id == run.tenant_id,
        PayrollRunDocument.run_id == run.id,
        PayrollRunDocument.kind == "payslip",
        PayrollRunDocument.employee_id.in_(list(employee_ids)),
    )
    return {e for e in (await session.execute(stmt)).scalars().all() if e is not None}


async def count_documents(session: AsyncSession, run: PayrollRun) -> dict[str, int]:
    stmt = (
        select(PayrollRunDocument.kind, func.count())
        .where(PayrollRunDocument.tenant_id == run.tenant_id, PayrollRunDocument.run_id == run.id)
        .group_by(PayrollRunDocument.kind)
    )
    return {k: int(n) for k, n in (await session.execute(stmt)).all()}


async def get_settings(session: AsyncSession, tenant_id: uuid.UUID) -> PayrollSettings | None:
    stmt = select(PayrollSettings).where(PayrollSettings.tenant_id == tenant_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def ensure_settings(session: AsyncSession, tenant_id: uuid.UUID) -> PayrollSettings:
    """The tenant's settings row, created with defaults on first use (race-safe)."""
    await session.execute(
        insert(PayrollSettings)
        .values(tenant_id=tenant_id, id=uuid.uuid4())
        .on_conflict_do_nothing(index_elements=["tenant_id"])
    )
    stmt = (
        select(PayrollSettings)
        .where(PayrollSettings.tenant_id == tenant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one()
