"""Partner bearer tokens → `Principal`.

The token is verified by `KeyRing` (one algorithm, our own keys, issuer, audience,
expiry); then, every request, its `jti` is checked against revocations and its tenants
against the live grants, so the principal's scope is at most what tenants allow *now*.
A token for a deactivated client is refused outright.
"""

from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy import select

from daiko.auth.clock import utcnow
from daiko.auth.events import auth_event
from daiko.auth.keys import load_ring
from daiko.auth.models import PartnerClient
from daiko.auth.partners import is_revoked, live_grants, token_audience, token_issuer
from daiko.auth.principal import Principal
from daiko.auth.tokens import KeyRingError, TokenError
from daiko.errors import NotAuthenticated
from daiko.runtime import Runtime
from daiko.tenancy.principals import partner_principal

INVALID = "the access token is invalid, expired or revoked"


async def resolve_bearer(runtime: Runtime, token: str) -> Principal:
    settings = runtime.settings
    now = utcnow(runtime)
    async with runtime.db.global_session() as session:
        try:
            ring = await load_ring(session, settings, now)
            claims = ring.verify(
                token, issuer=token_issuer(settings), audience=token_audience(settings), now=now
            )
        except (TokenError, KeyRingError) as exc:
            reason = exc.reason if isinstance(exc, TokenError) else "no_keys"
            auth_event("bearer token refused", reason=reason)
            raise NotAuthenticated(INVALID) from None
        client_id = str(claims.get("client_id") or claims["sub"])
        if await is_revoked(session, claims["jti"]):
            auth_event("bearer token refused", reason="revoked", client_id=client_id)
            raise NotAuthenticated(INVALID)
        active = (
            await session.execute(
                select(PartnerClient.active).where(PartnerClient.client_id == client_id)
            )
        ).scalar_one_or_none()
        if not active:
            auth_event("bearer token refused", reason="client_inactive", client_id=client_id)
            raise NotAuthenticated(INVALID)
        grants = await live_grants(session, client_id)
    scopes = frozenset(str(claims["scope"]).split())
    named = {uuid.UUID(t) for t in claims.get("tid") or []}
    per_tenant = {
        tenant: granted & scopes
        for tenant, granted in grants.items()
        if tenant in named and granted & scopes
    }
    principal = partner_principal(client_id, per_tenant, scopes)
    return dataclasses.replace(principal, tenant_oauth_scopes=per_tenant)
