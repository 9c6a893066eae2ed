"""The only place with queries on `tenant_data_keys`. Every query runs in the caller's
tenant-scoped session, so RLS decides which tenant's keys exist at all."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from daiko.ids import new_id
from daiko.security.models import TenantDataKey

_KEYS_LOCK_NAMESPACE = 0x6B65_7973  # "keys"; two-key advisory locks, apart from others


async def lock_tenant_keys(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Serialise creating and rotating one tenant's data keys until the transaction
    ends, so concurrent first uses agree on one key instead of each adding a version."""
    await session.execute(
        text("select pg_advisory_xact_lock(:ns, hashtext(cast(:t as text)))"),
        {"ns": _KEYS_LOCK_NAMESPACE, "t": str(tenant_id)},
    )


async def active_key(session: AsyncSession, tenant_id: uuid.UUID) -> TenantDataKey | None:
    result = await session.execute(
        select(TenantDataKey)
        .where(TenantDataKey.tenant_id == tenant_id, TenantDataKey.status == "active")
        .order_by(TenantDataKey.version.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def key_version(
    session: AsyncSession, tenant_id: uuid.UUID, version: int
) -> TenantDataKey | None:
    result = await session.execute(
        select(TenantDataKey).where(
            TenantDataKey.tenant_id == tenant_id, TenantDataKey.version == version
        )
    )
    return result.scalar_one_or_none()


async def all_keys(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[TenantDataKey]:
    result = await session.execute(
        select(TenantDataKey)
        .where(TenantDataKey.tenant_id == tenant_id)
        .order_by(TenantDataKey.version)
        .with_for_update()
    )
    return result.scalars().all()


async def latest_version(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    result = await session.execute(
        select(TenantDataKey.version)
        .where(TenantDataKey.tenant_id == tenant_id)
        .order_by(TenantDataKey.version.desc())
        .limit(1)
    )
    return result.scalar_one_or_none() or 0


async def insert_key_if_absent(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    version: int,
    wrapped_key: bytes,
    master_key_id: str,
) -> bool:
    """Insert version `version`; False when a concurrent transaction already created it
    (the loser's fresh key is discarded and the winner's is used)."""
    result = await session.execute(
        insert(TenantDataKey)
        .values(
            tenant_id=tenant_id,
            id=new_id(),
            version=version,
            status="active",
            wrapped_key=wrapped_key,
            master_key_id=master_key_id,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "version"])
        .returning(TenantDataKey.id)
    )
    return result.scalar_one_or_none() is not None


async def retire_keys_before(session: AsyncSession, tenant_id: uuid.UUID, version: int) -> None:
    await session.execute(
        update(TenantDataKey)
        .where(
            TenantDataKey.tenant_id == tenant_id,
            TenantDataKey.version < version,
            TenantDataKey.status == "active",
        )
        .values(status="retired")
    )


async def tenants_with_data_keys_as_system(system_engine: AsyncEngine) -> list[uuid.UUID]:
    """Every tenant holding data keys: the one cross-tenant read of this domain, made as
    `daiko_system` (BYPASSRLS) because no scope covers all tenants. Each tenant's keys
    are then re-wrapped in that tenant's own scope."""
    async with system_engine.connect() as conn:
        rows = await conn.execute(
            text("select distinct tenant_id from tenant_data_keys order by tenant_id")
        )
        return list(rows.scalars())
