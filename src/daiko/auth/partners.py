"""Partner machines: client credentials, tenant grants, access tokens, revocation.

A partner client reaches a tenant only once that tenant's client_admin grants it (a
`partner_grants` row, revocable). A token names the granted tenants (`tid`), but every
request re-reads the live grants through `daiko_partner_tenant_ids`, so revoking a
grant or deactivating a client takes effect at once, not when the token expires.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.events import auth_event
from daiko.auth.keys import ACCESS_TOKEN_TTL, signing_ring
from daiko.auth.models import PartnerClient, PartnerGrant, RevokedToken
from daiko.auth.tokens import SCOPES, TokenError, issue_access_token, parse_scope
from daiko.config import Settings

CLIENT_ID_PREFIX = "dkp_"
_PARTNER_TENANTS = text("select tenant_id, scopes from daiko_partner_tenant_ids(:client_id)")


def token_issuer(settings: Settings) -> str:
    return settings.base_url.rstrip("/")


def token_audience(settings: Settings) -> str:
    return f"{settings.base_url.rstrip('/')}/api"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewPartner:
    client_id: str
    client_secret: str  # shown once
    name: str
    scopes: frozenset[str]


async def create_partner(session: AsyncSession, name: str, scopes: frozenset[str]) -> NewPartner:
    unknown = scopes - SCOPES
    if unknown:
        raise ValueError(f"unknown scope(s): {' '.join(sorted(unknown))}")
    client_id = CLIENT_ID_PREFIX + secrets.token_hex(12)
    secret = secrets.token_urlsafe(32)
    session.add(
        PartnerClient(
            client_id=client_id,
            name=name,
            secret_hash=hash_secret(secret),
            allowed_scopes=sorted(scopes),
        )
    )
    await session.flush()
    auth_event("partner client created", client_id=client_id, scopes=" ".join(sorted(scopes)))
    return NewPartner(client_id, secret, name, scopes)


async def authenticate_client(
    session: AsyncSession, client_id: str, secret: str
) -> PartnerClient | None:
    """The active client these credentials belong to, compared in constant time."""
    client = (
        await session.execute(select(PartnerClient).where(PartnerClient.client_id == client_id))
    ).scalar_one_or_none()
    expected = client.secret_hash if client is not None else hash_secret(secrets.token_hex(16))
    ok = hmac.compare_digest(expected, hash_secret(secret))
    if client is None or not ok or not client.active:
        return None
    return client


async def live_grants(session: AsyncSession, client_id: str) -> dict[uuid.UUID, frozenset[str]]:
    rows = (await session.execute(_PARTNER_TENANTS, {"client_id": client_id})).all()
    return {r.tenant_id: frozenset(r.scopes) for r in rows}


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str
    claims: dict[str, Any]


async def issue_token(
    session: AsyncSession,
    settings: Settings,
    client: PartnerClient,
    requested: frozenset[str] | None,
    now: datetime,
) -> IssuedToken:
    """Scopes: what was asked (default: all the client may have), within what it may have.
    Tenants: those whose live grant allows at least one of them. Raises
    `UnknownScopeError`/`PermissionError` for `invalid_scope`."""
    allowed = frozenset(client.allowed_scopes)
    scopes = requested if requested else allowed
    if not scopes or not scopes <= allowed:
        raise PermissionError("scope exceeds what this client may request")
    grants = await live_grants(session, client.client_id)
    tenants = [t for t, granted in grants.items() if granted & scopes]
    ring = await signing_ring(session, settings, now)
    token, claims = issue_access_token(
        ring,
        client_id=client.client_id,
        tenant_ids=tenants,
        scopes=scopes,
        issuer=token_issuer(settings),
        audience=token_audience(settings),
        now=now,
        ttl=ACCESS_TOKEN_TTL,
    )
    auth_event(
        "access token issued",
        client_id=client.client_id,
        jti=claims["jti"],
        scope=claims["scope"],
        tenants=len(tenants),
    )
    return IssuedToken(token, int(ACCESS_TOKEN_TTL.total_seconds()), claims["scope"], claims)


async def revoke_token(
    session: AsyncSession, settings: Settings, client: PartnerClient, token: str, now: datetime
) -> None:
    """RFC 7009: revoke one of this client's access tokens. Anything else (unknown,
    expired, someone else's) is silently ignored, as the RFC asks."""
    ring = await signing_ring(session, settings, now)
    try:
        claims = ring.verify(
            token, issuer=token_issuer(settings), audience=token_audience(settings), now=now
        )
    except TokenError:
        return
    if claims.get("client_id", claims["sub"]) != client.client_id:
        return
    await session.execute(
        pg_insert(RevokedToken)
        .values(
            jti=claims["jti"],
            client_id=client.client_id,
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            revoked_at=now,
        )
        .on_conflict_do_nothing(index_elements=["jti"])
    )
    auth_event("access token revoked", client_id=client.client_id, jti=claims["jti"])


def requested_scopes(raw: str | None) -> frozenset[str] | None:
    if raw is None or not raw.strip():
        return None
    return parse_scope(raw)


# --------------------------------------------------------------------------- grants (pages)
# The portal's partner-access page calls these; the JSON API keeps its own handlers.


async def active_clients(session: AsyncSession) -> list[PartnerClient]:
    """Partner integrations a tenant admin may grant access to, by name."""
    rows = await session.execute(
        select(PartnerClient).where(PartnerClient.active.is_(True)).order_by(PartnerClient.name)
    )
    return list(rows.scalars())


async def tenant_grants(
    session: AsyncSession, tenant_id: uuid.UUID
) -> list[tuple[PartnerGrant, str]]:
    """The tenant's grants (revoked ones too), newest first, with the client's name."""
    rows = await session.execute(
        select(PartnerGrant, PartnerClient.name)
        .join(PartnerClient, PartnerClient.client_id == PartnerGrant.client_id)
        .where(PartnerGrant.tenant_id == tenant_id)
        .order_by(PartnerGrant.created_at.desc())
    )
    return [(g, name) for g, name in rows]


class GrantRefused(ValueError):
    """Why a grant cannot be made: `field` names the form field at fault."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


async def grant_access(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    client_id: str,
    scopes: set[str],
    granted_by: uuid.UUID | None,
) -> tuple[PartnerGrant, PartnerClient]:
    """A live grant of `scopes` to an active client; one live grant per client. The
    session must be in the tenant's scope; the caller audits."""
    client = (
        await session.execute(
            select(PartnerClient).where(
                PartnerClient.client_id == client_id, PartnerClient.active.is_(True)
            )
        )
    ).scalar_one_or_none()
    if client is None:
        raise GrantRefused("client_id", "no such partner client")
    if not scopes:
        raise GrantRefused("scopes", "grant at least one scope")
    beyond = scopes - set(client.allowed_scopes) | (scopes - SCOPES)
    if beyond:
        raise GrantRefused("scopes", f"this partner may not request: {' '.join(sorted(beyond))}")
    live = await session.execute(
        select(PartnerGrant.id).where(
            PartnerGrant.tenant_id == tenant_id,
            PartnerGrant.client_id == client_id,
            PartnerGrant.revoked_at.is_(None),
        )
    )
    if live.first() is not None:
        raise GrantRefused("client_id", "this partner already has a live grant; revoke it first")
    grant = PartnerGrant(
        tenant_id=tenant_id, client_id=client_id, scopes=sorted(scopes), granted_by=granted_by
    )
    session.add(grant)
    await session.flush()
    await session.refresh(grant)
    auth_event("partner grant created", tenant_id=tenant_id, client_id=client_id)
    return grant, client


async def revoke_access(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    grant_id: uuid.UUID,
    revoked_by: uuid.UUID | None,
    now: datetime,
) -> PartnerGrant | None:
    """Revoke a grant of this tenant (None: no such grant here); idempotent."""
    grant = (
        await session.execute(
            select(PartnerGrant).where(
                PartnerGrant.tenant_id == tenant_id, PartnerGrant.id == grant_id
            )
        )
    ).scalar_one_or_none()
    if grant is not None and grant.revoked_at is None:
        grant.revoked_at = now
        grant.revoked_by = revoked_by
        await session.flush()
        auth_event("partner grant revoked", tenant_id=tenant_id, client_id=grant.client_id)
    return grant
