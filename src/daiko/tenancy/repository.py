"""Queries of the tenancy domain: the only place that reads or writes its tables.

`tenants` and `users` are global (no RLS); `memberships` and `operator_assignments` are
tenant tables, so the caller's transaction must already run in a scope that includes
the tenant (`enter_scope`), or every read here is empty and every write refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.tenancy.models import Membership, OperatorAssignment, Tenant, User
from daiko.tenancy.scope import TenantScope

_SET_SCOPE = text("select set_config('daiko.tenant_ids', :ids, true)")


async def enter_scope(session: AsyncSession, scope: TenantScope) -> None:
    """Re-scope the open transaction (transaction-local, like `Database.session`)."""
    await session.execute(_SET_SCOPE, {"ids": scope.setting()})


# --------------------------------------------------------------------------- tenants


async def tenant_by_id(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def tenant_by_slug(session: AsyncSession, slug: str) -> Tenant | None:
    found: Tenant | None = await session.scalar(select(Tenant).where(Tenant.slug == slug))
    return found


async def tenants_by_corporate_numbers(
    session: AsyncSession, numbers: Collection[str]
) -> dict[str, Tenant]:
    if not numbers:
        return {}
    rows = await session.scalars(select(Tenant).where(Tenant.corporate_number.in_(numbers)))
    return {t.corporate_number: t for t in rows}


async def list_tenants(
    session: AsyncSession, ids: Iterable[uuid.UUID] | None = None
) -> Sequence[Tenant]:
    """All tenants (ids None: platform view) or those with the given ids, by slug."""
    query = select(Tenant).order_by(Tenant.slug)
    if ids is not None:
        query = query.where(Tenant.id.in_(list(ids)))
    return (await session.scalars(query)).all()


# --------------------------------------------------------------------------- users


async def users_by_emails(session: AsyncSession, emails: Collection[str]) -> dict[str, User]:
    """Existing users keyed by lower-case e-mail (the unique index is on lower(email))."""
    if not emails:
        return {}
    lowered = sorted({e.lower() for e in emails})
    rows = await session.scalars(select(User).where(func.lower(User.email).in_(lowered)))
    return {u.email.lower(): u for u in rows}


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return (await users_by_emails(session, [email])).get(email.lower())


async def user_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


# --------------------------------------------------------------------------- memberships


async def memberships(session: AsyncSession, tenant_id: uuid.UUID) -> list[tuple[Membership, User]]:
    rows = await session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == tenant_id)
        .order_by(Membership.id)  # UUIDv7: the order people were added
    )
    return [(m, u) for m, u in rows]


async def membership(
    session: AsyncSession, tenant_id: uuid.UUID, membership_id: uuid.UUID
) -> tuple[Membership, User] | None:
    row = (
        await session.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.tenant_id == tenant_id, Membership.id == membership_id)
        )
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


async def count_client_admins(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.tenant_id == tenant_id, Membership.role == "client_admin")
    )
    return int(count or 0)


# --------------------------------------------------------------------------- assignments


async def assignments(
    session: AsyncSession, tenant_id: uuid.UUID
) -> list[tuple[OperatorAssignment, User]]:
    rows = await session.execute(
        select(OperatorAssignment, User)
        .join(User, User.id == OperatorAssignment.user_id)
        .where(OperatorAssignment.tenant_id == tenant_id)
        .order_by(OperatorAssignment.id)  # UUIDv7: the order operators were assigned
    )
    return [(a, u) for a, u in rows]


async def assignment(
    session: AsyncSession, tenant_id: uuid.UUID, assignment_id: uuid.UUID
) -> tuple[OperatorAssignment, User] | None:
    row = (
        await session.execute(
            select(OperatorAssignment, User)
            .join(User, User.id == OperatorAssignment.user_id)
            .where(
                OperatorAssignment.tenant_id == tenant_id,
                OperatorAssignment.id == assignment_id,
            )
        )
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


async def delete_row(session: AsyncSession, row: Membership | OperatorAssignment) -> None:
    model = type(row)
    await session.execute(delete(model).where(model.tenant_id == row.tenant_id, model.id == row.id))


# --------------------------------------------------------------------------- catalog


_TENANT_TABLES = text(
    """
    select c.relname from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id'
     where n.nspname = current_schema() and c.relkind in ('r', 'p') and not a.attisdropped
     order by 1
    """
)

_FOREIGN_KEYS = text(
    """
    select c.conrelid::regclass::text as child, c.confrelid::regclass::text as parent
      from pg_constraint c join pg_namespace n on n.oid = c.connamespace
     where c.contype = 'f' and n.nspname = current_schema()
    """
)


async def tenant_tables(session: AsyncSession, global_tables: Collection[str]) -> list[str]:
    """Every table with a `tenant_id` column, read from the catalog (so a table added by
    a later migration is included without anyone listing it)."""
    names = (await session.execute(_TENANT_TABLES)).scalars().all()
    return [n for n in names if n not in global_tables]


async def foreign_keys(session: AsyncSession) -> list[tuple[str, str]]:
    """(child table, parent table) for every foreign key in the schema."""
    return [(r.child, r.parent) for r in (await session.execute(_FOREIGN_KEYS)).all()]
