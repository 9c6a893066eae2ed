"""Field encryption for My Numbers and bank account numbers (envelope encryption).

A value is sealed with AES-256-GCM under its tenant's active data key and stored as a
token `v1:<key version>:<base64url(nonce + ciphertext + tag)>`. The associated data binds
the token to its tenant and purpose (`employee.my_number`), so a token copied to another
tenant's row, or into another column, fails to decrypt instead of revealing anything.
Data keys live in `tenant_data_keys`, wrapped by the master key (see `keys.py`), and are
read through the caller's tenant-scoped session: RLS decides whose keys exist.

Decrypting is a read of sensitive data: show values masked (`masking.py`) and, when a
person reveals the clear value, use `reveal_field`, which writes the audit event too.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import (
    Actor,
    SensitiveKind,
    SystemActor,
    record,
    record_read_of_sensitive,
)
from daiko.config import get_settings
from daiko.db.engine import Database
from daiko.security import repository as repo
from daiko.security.keys import NONCE_BYTES, MasterKeyring, new_data_key
from daiko.security.models import TenantDataKey
from daiko.tenancy.scope import scope_of_tenant

FORMAT_PREFIX = "v1"
_PURPOSE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_TOKEN = re.compile(r"^v1:([1-9][0-9]{0,8}):([A-Za-z0-9_-]+)$")


class FieldDecryptionError(Exception):
    """The token is malformed, altered, or belongs to another tenant or purpose."""


def default_keyring() -> MasterKeyring:
    return MasterKeyring.from_settings(get_settings())


def _aad(tenant_id: uuid.UUID, purpose: str, version: int) -> bytes:
    return f"daiko:field:v1:{tenant_id}:{purpose}:{version}".encode()


def _check_purpose(purpose: str) -> None:
    if not _PURPOSE.match(purpose):
        raise ValueError(f"field purpose {purpose!r} must look like 'employee.my_number'")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def _active_data_key(
    session: AsyncSession, tenant_id: uuid.UUID, keyring: MasterKeyring
) -> tuple[int, bytes]:
    row = await repo.active_key(session, tenant_id)
    if row is None:
        # First use for this tenant: under the lock, look again (a concurrent first use
        # may have just committed its key), and create one only if still none.
        await repo.lock_tenant_keys(session, tenant_id)
        row = await repo.active_key(session, tenant_id)
    if row is None:
        version = await repo.latest_version(session, tenant_id) + 1
        wrapped, key_id = keyring.wrap(new_data_key(), tenant_id, version)
        await repo.insert_key_if_absent(
            session,
            tenant_id=tenant_id,
            version=version,
            wrapped_key=wrapped,
            master_key_id=key_id,
        )
        row = await repo.active_key(session, tenant_id)
        if row is None:  # pragma: no cover - the insert above or its winner exists
            raise RuntimeError(f"no data key for tenant {tenant_id}")
    return row.version, _unwrap(row, keyring)


def _unwrap(row: TenantDataKey, keyring: MasterKeyring) -> bytes:
    return keyring.unwrap(row.wrapped_key, row.master_key_id, row.tenant_id, row.version)


async def encrypt_field(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    plaintext: str,
    *,
    purpose: str,
    keyring: MasterKeyring | None = None,
) -> str:
    """Seal `plaintext` for `tenant_id` and `purpose`; returns a `v1:` token to store.
    Creates the tenant's first data key on first use (in the caller's transaction)."""
    _check_purpose(purpose)
    sealer = await field_sealer(session, tenant_id, keyring=keyring)
    return sealer.seal(plaintext, purpose=purpose)


class FieldSealer:
    """`encrypt_field` for many values of one tenant: the active data key is read and
    unwrapped once (an import of 10,000 rows seals 30,000 values). Tokens are exactly
    `encrypt_field`'s. Build with `field_sealer`; use within the same transaction."""

    def __init__(self, tenant_id: uuid.UUID, version: int, key: bytes) -> None:
        self._tenant_id = tenant_id
        self._version = version
        self._aead = AESGCM(key)

    def seal(self, plaintext: str, *, purpose: str) -> str:
        _check_purpose(purpose)
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(
            nonce, plaintext.encode("utf-8"), _aad(self._tenant_id, purpose, self._version)
        )
        return f"{FORMAT_PREFIX}:{self._version}:{_b64(nonce + sealed)}"


async def field_sealer(
    session: AsyncSession, tenant_id: uuid.UUID, *, keyring: MasterKeyring | None = None
) -> FieldSealer:
    version, key = await _active_data_key(session, tenant_id, keyring or default_keyring())
    return FieldSealer(tenant_id, version, key)


def _parse(token: str) -> tuple[int, bytes]:
    m = _TOKEN.match(token)
    if m is None:
        raise FieldDecryptionError("not a v1 field token")
    try:
        blob = _unb64(m.group(2))
    except (binascii.Error, ValueError):
        raise FieldDecryptionError("token body is not base64url") from None
    if len(blob) < NONCE_BYTES + 16:
        raise FieldDecryptionError("token is too short")
    return int(m.group(1)), blob


def _open(key: bytes, blob: bytes, tenant_id: uuid.UUID, purpose: str, version: int) -> str:
    try:
        clear = AESGCM(key).decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], _aad(tenant_id, purpose, version)
        )
    except InvalidTag:
        raise FieldDecryptionError(
            "token does not decrypt: altered, or from another tenant or purpose"
        ) from None
    return clear.decode("utf-8")


async def decrypt_field(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    token: str,
    *,
    purpose: str,
    keyring: MasterKeyring | None = None,
) -> str:
    """Open a token made by `encrypt_field` for the same tenant and purpose. Raises
    `FieldDecryptionError` otherwise. Not audited by itself: see `reveal_field`."""
    _check_purpose(purpose)
    version, blob = _parse(token)
    row = await repo.key_version(session, tenant_id, version)
    if row is None:
        raise FieldDecryptionError(f"tenant has no data key v{version} in this scope")
    return _open(_unwrap(row, keyring or default_keyring()), blob, tenant_id, purpose, version)


async def decrypt_fields(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    tokens: Iterable[str],
    *,
    purpose: str,
    keyring: MasterKeyring | None = None,
) -> list[str]:
    """`decrypt_field` for many tokens of one tenant, reading each key version once."""
    _check_purpose(purpose)
    ring = keyring or default_keyring()
    keys: dict[int, bytes] = {}
    out: list[str] = []
    for token in tokens:
        version, blob = _parse(token)
        if version not in keys:
            row = await repo.key_version(session, tenant_id, version)
            if row is None:
                raise FieldDecryptionError(f"tenant has no data key v{version} in this scope")
            keys[version] = _unwrap(row, ring)
        out.append(_open(keys[version], blob, tenant_id, purpose, version))
    return out


async def reveal_field(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    token: str,
    purpose: str,
    kind: SensitiveKind,
    actor: Actor,
    resource_type: str,
    resource_id: str | uuid.UUID | None,
    business_purpose: str | None = None,
    details: Mapping[str, Any] | None = None,
    keyring: MasterKeyring | None = None,
) -> str:
    """Decrypt for a person to see, and audit it in the same transaction
    (`employee.my_number_revealed`). `business_purpose` is the 利用目的 (required for My
    Numbers, e.g. `withholding_slip`)."""
    clear = await decrypt_field(session, tenant_id, token, purpose=purpose, keyring=keyring)
    await record_read_of_sensitive(
        session,
        tenant_id=tenant_id,
        actor=actor,
        kind=kind,
        resource_type=resource_type,
        resource_id=resource_id,
        purpose=business_purpose,
        details={**(details or {}), "field": purpose},
    )
    return clear


async def rotate_data_key(
    session: AsyncSession, tenant_id: uuid.UUID, *, keyring: MasterKeyring | None = None
) -> int:
    """Start a new data-key version for the tenant; older versions are retired (kept to
    decrypt existing tokens). Returns the new version."""
    ring = keyring or default_keyring()
    await repo.lock_tenant_keys(session, tenant_id)
    version = await repo.latest_version(session, tenant_id) + 1
    wrapped, key_id = ring.wrap(new_data_key(), tenant_id, version)
    if not await repo.insert_key_if_absent(
        session, tenant_id=tenant_id, version=version, wrapped_key=wrapped, master_key_id=key_id
    ):
        raise RuntimeError(f"data key v{version} of tenant {tenant_id} was created concurrently")
    await repo.retire_keys_before(session, tenant_id, version)
    await session.flush()
    return version


async def rewrap_tenant_keys(
    session: AsyncSession, tenant_id: uuid.UUID, keyring: MasterKeyring
) -> int:
    """Re-wrap every data key of the tenant that is not under the current master key.
    Field tokens are untouched (the data keys themselves do not change). Returns how many
    keys were re-wrapped; 0 when already done, so the command can be re-run."""
    count = 0
    for row in await repo.all_keys(session, tenant_id):
        if row.master_key_id == keyring.current_id:
            continue
        data_key = _unwrap(row, keyring)
        row.wrapped_key, row.master_key_id = keyring.wrap(data_key, tenant_id, row.version)
        count += 1
    await session.flush()
    return count


async def rotate_master_key(db: Database, keyring: MasterKeyring) -> dict[uuid.UUID, int]:
    """Re-wrap every tenant's data keys under `keyring.current`, one tenant per
    transaction in its own scope, each audited. Returns keys re-wrapped per tenant."""
    done: dict[uuid.UUID, int] = {}
    for tenant_id in await repo.tenants_with_data_keys_as_system(db.system_engine):
        async with db.session(scope_of_tenant(tenant_id)) as session:
            count = await rewrap_tenant_keys(session, tenant_id, keyring)
            if count:
                await record(
                    session,
                    tenant_id=tenant_id,
                    actor=SystemActor("cli.rotate_master_key"),
                    action="tenant.data_keys_rewrapped",
                    resource_type="tenant",
                    resource_id=tenant_id,
                    details={"keys": count, "master_key_id": keyring.current_id},
                )
        done[tenant_id] = count
    return done
