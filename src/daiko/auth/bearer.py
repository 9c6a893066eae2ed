"""Partner bearer tokens → `Principal`.

The token is verified by `KeyRing` (one algorithm, our own keys, issuer, audience,
expiry); then, every request, its `jti` is checked against revocations and its tenants
against the live grants, so the principal's scope is at most what tenants allow *now*.
A token for a deactivated client is refused outright.

The answer is kept for a few seconds in `PrincipalCache`, which the database empties
whenever any of that state changes (see `daiko.auth.principal_cache`).
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.clock import utcnow
from daiko.auth.events import auth_event
from daiko.auth.keys import load_ring
from daiko.auth.partners import token_audience, token_issuer
from daiko.auth.principal import Principal
from daiko.auth.principal_cache import PrincipalCache
from daiko.auth.tokens import KeyRing, KeyRingError, TokenError
from daiko.db.urls import app_url, libpq_dsn
from daiko.errors import NotAuthenticated
from daiko.runtime import Runtime
from daiko.tenancy.principals import partner_principal

INVALID = "the access token is invalid, expired or revoked"


# The verification ring is cached per process for a short while: unsealing the keys on
# every request was most of a partner request's cost. A token the cached ring refuses
# is tried once more against a freshly loaded ring (a key minted by another process), and
# `KeyRing.verify` re-checks each key's `not_after` at its own `now`, so a cached ring
# never accepts a key past its end.
RING_TTL_SECONDS = 30.0
_rings: dict[int, tuple[float, KeyRing]] = {}

# Revocation, the client's state and its live grants in one round trip.
_CHECKS = text(
    """
    select r.revoked, c.active, g.tenant_id, g.scopes
    from (select exists(select 1 from revoked_tokens where jti = :jti) as revoked) r
    left join partner_clients c on c.client_id = :client_id
    left join lateral daiko_partner_tenant_ids(:client_id) g on true
    """
)


async def _ring(runtime: Runtime, session: AsyncSession, now: datetime, *, fresh: bool) -> KeyRing:
    cached = _rings.get(id(runtime))
    if not fresh and cached is not None and time.monotonic() < cached[0]:
        return cached[1]
    ring = await load_ring(session, runtime.settings, now)
    _rings[id(runtime)] = (time.monotonic() + RING_TTL_SECONDS, ring)
    return ring


_CACHE_KEY = "auth.principal_cache"


def principal_cache(runtime: Runtime) -> PrincipalCache:
    found = runtime.extras.get(_CACHE_KEY)
    if isinstance(found, PrincipalCache):
        return found
    cache = PrincipalCache(libpq_dsn(app_url(runtime.settings)))
    runtime.extras[_CACHE_KEY] = cache
    return cache


async def resolve_bearer(runtime: Runtime, token: str) -> Principal:
    now = utcnow(runtime)
    cache = principal_cache(runtime)
    use_cache = await cache.ready()
    if use_cache and (hit := cache.get(token, now)) is not None:
        return hit
    generation = cache.generation
    principal, expires_at = await _resolve(runtime, token, now)
    if use_cache:
        cache.put(token, principal, expires_at, generation)
    return principal


async def _resolve(runtime: Runtime, token: str, now: datetime) -> tuple[Principal, datetime]:
    settings = runtime.settings
    issuer, audience = token_issuer(settings), token_audience(settings)
    async with runtime.db.global_session() as session:
        try:
            try:
                ring = await _ring(runtime, session, now, fresh=False)
                claims = ring.verify(token, issuer=issuer, audience=audience, now=now)
            except (TokenError, KeyRingError):
                ring = await _ring(runtime, session, now, fresh=True)
                claims = ring.verify(token, issuer=issuer, audience=audience, now=now)
        except (TokenError, KeyRingError) as exc:
            reason = exc.reason if isinstance(exc, TokenError) else "no_keys"
            auth_event("bearer token refused", reason=reason)
            raise NotAuthenticated(INVALID) from None
        client_id = str(claims.get("client_id") or claims["sub"])
        rows = (
            await session.execute(_CHECKS, {"jti": claims["jti"], "client_id": client_id})
        ).all()
    if rows[0].revoked:
        auth_event("bearer token refused", reason="revoked", client_id=client_id)
        raise NotAuthenticated(INVALID)
    if not rows[0].active:
        auth_event("bearer token refused", reason="client_inactive", client_id=client_id)
        raise NotAuthenticated(INVALID)
    grants = {r.tenant_id: frozenset(r.scopes) for r in rows if r.tenant_id is not None}
    scopes = frozenset(str(claims["scope"]).split())
    named = {uuid.UUID(t) for t in claims.get("tid") or []}
    per_tenant = {
        tenant: granted & scopes
        for tenant, granted in grants.items()
        if tenant in named and granted & scopes
    }
    principal = partner_principal(client_id, per_tenant, scopes)
    expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
    return dataclasses.replace(principal, tenant_oauth_scopes=per_tenant), expires_at
