"""Tenants, users and who may act for which tenant.

`tenants` and `users` are global (a user is one identity across tenants). `memberships`
and `operator_assignments` are tenant-owned, under RLS like every tenant table; the
principal resolver reads them through the SECURITY DEFINER function
`daiko_principal_tenant_ids(user_id)`, the one narrow door that returns a user's scope
before any scope exists.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from daiko.db.base import Base, TenantOwned, Timestamps
from daiko.ids import new_id

TENANT_STATUSES = ("active", "suspended", "offboarded")
SERVICES = ("payroll", "bookkeeping", "social_insurance")
CLIENT_ROLES = ("client_admin", "client_member", "client_viewer")
OPERATOR_ROLES = ("operator", "lead")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


class Tenant(Timestamps, Base):
    """A client company (顧客企業)."""

    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint(_in("status", TENANT_STATUSES), name="status"),
        CheckConstraint(r"corporate_number ~ '^[0-9]{13}$'", name="corporate_number_digits"),
        CheckConstraint(r"prefecture ~ '^(0[1-9]|[1-3][0-9]|4[0-7])$'", name="prefecture_code"),
        CheckConstraint("locale in ('ja', 'en')", name="locale"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(Text)
    name_kana: Mapped[str] = mapped_column(Text)
    corporate_number: Mapped[str] = mapped_column(String(13), unique=True)
    prefecture: Mapped[str] = mapped_column(String(2))
    services: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    locale: Mapped[str] = mapped_column(String(5), server_default="ja")
    time_zone: Mapped[str] = mapped_column(Text, server_default="Asia/Tokyo")
    status: Mapped[str] = mapped_column(String(16), server_default="active")
    require_mfa: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # The rest of the tenant's YAML (SLA policy, calendar, payroll settings, OIDC).
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))


class User(Timestamps, Base):
    """One person: client staff or an operator. One identity across tenants."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("kind in ('client', 'operator')", name="kind"),
        CheckConstraint(
            "platform_role is null or platform_role = 'ops_admin'", name="platform_role"
        ),
        Index("uq_users_email_lower", func.lower(text("email")), unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    platform_role: Mapped[str | None] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str | None] = mapped_column(String(5))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    totp_secret: Mapped[str | None] = mapped_column(Text)
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]
    recovery_code_hashes: Mapped[list[str]] = mapped_column(
        ARRAY(Text), server_default=text("'{}'")
    )
    password_changed_at: Mapped[datetime | None]


class Membership(TenantOwned, Timestamps, Base):
    """A client user's role in one tenant."""

    __tablename__ = "memberships"
    __table_args__ = (
        CheckConstraint(_in("role", CLIENT_ROLES), name="role"),
        UniqueConstraint("tenant_id", "user_id"),
        Index("ix_memberships_user_id", "user_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))


class OperatorAssignment(TenantOwned, Timestamps, Base):
    """An operator's assignment to serve one tenant."""

    __tablename__ = "operator_assignments"
    __table_args__ = (
        CheckConstraint(_in("role", OPERATOR_ROLES), name="role"),
        UniqueConstraint("tenant_id", "user_id"),
        Index("ix_operator_assignments_user_id", "user_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
