"""Signing keys at rest, and the `KeyRing` built from them.

The private JWK is sealed with AES-256-GCM under `DAIKO_MASTER_KEY` (the kid is the
associated data, so a sealed blob cannot be moved to another row). A copy of the
database therefore does not let anyone mint partner tokens.

Rotation (`daiko auth rotate-keys`) adds a key and retires the others: they stop
signing but stay published and accepted until `not_after`, set past the longest token
lifetime, so no token in flight is refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.models import SigningKeyRecord
from daiko.auth.tokens import KeyRing, KeyRingError, SigningKey, generate_signing_key
from daiko.config import Settings

#: Access tokens live this long; a retired key stays accepted for longer than that.
ACCESS_TOKEN_TTL = timedelta(minutes=10)
RETIRED_KEY_GRACE = ACCESS_TOKEN_TTL + timedelta(minutes=50)
_NONCE = 12
# Serialises lazy creation of the first key across replicas.
_KEY_LOCK = 0x6461696B6F4B4559  # "daikoKEY"


def _aead(settings: Settings) -> AESGCM:
    raw = base64.b64decode(settings.master_key.get_secret_value())
    if len(raw) != 32:
        # A short master key is a configuration error; derive rather than crash in dev.
        raw = hashlib.sha256(raw).digest()
    return AESGCM(raw)


def seal(settings: Settings, key: SigningKey) -> bytes:
    nonce = os.urandom(_NONCE)
    plain = json.dumps(key.private_jwk).encode()
    return nonce + _aead(settings).encrypt(nonce, plain, key.kid.encode())


def unseal(settings: Settings, row: SigningKeyRecord) -> SigningKey:
    nonce, sealed = row.sealed_jwk[:_NONCE], row.sealed_jwk[_NONCE:]
    jwk = json.loads(_aead(settings).decrypt(nonce, sealed, row.kid.encode()))
    return SigningKey(
        kid=row.kid,
        private_jwk=jwk,
        created_at=row.created_at,
        retired=row.retired,
        not_after=row.not_after,
    )


async def load_ring(session: AsyncSession, settings: Settings, now: datetime) -> KeyRing:
    rows = (await session.execute(select(SigningKeyRecord))).scalars().all()
    return KeyRing([unseal(settings, r) for r in rows], now=now)


async def add_key(session: AsyncSession, settings: Settings, now: datetime) -> SigningKey:
    key = generate_signing_key(now)
    session.add(
        SigningKeyRecord(kid=key.kid, sealed_jwk=seal(settings, key), created_at=now, retired=False)
    )
    await session.flush()
    return key


async def rotate_keys(session: AsyncSession, settings: Settings, now: datetime) -> SigningKey:
    """A new current key; every other active key retires and ends after the grace."""
    await session.execute(
        update(SigningKeyRecord)
        .where(SigningKeyRecord.retired.is_(False))
        .values(retired=True, not_after=now + RETIRED_KEY_GRACE)
    )
    return await add_key(session, settings, now)


async def signing_ring(session: AsyncSession, settings: Settings, now: datetime) -> KeyRing:
    """The ring, creating the first key on first use (under an advisory lock)."""
    ring = await load_ring(session, settings, now)
    try:
        ring.current  # noqa: B018 - raises when no key may sign
        return ring
    except KeyRingError:
        await session.execute(text("select pg_advisory_xact_lock(:k)"), {"k": _KEY_LOCK})
        ring = await load_ring(session, settings, now)
        try:
            ring.current  # noqa: B018
        except KeyRingError:
            await add_key(session, settings, now)
            ring = await load_ring(session, settings, now)
        return ring
