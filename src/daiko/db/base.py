"""Declarative base: naming conventions, UUIDv7 ids, timestamps, and the tenant mixin."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from daiko.ids import new_id

# Stable constraint names, so Alembic autogenerate and `alembic check` agree across
# databases, and errors name the constraint that fired.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {uuid.UUID: UUID(as_uuid=True), datetime: DateTime(timezone=True)}


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class TenantOwned:
    """A tenant-owned row: `(tenant_id, id)` is the primary key, so foreign keys between
    tenant tables carry `tenant_id` and can never cross tenants. Its table gets RLS via
    `daiko.db.rls.enable_rls` in its migration; a catalog test proves none is missed."""

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


# Tables without `tenant_id`, reached only through the auth and tenancy modules (and the
# jobs relay for the outbox). The catalog test fails for any other table lacking RLS.
GLOBAL_TABLES: frozenset[str] = frozenset(
    {
        "alembic_version",
        "tenants",
        "users",
        "user_sessions",
        "partner_clients",
        "signing_keys",
        "outbox",
        "operator_days_off",
        "scheduler_ticks",
        "login_throttle",
        "password_resets",
        "oidc_states",
        "revoked_tokens",
    }
)

# Tables the runtime role may only append to (the audit chain): UPDATE and DELETE are
# revoked after every migration run.
APPEND_ONLY_TABLES: frozenset[str] = frozenset({"audit_events"})
