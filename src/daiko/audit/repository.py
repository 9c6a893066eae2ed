"""The only place with audit queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Row, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from daiko.audit.models import AuditEvent

# Two-key advisory locks live in their own key space (objsubid 2), apart from the
# scheduler's single-key leader lock; this first key marks "audit chain".
_CHAIN_LOCK_NAMESPACE = 0x6175_6474  # "audt"
_LOCK_CHAIN = text("select pg_advisory_xact_lock(:ns, hashtext(cast(:tenant_id as text)))")

Executor = AsyncSession | AsyncConnection

CHAIN_COLUMNS = (
    AuditEvent.seq,
    AuditEvent.occurred_at,
    AuditEvent.actor_kind,
    AuditEvent.actor_id,
    AuditEvent.actor_display,
    AuditEvent.action,
    AuditEvent.resource_type,
    AuditEvent.resource_id,
    AuditEvent.details,
    AuditEvent.request_id,
    AuditEvent.prev_hash,
    AuditEvent.hash,
)


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str


async def lock_chain(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Serialise appends to one tenant's chain until the caller's transaction ends.

    Held to commit or rollback, so the next writer reads the head only after this one's
    event is visible (READ COMMITTED takes a new snapshot per statement) and the sequence
    stays gap-free: a rolled-back append leaves no number behind, unlike a SEQUENCE.
    Other tenants are not blocked (a hashtext collision only costs some waiting).
    """
    await session.execute(_LOCK_CHAIN, {"ns": _CHAIN_LOCK_NAMESPACE, "tenant_id": str(tenant_id)})


async def chain_head(db: Executor, tenant_id: uuid.UUID) -> ChainHead | None:
    row = (
        await db.execute(
            select(AuditEvent.seq, AuditEvent.hash)
            .where(AuditEvent.tenant_id == tenant_id)
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        )
    ).first()
    return ChainHead(seq=row.seq, hash=row.hash) if row is not None else None


async def chain_batch(
    db: Executor, tenant_id: uuid.UUID, *, after_seq: int, limit: int
) -> Sequence[Row[tuple[object, ...]]]:
    """The next `limit` events after `after_seq`, in chain order, with hashed columns."""
    result = await db.execute(
        select(*CHAIN_COLUMNS)
        .where(AuditEvent.tenant_id == tenant_id, AuditEvent.seq > after_seq)
        .order_by(AuditEvent.seq)
        .limit(limit)
    )
    return result.all()


@dataclass(frozen=True)
class EventFilter:
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    actor_kind: str | None = None
    actor_id: str | None = None


async def list_events(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    before_seq: int | None,
    limit: int,
    where: EventFilter,
) -> Sequence[AuditEvent]:
    """Newest first, keyset-paginated by `seq` (the cursor is the last seq seen)."""
    stmt = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
    if before_seq is not None:
        stmt = stmt.where(AuditEvent.seq < before_seq)
    if where.action is not None:
        stmt = stmt.where(AuditEvent.action == where.action)
    if where.resource_type is not None:
        stmt = stmt.where(AuditEvent.resource_type == where.resource_type)
    if where.resource_id is not None:
        stmt = stmt.where(AuditEvent.resource_id == where.resource_id)
    if where.actor_kind is not None:
        stmt = stmt.where(AuditEvent.actor_kind == where.actor_kind)
    if where.actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == where.actor_id)
    result = await session.execute(stmt.order_by(AuditEvent.seq.desc()).limit(limit))
    return result.scalars().all()


@dataclass(frozen=True)
class TenantRef:
    id: uuid.UUID
    slug: str


async def tenants_for_verification_as_system(
    system_engine: AsyncEngine, slug: str | None = None
) -> list[TenantRef]:
    """Every tenant (or the one with `slug`) whose chain `daiko audit verify` walks.

    The one cross-tenant read of the audit domain, made as `daiko_system` (BYPASSRLS):
    it must see tenants that no principal's scope covers, including suspended and
    offboarded ones, whose trails must still verify. The chains themselves are then read
    one tenant at a time, each in that tenant's own scope.
    """
    query = "select id, slug from tenants"
    params: dict[str, str] = {}
    if slug is not None:
        query += " where slug = :slug"
        params["slug"] = slug
    async with system_engine.connect() as conn:
        rows = (await conn.execute(text(query + " order by slug"), params)).all()
    return [TenantRef(id=r.id, slug=r.slug) for r in rows]
