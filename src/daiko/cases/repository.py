"""The only place with case queries. Every function takes a tenant-scoped session: RLS
limits it to the caller's tenants, so another tenant's case simply is not found."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, literal, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.cases.models import (
    Case,
    CaseApproval,
    CaseChecklistItem,
    CaseDeliverable,
    CaseMessage,
    CaseStatusChange,
    CaseWatcher,
)
from daiko.cases.states import OPEN_STATUSES
from daiko.documents.models import Document
from daiko.pagination import encode_cursor
from daiko.tenancy.models import Membership, OperatorAssignment, Tenant, User

# Cases without a due time sort after every dated one.
FAR_FUTURE = datetime.fromisoformat("9999-12-31T00:00:00+00:00")


def case_cursor(case: Case) -> str:
    """The (due time, id) keyset position after `case` in `list_cases` order (a case
    without a due time sorts last), for `daiko.pagination.cursor_after`."""
    return encode_cursor(case.due_at or FAR_FUTURE, case.id)


async def get_case(
    session: AsyncSession, case_id: uuid.UUID, *, for_update: bool = False
) -> Case | None:
    stmt = select(Case).where(Case.id == case_id)
    if for_update:
        # No key update: children's inserts hold KEY SHARE on the case (their foreign
        # key); a plain FOR UPDATE would make every message wait for a transition.
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


@dataclass(frozen=True)
class CaseFilter:
    tenant_id: uuid.UUID | None = None
    service: str | None = None
    type: str | None = None
    statuses: Sequence[str] = ()
    assignee_id: uuid.UUID | None = None
    unassigned: bool = False
    priority: str | None = None
    period: str | None = None
    # The worst state of the case's open SLA clocks: breached, warning or ok.
    sla_state: str | None = None


def _sort_key() -> Any:
    return func.coalesce(Case.due_at, literal(FAR_FUTURE))


async def list_cases(
    session: AsyncSession,
    where: CaseFilter,
    *,
    after: tuple[datetime, uuid.UUID] | None = None,
    limit: int = 50,
) -> Sequence[Case]:
    """Nearest due time first (undated last), then oldest first (ids are UUIDv7, so id
    order is creation order). `after` is the (sort key, id) of the previous page's last
    case: keyset pagination, stable while cases are added."""
    key = _sort_key()
    stmt = select(Case).order_by(key, Case.id).limit(limit)
    if where.tenant_id is not None:
        stmt = stmt.where(Case.tenant_id == where.tenant_id)
    if where.service is not None:
        stmt = stmt.where(Case.service == where.service)
    if where.type is not None:
        stmt = stmt.where(Case.type == where.type)
    if where.statuses:
        stmt = stmt.where(Case.status.in_(list(where.statuses)))
    if where.assignee_id is not None:
        stmt = stmt.where(Case.assignee_id == where.assignee_id)
    if where.unassigned:
        stmt = stmt.where(Case.assignee_id.is_(None))
    if where.priority is not None:
        stmt = stmt.where(Case.priority == where.priority)
    if where.period is not None:
        stmt = stmt.where(Case.period == where.period)
    if where.sla_state is not None:
        stmt = stmt.where(*_sla_state_clauses(where.sla_state))
    if after is not None:
        stmt = stmt.where(tuple_(key, Case.id) > tuple_(literal(after[0]), literal(after[1])))
    return (await session.execute(stmt)).scalars().all()


def _sla_state_clauses(state: str) -> list[Any]:
    """Cases whose worst open (unsettled) SLA clock is in `state`."""
    from daiko.sla.models import SlaClock

    def having(*statuses: str) -> Any:
        return (
            select(SlaClock.id)
            .where(
                SlaClock.tenant_id == Case.tenant_id,
                SlaClock.case_id == Case.id,
                SlaClock.settled_at.is_(None),
                SlaClock.status.in_(statuses),
            )
            .exists()
        )

    if state == "breached":
        return [having("breached")]
    if state == "warning":
        return [having("warning"), ~having("breached")]
    return [having("ok", "paused", "not_started"), ~having("warning", "breached")]


async def history(session: AsyncSession, case: Case) -> Sequence[CaseStatusChange]:
    stmt = (
        select(CaseStatusChange)
        .where(CaseStatusChange.tenant_id == case.tenant_id, CaseStatusChange.case_id == case.id)
        .order_by(CaseStatusChange.at, CaseStatusChange.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def messages(
    session: AsyncSession, case: Case, *, include_internal: bool
) -> Sequence[CaseMessage]:
    stmt = (
        select(CaseMessage)
        .where(CaseMessage.tenant_id == case.tenant_id, CaseMessage.case_id == case.id)
        .order_by(CaseMessage.created_at, CaseMessage.id)
    )
    if not include_internal:
        stmt = stmt.where(CaseMessage.visibility == "public")
    return (await session.execute(stmt)).scalars().all()


async def checklist(session: AsyncSession, case: Case) -> Sequence[CaseChecklistItem]:
    stmt = (
        select(CaseChecklistItem)
        .where(CaseChecklistItem.tenant_id == case.tenant_id, CaseChecklistItem.case_id == case.id)
        .order_by(CaseChecklistItem.position, CaseChecklistItem.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def checklist_item(
    session: AsyncSession, case: Case, item_id: uuid.UUID
) -> CaseChecklistItem | None:
    stmt = select(CaseChecklistItem).where(
        CaseChecklistItem.tenant_id == case.tenant_id,
        CaseChecklistItem.case_id == case.id,
        CaseChecklistItem.id == item_id,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def next_checklist_position(session: AsyncSession, case: Case) -> int:
    stmt = select(func.coalesce(func.max(CaseChecklistItem.position), -1) + 1).where(
        CaseChecklistItem.tenant_id == case.tenant_id, CaseChecklistItem.case_id == case.id
    )
    return int((await session.execute(stmt)).scalar_one())


async def watchers(session: AsyncSession, case: Case) -> Sequence[CaseWatcher]:
    stmt = (
        select(CaseWatcher)
        .where(CaseWatcher.tenant_id == case.tenant_id, CaseWatcher.case_id == case.id)
        .order_by(CaseWatcher.created_at, CaseWatcher.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def add_watcher(session: AsyncSession, case: Case, user_id: uuid.UUID) -> bool:
    """True when the user was not watching yet."""
    stmt = (
        insert(CaseWatcher)
        .values(tenant_id=case.tenant_id, case_id=case.id, user_id=user_id)
        .on_conflict_do_nothing(index_elements=["tenant_id", "case_id", "user_id"])
        .returning(CaseWatcher.id)
    )
    return (await session.execute(stmt)).scalar() is not None


async def remove_watcher(session: AsyncSession, case: Case, user_id: uuid.UUID) -> bool:
    row = (
        await session.execute(
            select(CaseWatcher).where(
                CaseWatcher.tenant_id == case.tenant_id,
                CaseWatcher.case_id == case.id,
                CaseWatcher.user_id == user_id,
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def deliverables(session: AsyncSession, case: Case) -> Sequence[CaseDeliverable]:
    stmt = (
        select(CaseDeliverable)
        .where(CaseDeliverable.tenant_id == case.tenant_id, CaseDeliverable.case_id == case.id)
        .order_by(CaseDeliverable.created_at, CaseDeliverable.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def approvals(session: AsyncSession, case: Case) -> Sequence[CaseApproval]:
    stmt = (
        select(CaseApproval)
        .where(CaseApproval.tenant_id == case.tenant_id, CaseApproval.case_id == case.id)
        .order_by(CaseApproval.created_at, CaseApproval.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def document_exists(
    session: AsyncSession, tenant_id: uuid.UUID, document_id: uuid.UUID
) -> bool:
    stmt = select(Document.id).where(
        Document.tenant_id == tenant_id,
        Document.id == document_id,
        Document.deleted_at.is_(None),
    )
    return (await session.execute(stmt)).scalar() is not None


async def tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def operator_role(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> str | None:
    """The user's operator role in the tenant (operator / lead), None if not assigned."""
    stmt = select(OperatorAssignment.role).where(
        OperatorAssignment.tenant_id == tenant_id, OperatorAssignment.user_id == user_id
    )
    return (await session.execute(stmt)).scalar()


async def people_of_tenant(
    session: AsyncSession, tenant_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[User, str]]:
    """Those of `user_ids` who are members or assigned operators of the tenant, with
    their user row and "client" or "operator"."""
    if not user_ids:
        return {}
    ids = list(user_ids)
    members = select(Membership.user_id, literal("client").label("side")).where(
        Membership.tenant_id == tenant_id, Membership.user_id.in_(ids)
    )
    operators = select(OperatorAssignment.user_id, literal("operator").label("side")).where(
        OperatorAssignment.tenant_id == tenant_id, OperatorAssignment.user_id.in_(ids)
    )
    sides = {row.user_id: row.side for row in await session.execute(members.union_all(operators))}
    if not sides:
        return {}
    users = (await session.execute(select(User).where(User.id.in_(list(sides))))).scalars()
    return {u.id: (u, sides[u.id]) for u in users if u.is_active}


async def least_loaded_operator(session: AsyncSession, tenant_id: uuid.UUID) -> uuid.UUID | None:
    """The tenant's assigned operator with the fewest open cases in the tenant (plain
    operators before leads, who mostly review; ties by id, so the pick is stable)."""
    open_cases = and_(
        Case.tenant_id == OperatorAssignment.tenant_id,
        Case.assignee_id == OperatorAssignment.user_id,
        Case.status.in_(sorted(OPEN_STATUSES)),
    )
    stmt = (
        select(OperatorAssignment.user_id)
        .join(User, User.id == OperatorAssignment.user_id)
        .outerjoin(Case, open_cases)
        .where(OperatorAssignment.tenant_id == tenant_id, User.is_active.is_(True))
        .group_by(OperatorAssignment.user_id, OperatorAssignment.role)
        .order_by(
            (OperatorAssignment.role == "lead").asc(),
            func.count(Case.id),
            OperatorAssignment.user_id,
        )
        .limit(1)
    )
    return (await session.execute(stmt)).scalar()


async def insert_recurring(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    """Insert a recurring case unless its (tenant, type, recurrence key) exists: the id
    when this call created it, None when it was already there (or a concurrent run won)."""
    stmt = (
        insert(Case)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "type", "recurrence_key"])
        .returning(Case.id)
    )
    created = (await session.execute(stmt)).scalar()
    return created if isinstance(created, uuid.UUID) else None
