"""OpenID Connect sign-in (authorization code flow with PKCE), as a relying party.

Providers: the platform's (`DAIKO_OIDC_*` settings, for operators and anyone else), and
each tenant's own, declared in its YAML (`oidc:` → `tenants.settings['oidc']`, the
secret read from the environment variable the file names).

Why this shape:

- `state` is random, stored hashed with the PKCE verifier and the nonce, single use,
  short-lived, and also bound to the browser by an HttpOnly cookie, so a callback URL
  pushed to someone else's browser cannot sign them in (login CSRF).
- PKCE S256 always, even with a confidential client (RFC 9700 recommends it).
- The ID token comes straight from the token endpoint over TLS and is still verified:
  signature against the provider's JWKS with the algorithms it announces (never `none`
  or HMAC), `iss`, `aud`/`azp`, `exp`, `iat`, and the `nonce` we sent.
- No token ever travels in a URL: only the authorization code (single use, bound to the
  PKCE verifier) comes back in the redirect; tokens stay server-side and are dropped.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete, func, select

from daiko.auth.clock import utcnow
from daiko.auth.errors import OidcFailed
from daiko.auth.events import auth_event
from daiko.auth.models import OidcState
from daiko.errors import NotFound, ServiceUnavailable
from daiko.runtime import Runtime
from daiko.tenancy.models import Tenant, User
from daiko.web.shell import safe_next
from daiko.web.vocabulary import N_

TENANT_IDP_REQUIRED = N_("Sign in through %(tenant_name)s's identity provider.")

STATE_TTL = timedelta(minutes=10)
STATE_COOKIE = "daiko_oidc"
DEFAULT_PROVIDER = "default"
ID_TOKEN_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"})
IAT_SKEW = 300
_DISCOVERY_TTL = 3600.0


@dataclass(frozen=True)
class Provider:
    key: str  # "default" or the tenant's slug
    discovery_url: str
    client_id: str
    client_secret: str
    tenant_id: uuid.UUID | None = None


def redirect_uri(runtime: Runtime) -> str:
    return f"{runtime.settings.base_url.rstrip('/')}/auth/oidc/callback"


async def provider_for(runtime: Runtime, key: str | None) -> Provider:
    settings = runtime.settings
    if not key or key == DEFAULT_PROVIDER:
        if not (settings.oidc_discovery_url and settings.oidc_client_id):
            raise NotFound("single sign-on is not configured")
        secret = (
            settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else ""
        )
        return Provider(
            DEFAULT_PROVIDER, settings.oidc_discovery_url, settings.oidc_client_id, secret
        )
    async with runtime.db.global_session() as session:
        tenant = (
            await session.execute(
                select(Tenant).where(Tenant.slug == key, Tenant.status == "active")
            )
        ).scalar_one_or_none()
    spec: Any = (tenant.settings or {}).get("oidc") if tenant is not None else None
    if tenant is None or not isinstance(spec, dict) or not spec.get("client_id"):
        raise NotFound("this organisation has no single sign-on")
    secret_env = str(spec.get("client_secret_env") or "")
    secret = os.environ.get(secret_env, "") if secret_env else ""
    if not secret:
        raise ServiceUnavailable(f"{secret_env or 'client_secret_env'} is not set on the server")
    discovery = spec.get("discovery_url") or (
        str(spec["issuer"]).rstrip("/") + "/.well-known/openid-configuration"
    )
    return Provider(tenant.slug, str(discovery), str(spec["client_id"]), secret, tenant.id)


async def discover(runtime: Runtime, provider: Provider) -> dict[str, Any]:
    """The provider's metadata, cached for an hour per discovery URL."""
    cache: dict[str, tuple[float, dict[str, Any]]] = runtime.extras.setdefault(  # type: ignore[assignment]
        "oidc_discovery", {}
    )
    hit = cache.get(provider.discovery_url)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            resp = await http.get(provider.discovery_url)
            resp.raise_for_status()
            meta = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ServiceUnavailable("the identity provider cannot be reached") from exc
    for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(meta.get(name), str):
            raise ServiceUnavailable(f"the identity provider's metadata lacks {name}")
    cache[provider.discovery_url] = (time.monotonic() + _DISCOVERY_TTL, meta)
    return dict(meta)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def begin(runtime: Runtime, provider: Provider, next_url: str | None) -> tuple[str, str]:
    """(authorization URL to redirect to, state for the browser-binding cookie)."""
    meta = await discover(runtime, provider)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    now = utcnow(runtime)
    async with runtime.db.global_session() as session:
        await session.execute(delete(OidcState).where(OidcState.expires_at < now))
        session.add(
            OidcState(
                id=_digest(state),
                provider=provider.key,
                nonce=nonce,
                code_verifier=verifier,
                next_url=safe_next(next_url),
                created_at=now,
                expires_at=now + STATE_TTL,
            )
        )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri(runtime),
            "scope": "openid email profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    endpoint = str(meta["authorization_endpoint"])
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", state


@dataclass(frozen=True)
class OidcIdentity:
    user: User
    provider: Provider
    mfa_done: bool
    next_url: str


async def complete(
    runtime: Runtime, *, state: str, code: str, bound_state: str | None
) -> OidcIdentity:
    """Check state, redeem the code, verify the ID token, and find the user."""
    if not bound_state or not secrets.compare_digest(bound_state, state):
        raise OidcFailed("This sign-in was started in another browser; start again.")
    now = utcnow(runtime)
    async with runtime.db.global_session() as session:
        row = (
            await session.execute(
                delete(OidcState)
                .where(OidcState.id == _digest(state), OidcState.expires_at > now)
                .returning(OidcState)
            )
        ).scalar_one_or_none()
    if row is None:
        raise OidcFailed("This sign-in has expired or was already used; start again.")
    provider = await provider_for(runtime, row.provider)
    meta = await discover(runtime, provider)
    id_token = await _redeem(runtime, provider, meta, code, row.code_verifier)
    claims = await _verify_id_token(provider, meta, id_token, row.nonce)
    email = claims.get("email")
    if not isinstance(email, str) or claims.get("email_verified") is False:
        raise OidcFailed("The identity provider did not give a verified e-mail address.")
    async with runtime.db.global_session() as session:
        user = (
            await session.execute(select(User).where(func.lower(User.email) == email.lower()))
        ).scalar_one_or_none()
        if user is not None:
            from daiko.auth.service import oidc_required_tenant, user_tenant_ids

            tenant_ids = await user_tenant_ids(session, user.id)
            if provider.tenant_id is not None and provider.tenant_id not in tenant_ids:
                user = None
            elif (own := await oidc_required_tenant(session, tenant_ids)) is not None and (
                own.id != provider.tenant_id
            ):
                # The tenant requires its own IdP: the platform's SSO does not count.
                auth_event("oidc sign-in refused", provider=provider.key, reason="tenant_idp")
                raise OidcFailed(
                    f"Sign in through {own.name}'s identity provider.",
                    extra={"message": TENANT_IDP_REQUIRED, "tenant_name": own.name},
                )
    if user is None or not user.is_active:
        auth_event("oidc sign-in refused", provider=provider.key, reason="no_user")
        raise OidcFailed("No Daiko account matches this identity.")
    amr = claims.get("amr")
    mfa_done = isinstance(amr, list) and bool({str(a) for a in amr} & _mfa_amr())
    return OidcIdentity(user, provider, mfa_done, row.next_url)


def _mfa_amr() -> frozenset[str]:
    from daiko.auth.service import MFA_AMR

    return MFA_AMR


async def _redeem(
    runtime: Runtime, provider: Provider, meta: dict[str, Any], code: str, verifier: str
) -> str:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(runtime),
        "code_verifier": verifier,
    }
    methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    auth: httpx.Auth | None = None
    if "client_secret_basic" in methods:
        # RFC 6749 §2.3.1: form-encode both before Basic.
        auth = httpx.BasicAuth(
            quote(provider.client_id, safe=""), quote(provider.client_secret, safe="")
        )
    else:
        data |= {"client_id": provider.client_id, "client_secret": provider.client_secret}
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            resp = await http.post(
                str(meta["token_endpoint"]),
                data=data,
                auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
                headers={"Accept": "application/json"},
            )
        body = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ServiceUnavailable("the identity provider cannot be reached") from exc
    if resp.status_code != 200 or not isinstance(body.get("id_token"), str):
        auth_event("oidc code redemption failed", provider=provider.key, error=body.get("error"))
        raise OidcFailed("The identity provider refused the sign-in; start again.")
    return str(body["id_token"])


async def _verify_id_token(
    provider: Provider, meta: dict[str, Any], id_token: str, nonce: str
) -> dict[str, Any]:
    announced = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = sorted(ID_TOKEN_ALGORITHMS & {str(a) for a in announced})
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            resp = await http.get(str(meta["jwks_uri"]))
            resp.raise_for_status()
            keys = KeySet.import_key_set(resp.json())
    except (httpx.HTTPError, ValueError, JoseError) as exc:
        raise ServiceUnavailable("the identity provider's keys cannot be read") from exc
    try:
        token = jwt.decode(id_token, keys, algorithms=algorithms)
    except (JoseError, ValueError) as exc:
        auth_event("oidc id token refused", provider=provider.key, reason=type(exc).__name__)
        raise OidcFailed("The identity provider's answer could not be verified.") from None
    claims: dict[str, Any] = dict(token.claims)
    now = int(time.time())
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    problems = []
    if claims.get("iss") != meta["issuer"]:
        problems.append("iss")
    if provider.client_id not in audiences:
        problems.append("aud")
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        problems.append("azp")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or exp <= now:
        problems.append("exp")
    if not isinstance(iat, int | float) or iat > now + IAT_SKEW:
        problems.append("iat")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(
        str(claims["nonce"]), nonce
    ):
        problems.append("nonce")
    if not isinstance(claims.get("sub"), str):
        problems.append("sub")
    if problems:
        auth_event("oidc id token refused", provider=provider.key, reason=",".join(problems))
        raise OidcFailed("The identity provider's answer could not be verified.")
    return claims
