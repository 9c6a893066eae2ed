"""The only place with document queries. Every query runs in a tenant-scoped session
(RLS) and also filters by tenant explicitly; deleted documents are invisible."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.documents.models import Document, DocumentVersion


@dataclass(frozen=True)
class DocumentFilter:
    tenant_ids: Collection[uuid.UUID]
    classification: str | None = None
    transaction_date_from: date | None = None
    transaction_date_to: date | None = None
    amount_min: int | None = None
    amount_max: int | None = None
    counterparty: str | None = None
    # Keyset pagination: ids are UUIDv7, so id order is creation order.
    before_id: uuid.UUID | None = None
    limit: int = 50


async def get_document(
    session: AsyncSession, document_id: uuid.UUID, *, for_update: bool = False
) -> Document | None:
    stmt = select(Document).where(Document.id == document_id, Document.deleted_at.is_(None))
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_version(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    document_id: uuid.UUID,
    n: int,
    *,
    for_update: bool = False,
) -> DocumentVersion | None:
    stmt = select(DocumentVersion).where(
        DocumentVersion.tenant_id == tenant_id,
        DocumentVersion.document_id == document_id,
        DocumentVersion.n == n,
    )
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def versions_of(session: AsyncSession, document: Document) -> list[DocumentVersion]:
    rows = await session.execute(
        select(DocumentVersion)
        .where(
            DocumentVersion.tenant_id == document.tenant_id,
            DocumentVersion.document_id == document.id,
        )
        .order_by(DocumentVersion.n)
    )
    return list(rows.scalars())


async def next_version_number(session: AsyncSession, document: Document) -> int:
    current = await session.execute(
        select(func.coalesce(func.max(DocumentVersion.n), 0)).where(
            DocumentVersion.tenant_id == document.tenant_id,
            DocumentVersion.document_id == document.id,
        )
    )
    return int(current.scalar_one()) + 1


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(session: AsyncSession, f: DocumentFilter) -> Sequence[tuple[Document, int | None]]:
    """Documents matching `f`, newest first, each with its latest version number."""
    latest = (
        select(func.max(DocumentVersion.n))
        .where(
            DocumentVersion.tenant_id == Document.tenant_id,
            DocumentVersion.document_id == Document.id,
        )
        .scalar_subquery()
    )
    stmt = select(Document, latest).where(
        Document.tenant_id.in_(list(f.tenant_ids)), Document.deleted_at.is_(None)
    )
    if f.classification is not None:
        stmt = stmt.where(Document.classification == f.classification)
    if f.transaction_date_from is not None:
        stmt = stmt.where(Document.transaction_date >= f.transaction_date_from)
    if f.transaction_date_to is not None:
        stmt = stmt.where(Document.transaction_date <= f.transaction_date_to)
    if f.amount_min is not None:
        stmt = stmt.where(Document.amount >= f.amount_min)
    if f.amount_max is not None:
        stmt = stmt.where(Document.amount <= f.amount_max)
    if f.counterparty:
        stmt = stmt.where(
            Document.counterparty.ilike(f"%{_escape_like(f.counterparty)}%", escape="\\")
        )
    if f.before_id is not None:
        stmt = stmt.where(Document.id < f.before_id)
    stmt = stmt.order_by(Document.id.desc()).limit(f.limit)
    return [(row[0], row[1]) for row in await session.execute(stmt)]
