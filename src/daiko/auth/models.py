"""Sign-in tables. All global (reached only through `daiko.auth`) except `partner_grants`,
a tenant table under RLS."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, Boolean, ForeignKey, Index, Integer, LargeBinary, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from daiko.db.base import Base, TenantOwned, Timestamps
from daiko.ids import new_id


class UserSession(Base):
    """A browser session. The cookie holds a random token; only its SHA-256 is stored,
    so a database leak does not hand out live sessions."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)  # sha256(token) hex
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    last_seen_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    expires_at: Mapped[datetime]  # absolute timeout
    idle_expires_at: Mapped[datetime]  # idle timeout, pushed forward on use
    mfa_verified: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    csrf_token: Mapped[str] = mapped_column(Text)
    revoked_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(Text)


class LoginThrottle(Base):
    """Failed sign-ins per key (`account:<email>` or `ip:<address>`) in the current window.

    Kept in PostgreSQL, not in process memory, so every API replica sees the same count
    and a restart does not reset a lockout."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class PasswordReset(Base):
    """A single-use password reset token; only its SHA-256 is stored."""

    __tablename__ = "password_resets"
    __table_args__ = (Index("ix_password_resets_user_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(Text)


class OidcState(Base):
    """An OIDC authorization request in flight: PKCE verifier and nonce, keyed by the
    SHA-256 of `state`; deleted when the callback consumes it (single use)."""

    __tablename__ = "oidc_states"

    id: Mapped[str] = mapped_column(Text, primary_key=True)  # sha256(state) hex
    provider: Mapped[str] = mapped_column(Text)  # "default" or a tenant slug
    nonce: Mapped[str] = mapped_column(Text)
    code_verifier: Mapped[str] = mapped_column(Text)
    next_url: Mapped[str] = mapped_column(Text, server_default=text("'/'"))
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    expires_at: Mapped[datetime]


class PartnerClient(Timestamps, Base):
    """A partner machine (HR system, accounting software, bank) with OAuth2 client
    credentials. The secret is 256 random bits, so SHA-256 is enough to store it (a slow
    hash guards human-chosen secrets, and would cost every token request 64 MiB)."""

    __tablename__ = "partner_clients"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    secret_hash: Mapped[str] = mapped_column(Text)
    allowed_scopes: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class SigningKeyRecord(Base):
    """A token signing key. The private JWK is sealed with AES-GCM under the master key
    (`daiko.auth.keys`); the database alone does not let anyone mint tokens."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(Text, primary_key=True)
    sealed_jwk: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    retired: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    not_after: Mapped[datetime | None]


class RevokedToken(Base):
    """Access tokens revoked before their expiry (RFC 7009), by `jti`; rows are useless
    after `expires_at` and may be swept."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(Text, primary_key=True)
    client_id: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class PartnerGrant(TenantOwned, Timestamps, Base):
    """A tenant's consent that a partner client may act for it, with the scopes granted.
    Revoking sets `revoked_at`; tokens already issued lose the tenant at once, because
    every request re-reads live grants."""

    __tablename__ = "partner_grants"
    __table_args__ = (
        Index("ix_partner_grants_client_id", "client_id"),
        Index(
            "uq_partner_grants_live",
            "tenant_id",
            "client_id",
            unique=True,
            postgresql_where=text("revoked_at is null"),
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[str] = mapped_column(
        ForeignKey("partner_clients.client_id", ondelete="CASCADE")
    )
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    granted_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
