"""Access tokens for partner machines (OAuth 2.0 client credentials), as signed JWTs.

Why this shape:

- ES256 (ECDSA P-256 with SHA-256), not RS256: 64-byte signatures instead of 256, keys
  that are cheap to generate (so rotation is routine, not an event), fast signing, and
  every mainstream JWT library partners use can verify it. EdDSA would be nicer still,
  but partner stacks (older Java and .NET libraries) support it less reliably.
- Exactly one algorithm is accepted, chosen here, never read from the token: the
  header's `alg` is compared to `ALGORITHM` before any key is touched, which closes
  `alg: none` and the RS/HS key-confusion family.
- Keys are looked up by `kid` in our own ring only; `jku`, `jwk` and `x5u` headers are
  never followed.
- Tokens carry `typ: at+jwt` (RFC 9068) and verification requires it, so no other JWT
  we might one day sign (an e-mail link, an ID token) can be replayed as an access token.
- Rotation: a new key is generated and becomes `current` (the newest active key); the old
  one is marked `retired` (stops signing) with `not_after` set past the longest token
  lifetime, so tokens it signed keep verifying and it stays in the JWKS until then.
  A key whose `created_at` is still in the future is published but not yet used, so
  partners that cache the JWKS see it before the first token it signs.
- `exp` has no leeway (a token refused a few seconds early costs the partner one token
  request); `iat`/`nbf` get `CLOCK_SKEW` because our replicas' clocks may differ a little.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import ECKey

__all__ = [
    "ALGORITHM",
    "CLOCK_SKEW",
    "REQUIRED_CLAIMS",
    "SCOPES",
    "TOKEN_TYPE",
    "KeyRing",
    "KeyRingError",
    "SigningKey",
    "TokenError",
    "TokenErrorReason",
    "UnknownScopeError",
    "generate_signing_key",
    "issue_access_token",
    "parse_scope",
]

ALGORITHM = "ES256"
_CURVE = "P-256"
TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a secret
_ACCEPTED_TYPES = frozenset({"at+jwt", "application/at+jwt"})
CLOCK_SKEW = timedelta(seconds=30)
#: A partner token with a dozen tenants is well under 2 KiB; anything near this is an
#: attack on the parser, refused before any decoding.
MAX_TOKEN_LENGTH = 8192
REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "jti", "scope")

SCOPES = frozenset(
    {
        "employees:read",
        "employees:write",
        "attendance:write",
        "documents:read",
        "documents:write",
        "payroll:read",
        "cases:read",
        "cases:write",
        "journals:read",
        "social_insurance:write",
        "jobs:read",
        "webhooks:manage",
    }
)


class UnknownScopeError(ValueError):
    """A scope string named scopes we do not define."""

    def __init__(self, unknown: Iterable[str]) -> None:
        self.unknown = frozenset(unknown)
        super().__init__(f"unknown scope(s): {' '.join(sorted(self.unknown))}")


def parse_scope(scope: str) -> frozenset[str]:
    """The set of scopes in an OAuth space-separated `scope` string; unknown ones raise."""
    scopes = frozenset(scope.split())
    unknown = scopes - SCOPES
    if unknown:
        raise UnknownScopeError(unknown)
    return scopes


class TokenErrorReason(StrEnum):
    """Why a token was refused: stable codes for logs and metrics (not shown to partners)."""

    MALFORMED = "malformed"
    WRONG_TYPE = "wrong_type"
    ALG_NOT_ALLOWED = "alg_not_allowed"
    UNKNOWN_KID = "unknown_kid"
    BAD_SIGNATURE = "bad_signature"
    MISSING_CLAIM = "missing_claim"
    INVALID_CLAIM = "invalid_claim"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"


class TokenError(Exception):
    """A token that must not be accepted. The message never contains the token itself."""

    def __init__(self, reason: TokenErrorReason, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else str(reason))


class KeyRingError(Exception):
    """The ring cannot do what was asked (no key may sign now, duplicate kids, bad JWK)."""


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("`now` must be timezone-aware")


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One signing key as stored (the private JWK belongs in encrypted storage).

    `retired`: no longer signs, still published and accepted.
    `not_after`: from this instant on, neither published nor accepted.
    """

    kid: str
    private_jwk: dict[str, Any] = field(repr=False)  # never print private key material
    created_at: datetime
    retired: bool = False
    not_after: datetime | None = None

    def is_published(self, now: datetime) -> bool:
        return self.not_after is None or now < self.not_after

    def can_sign(self, now: datetime) -> bool:
        return not self.retired and self.created_at <= now and self.is_published(now)


def generate_signing_key(now: datetime) -> SigningKey:
    """A fresh P-256 key; its kid is the RFC 7638 thumbprint, so it is unique and stable."""
    _require_aware(now)
    key = ECKey.generate_key(_CURVE, private=True)
    kid = key.thumbprint()
    jwk = dict(key.as_dict(private=True, kid=kid, alg=ALGORITHM, use="sig"))
    return SigningKey(kid=kid, private_jwk=jwk, created_at=now)


def _import(key: SigningKey) -> ECKey:
    try:
        jwk = ECKey.import_key(key.private_jwk)
    except (JoseError, ValueError, TypeError) as error:
        raise KeyRingError(f"key {key.kid!r}: not an EC JWK") from error
    if jwk.get("crv") != _CURVE or not jwk.is_private:
        raise KeyRingError(f"key {key.kid!r}: must be a private {_CURVE} key")
    if jwk.kid not in (None, key.kid):
        raise KeyRingError(f"key {key.kid!r}: JWK carries another kid {jwk.kid!r}")
    return jwk


def _b64url_decode(segment: str) -> bytes:
    # Strict: only the canonical encoding is accepted, so one token has one spelling.
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as error:
        raise TokenError(TokenErrorReason.MALFORMED, "bad base64url") from error
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != segment:
        raise TokenError(TokenErrorReason.MALFORMED, "non-canonical base64url")
    return raw


def _is_numeric_date(value: object) -> bool:
    # bool is an int in Python, and NaN compares false with everything (never expires).
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


class KeyRing:
    """The signing keys as of `now`: which one signs, which are published and accepted.

    A ring is a snapshot; build a new one when the stored keys change (it is cheap).
    `verify` also re-checks each key's `not_after` against its own `now`, so a ring kept
    a little too long never accepts a key past its end.
    """

    def __init__(self, keys: Iterable[SigningKey], *, now: datetime) -> None:
        _require_aware(now)
        self._keys: dict[str, tuple[SigningKey, ECKey]] = {}
        for key in keys:
            if key.kid in self._keys:
                raise KeyRingError(f"duplicate kid {key.kid!r}")
            if key.is_published(now):
                self._keys[key.kid] = (key, _import(key))
        signers = [k for k, _ in self._keys.values() if k.can_sign(now)]
        self._current = max(signers, key=lambda k: k.created_at) if signers else None

    @property
    def current(self) -> SigningKey:
        """The newest active key: the one that signs."""
        if self._current is None:
            raise KeyRingError("no active signing key; generate one")
        return self._current

    def sign(self, claims: Mapping[str, Any]) -> str:
        """Compact JWS of `claims` with the current key (`kid` and `typ` in the header)."""
        key = self.current
        header = {"alg": ALGORITHM, "kid": key.kid, "typ": TOKEN_TYPE}
        # jwt.encode rewrites datetime claims in place; give it a copy.
        return jwt.encode(header, dict(claims), self._keys[key.kid][1], algorithms=[ALGORITHM])

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """Public keys for `/.well-known/jwks.json`: every key not past `not_after`."""
        return {
            "keys": [
                dict(jwk.as_dict(private=False, kid=key.kid, alg=ALGORITHM, use="sig"))
                for key, jwk in self._keys.values()
            ]
        }

    def verify(self, token: str, *, issuer: str, audience: str, now: datetime) -> dict[str, Any]:
        """The claims of a valid access token; anything else raises `TokenError`."""
        _require_aware(now)
        header = self._check_header(token)
        kid = header.get("kid")
        entry = self._keys.get(kid) if isinstance(kid, str) else None
        if entry is None or not entry[0].is_published(now):
            raise TokenError(TokenErrorReason.UNKNOWN_KID)
        try:
            decoded = jwt.decode(token, entry[1], algorithms=[ALGORITHM])
        except BadSignatureError as error:
            raise TokenError(TokenErrorReason.BAD_SIGNATURE) from error
        except (JoseError, ValueError, TypeError) as error:
            raise TokenError(TokenErrorReason.MALFORMED, type(error).__name__) from error
        claims: dict[str, Any] = dict(decoded.claims)
        _check_claims(claims, issuer=issuer, audience=audience, now=now)
        return claims

    @staticmethod
    def _check_header(token: str) -> dict[str, Any]:
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
            raise TokenError(TokenErrorReason.MALFORMED, "not a token")
        parts = token.split(".")
        # An empty signature is let through here so `alg: none` is named as such below.
        if len(parts) != 3 or not parts[0] or not parts[1]:
            raise TokenError(TokenErrorReason.MALFORMED, "not a compact JWS")
        try:
            header = json.loads(_b64url_decode(parts[0]))
        except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise TokenError(TokenErrorReason.MALFORMED, "header is not JSON") from error
        if not isinstance(header, dict):
            raise TokenError(TokenErrorReason.MALFORMED, "header is not an object")
        if header.get("alg") != ALGORITHM:
            raise TokenError(TokenErrorReason.ALG_NOT_ALLOWED, repr(header.get("alg"))[:32])
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in _ACCEPTED_TYPES:
            raise TokenError(TokenErrorReason.WRONG_TYPE)
        if "crit" in header:
            # We understand no extensions, and RFC 7515 says to refuse any marked critical.
            raise TokenError(TokenErrorReason.MALFORMED, "crit header")
        return header


def _check_claims(claims: dict[str, Any], *, issuer: str, audience: str, now: datetime) -> None:
    missing = [name for name in REQUIRED_CLAIMS if claims.get(name) is None]
    if missing:
        raise TokenError(TokenErrorReason.MISSING_CLAIM, ",".join(missing))

    for name in ("iss", "sub", "jti", "scope"):
        if not isinstance(claims[name], str):
            raise TokenError(TokenErrorReason.INVALID_CLAIM, name)
    aud = claims["aud"]
    if not (
        isinstance(aud, str) or (isinstance(aud, list) and all(isinstance(a, str) for a in aud))
    ):
        raise TokenError(TokenErrorReason.INVALID_CLAIM, "aud")
    for name in ("exp", "iat", "nbf"):
        if name in claims and not _is_numeric_date(claims[name]):
            raise TokenError(TokenErrorReason.INVALID_CLAIM, name)
    tid = claims.get("tid")
    if tid is not None and not (isinstance(tid, list) and all(isinstance(t, str) for t in tid)):
        raise TokenError(TokenErrorReason.INVALID_CLAIM, "tid")

    moment = now.timestamp()
    if moment >= claims["exp"]:  # RFC 7519: valid only while now is *before* exp
        raise TokenError(TokenErrorReason.EXPIRED)
    horizon = moment + CLOCK_SKEW.total_seconds()
    if claims["iat"] > horizon or claims.get("nbf", moment) > horizon:
        raise TokenError(TokenErrorReason.NOT_YET_VALID)

    if claims["iss"] != issuer:
        raise TokenError(TokenErrorReason.WRONG_ISSUER)
    if audience not in ([aud] if isinstance(aud, str) else aud):
        raise TokenError(TokenErrorReason.WRONG_AUDIENCE)

    try:
        parse_scope(claims["scope"])
    except UnknownScopeError as error:
        # A scope we no longer define grants nothing; refuse rather than guess.
        raise TokenError(TokenErrorReason.INVALID_CLAIM, "scope") from error


def issue_access_token(
    ring: KeyRing,
    *,
    client_id: str,
    tenant_ids: Iterable[str | UUID],
    scopes: Iterable[str],
    issuer: str,
    audience: str,
    now: datetime,
    ttl: timedelta = timedelta(minutes=10),
) -> tuple[str, dict[str, Any]]:
    """A signed access token for a partner client, and the claims it carries.

    `tid` lists the tenants that granted this client access; it becomes the
    transaction's tenant scope, so it is exactly what the caller vetted, nothing more.
    """
    _require_aware(now)
    granted = frozenset(scopes)
    unknown = granted - SCOPES
    if unknown:
        raise UnknownScopeError(unknown)
    if not granted:
        raise ValueError("a token needs at least one scope")
    if ttl <= timedelta(0):
        raise ValueError("ttl must be positive")
    if not client_id:
        raise ValueError("client_id is required")

    issued_at = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": client_id,
        "aud": audience,
        "client_id": client_id,  # RFC 9068 §2.2
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + int(ttl.total_seconds()),
        "jti": secrets.token_urlsafe(16),
        "scope": " ".join(sorted(granted)),
        "tid": sorted({str(t) for t in tenant_ids}),
    }
    return ring.sign(claims), claims
