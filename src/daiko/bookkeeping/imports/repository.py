"""The only place with import queries. Every function takes a tenant-scoped session: RLS
limits it to the caller's tenants, so another tenant's batch, line or rule is not found."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select, text, tuple_, update
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


async def lines_to_post(
    session: AsyncSession, tenant_id: uuid.UUID, batch_id: uuid.UUID, limit: int
) -> Sequence[StatementLine]:
    """Lines a rule categorised during the import and not yet journalised."""
    return (
        (
            await session.execute(
                select(StatementLine)
                .where(
                    StatementLine.tenant_id == tenant_id,
                    StatementLine.batch_id == batch_id,
                    StatementLine.status == "unmatched",
                    StatementLine.rule_id.is_not(None),
                )
                .order_by(StatementLine.line_no)
                .limit(limit)
            )
        )
        .scalars()
        .all()
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
