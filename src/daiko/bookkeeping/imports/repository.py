"""The only place with import queries. Every function takes a tenant-scoped session: RLS
limits it to the caller's tenants, so another tenant's batch, line or rule is not found."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import ARRAY, Uuid, bindparam, func, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from daiko.bookkeeping.imports.models import (
    CategorisationRule,
    ImportBatch,
    ImportFile,
    ImportMapping,
    StatementLine,
)
from daiko.bookkeeping.imports.rules import Rule
from daiko.bookkeeping.models import Account


async def get_batch(
    session: AsyncSession, batch_id: uuid.UUID, *, for_update: bool = False, errors: bool = True
) -> ImportBatch | None:
    stmt = select(ImportBatch).where(ImportBatch.id == batch_id)
    if not errors:
        stmt = stmt.options(defer(ImportBatch.errors))
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_batches(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID | None,
    after: tuple[object, uuid.UUID] | None,
    limit: int,
) -> Sequence[ImportBatch]:
    """Newest first (ids are UUIDv7: id order is creation order)."""
    stmt = (
        select(ImportBatch)
        .options(defer(ImportBatch.errors), defer(ImportBatch.mapping))
        .order_by(ImportBatch.id.desc())
        .limit(limit)
    )
    if tenant_id is not None:
        stmt = stmt.where(ImportBatch.tenant_id == tenant_id)
    if after is not None:
        stmt = stmt.where(ImportBatch.id < after[1])
    return (await session.execute(stmt)).scalars().all()


async def file_content(session: AsyncSession, batch: ImportBatch) -> bytes:
    content = await session.scalar(
        select(ImportFile.content).where(
            ImportFile.tenant_id == batch.tenant_id, ImportFile.id == batch.id
        )
    )
    return content or b""


async def imported_twin(session: AsyncSession, batch: ImportBatch) -> uuid.UUID | None:
    """Another import of byte-for-byte the same file into the same account, confirmed or
    done (a statement downloaded twice must not be booked twice)."""
    mine = select(ImportFile.sha256).where(
        ImportFile.tenant_id == batch.tenant_id, ImportFile.id == batch.id
    )
    found = await session.scalar(
        select(ImportBatch.id)
        .join(
            ImportFile,
            (ImportFile.tenant_id == ImportBatch.tenant_id) & (ImportFile.id == ImportBatch.id),
        )
        .where(
            ImportBatch.tenant_id == batch.tenant_id,
            ImportBatch.id != batch.id,
            ImportBatch.account_code == batch.account_code,
            ImportBatch.status.in_(("queued", "importing", "imported")),
            ImportFile.sha256 == mine.scalar_subquery(),
        )
        .limit(1)
    )
    return found


async def account_codes(session: AsyncSession, tenant_id: uuid.UUID) -> set[str]:
    rows = await session.execute(
        select(Account.code).where(Account.tenant_id == tenant_id, Account.active.is_(True))
    )
    return set(rows.scalars().all())


async def active_rules(session: AsyncSession, tenant_id: uuid.UUID) -> list[Rule]:
    rows = await session.execute(
        select(CategorisationRule).where(
            CategorisationRule.tenant_id == tenant_id, CategorisationRule.active.is_(True)
        )
    )
    return [
        Rule(
            id=r.id,
            match_field=r.match_field,
            match_kind=r.match_kind,
            pattern=r.pattern,
            direction=r.direction,
            account_code=r.account_code,
            tax_category=r.tax_category,
            priority=r.priority,
        )
        for r in rows.scalars()
    ]


async def count_hits(
    session: AsyncSession, tenant_id: uuid.UUID, hits: dict[uuid.UUID, int]
) -> None:
    for rule_id, n in hits.items():
        await session.execute(
            update(CategorisationRule)
            .where(CategorisationRule.tenant_id == tenant_id, CategorisationRule.id == rule_id)
            .values(
                hit_count=CategorisationRule.hit_count + n,
                last_hit_at=text("now()"),
            )
        )


async def get_rule(
    session: AsyncSession, rule_id: uuid.UUID, *, for_update: bool = False
) -> CategorisationRule | None:
    stmt = select(CategorisationRule).where(CategorisationRule.id == rule_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_rule(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    match_field: str,
    match_kind: str,
    pattern: str,
    direction: str,
) -> CategorisationRule | None:
    return (
        await session.execute(
            select(CategorisationRule).where(
                CategorisationRule.tenant_id == tenant_id,
                CategorisationRule.match_field == match_field,
                CategorisationRule.match_kind == match_kind,
                CategorisationRule.pattern == pattern,
                CategorisationRule.direction == direction,
            )
        )
    ).scalar_one_or_none()


async def list_rules(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID | None,
    after: tuple[int, uuid.UUID] | None,
    limit: int,
) -> Sequence[CategorisationRule]:
    """Highest priority first, then oldest: the order rules are tried in. The cursor key
    is the negated priority so that the order is ascending on both parts."""
    neg = -CategorisationRule.priority
    stmt = select(CategorisationRule).order_by(neg, CategorisationRule.id).limit(limit)
    if tenant_id is not None:
        stmt = stmt.where(CategorisationRule.tenant_id == tenant_id)
    if after is not None:
        stmt = stmt.where(tuple_(neg, CategorisationRule.id) > tuple_(after[0], after[1]))
    return (await session.execute(stmt)).scalars().all()


async def get_line(
    session: AsyncSession, line_id: uuid.UUID, *, for_update: bool = False
) -> StatementLine | None:
    stmt = select(StatementLine).where(StatementLine.id == line_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_lines(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID | None,
    status: str | None,
    batch_id: uuid.UUID | None,
    after: tuple[date, uuid.UUID] | None,
    limit: int,
) -> Sequence[StatementLine]:
    """By transaction date, then id (the queue's order)."""
    stmt = select(StatementLine).order_by(StatementLine.txn_date, StatementLine.id).limit(limit)
    if tenant_id is not None:
        stmt = stmt.where(StatementLine.tenant_id == tenant_id)
    if status is not None:
        stmt = stmt.where(StatementLine.status == status)
    if batch_id is not None:
        stmt = stmt.where(StatementLine.batch_id == batch_id)
    if after is not None:
        stmt = stmt.where(
            tuple_(StatementLine.txn_date, StatementLine.id) > tuple_(after[0], after[1])
        )
    return (await session.execute(stmt)).scalars().all()


class LineToPost(NamedTuple):
    id: uuid.UUID
    line_no: int
    txn_date: date
    description: str
    counterparty: str
    amount: int
    account_code: str
    tax_category: str
    document_id: uuid.UUID | None


def _to_post(tenant_id: uuid.UUID, batch_id: uuid.UUID) -> Any:
    return (
        (StatementLine.tenant_id == tenant_id)
        & (StatementLine.batch_id == batch_id)
        & (StatementLine.status == "unmatched")
        & StatementLine.rule_id.is_not(None)
        & StatementLine.account_code.is_not(None)
        & StatementLine.tax_category.is_not(None)
    )


async def count_lines_to_post(
    session: AsyncSession, tenant_id: uuid.UUID, batch_id: uuid.UUID
) -> int:
    stmt = select(func.count()).select_from(StatementLine).where(_to_post(tenant_id, batch_id))
    return int((await session.execute(stmt)).scalar_one())


async def lines_to_post(
    session: AsyncSession, tenant_id: uuid.UUID, batch_id: uuid.UUID, *, after: int, limit: int
) -> list[LineToPost]:
    """Lines a rule categorised during the import and not yet journalised, in file order
    from line `after` on (the columns booking needs, not entities: there can be many)."""
    stmt = (
        select(
            StatementLine.id,
            StatementLine.line_no,
            StatementLine.txn_date,
            StatementLine.description,
            StatementLine.counterparty,
            StatementLine.amount,
            StatementLine.account_code,
            StatementLine.tax_category,
            StatementLine.document_id,
        )
        .where(_to_post(tenant_id, batch_id), StatementLine.line_no > after)
        .order_by(StatementLine.line_no)
        .limit(limit)
    )
    return [
        LineToPost(*row[:6], row.account_code or "", row.tax_category or "", row.document_id)
        for row in (await session.execute(stmt)).all()
    ]


_MARK_POSTED = text(
    "update bookkeeping_statement_lines l set status = 'posted', journal_entry_id = p.entry_id,"
    " categorised_by = :user_id, categorised_at = now()"
    " from unnest(:line_ids, :entry_ids) as p(line_id, entry_id)"
    " where l.tenant_id = :tenant_id and l.id = p.line_id"
).bindparams(
    bindparam("line_ids", type_=ARRAY(Uuid())), bindparam("entry_ids", type_=ARRAY(Uuid()))
)


async def mark_lines_posted(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    booked: Sequence[tuple[uuid.UUID, uuid.UUID]],
    user_id: uuid.UUID | None,
) -> None:
    """(line id, entry id) pairs: each line is now posted as that entry."""
    if not booked:
        return
    await session.execute(
        _MARK_POSTED,
        {
            "tenant_id": tenant_id,
            "user_id": user_id,
            "line_ids": [line for line, _ in booked],
            "entry_ids": [entry for _, entry in booked],
        },
    )


async def get_mapping(session: AsyncSession, mapping_id: uuid.UUID) -> ImportMapping | None:
    return (
        await session.execute(select(ImportMapping).where(ImportMapping.id == mapping_id))
    ).scalar_one_or_none()


async def list_mappings(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> Sequence[ImportMapping]:
    stmt = select(ImportMapping).order_by(ImportMapping.name, ImportMapping.id).limit(limit)
    if tenant_id is not None:
        stmt = stmt.where(ImportMapping.tenant_id == tenant_id)
    if after is not None:
        stmt = stmt.where(tuple_(ImportMapping.name, ImportMapping.id) > tuple_(*after))
    return (await session.execute(stmt)).scalars().all()
