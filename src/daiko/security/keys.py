"""The master keyring: the deployment's key-encryption keys, identified by fingerprint.

The current master key (`DAIKO_MASTER_KEY`, base64 of 32 bytes) wraps new data keys.
Earlier master keys may be added while a rotation is under way, so data keys still
wrapped by them can be unwrapped (and re-wrapped by `daiko security rotate-master-key`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from daiko.config import ConfigError, Settings

KEY_BYTES = 32
NONCE_BYTES = 12
WRAPPED_BYTES = NONCE_BYTES + KEY_BYTES + 16  # nonce + data key + GCM tag


class KeyUnavailable(Exception):
    """A data key cannot be unwrapped: its master key is not in the keyring, or the
    wrapped bytes (or the tenant/version they are bound to) were altered."""


def decode_master_key(value: str, setting: str = "DAIKO_MASTER_KEY") -> bytes:
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(setting, "must be base64 (32 random bytes)") from None
    if len(key) != KEY_BYTES:
        raise ConfigError(setting, f"must decode to {KEY_BYTES} bytes (got {len(key)})")
    return key


def master_key_id(key: bytes) -> str:
    """A stable, non-secret name for a master key: 16 hex digits of a SHA-256 over it."""
    return hashlib.sha256(b"daiko master key id\x00" + key).hexdigest()[:16]


def _wrap_aad(tenant_id: uuid.UUID, version: int) -> bytes:
    # Binds a wrapped key to its tenant and version: a row copied to another tenant, or
    # renumbered, no longer unwraps.
    return f"daiko:data-key:v1:{tenant_id}:{version}".encode()


@dataclass(frozen=True)
class MasterKeyring:
    current: bytes
    previous: tuple[bytes, ...] = ()
    _by_id: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for key in (self.current, *self.previous):
            if len(key) != KEY_BYTES:
                raise ValueError(f"master keys are {KEY_BYTES} bytes")
            self._by_id[master_key_id(key)] = key

    def __repr__(self) -> str:  # never print key material
        return f"MasterKeyring(current={self.current_id}, previous={len(self.previous)})"

    @classmethod
    def from_settings(cls, settings: Settings, previous: Iterable[str] = ()) -> MasterKeyring:
        return cls(
            current=decode_master_key(settings.master_key.get_secret_value()),
            previous=tuple(
                decode_master_key(p, "previous master key") for p in previous if p.strip()
            ),
        )

    @property
    def current_id(self) -> str:
        return master_key_id(self.current)

    def wrap(self, data_key: bytes, tenant_id: uuid.UUID, version: int) -> tuple[bytes, str]:
        """(nonce + ciphertext, master key id), under the current master key."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.current).encrypt(nonce, data_key, _wrap_aad(tenant_id, version))
        return nonce + sealed, self.current_id

    def unwrap(self, wrapped: bytes, key_id: str, tenant_id: uuid.UUID, version: int) -> bytes:
        master = self._by_id.get(key_id)
        if master is None:
            raise KeyUnavailable(
                f"data key v{version} is wrapped by master key {key_id}, which is not configured"
            )
        try:
            return AESGCM(master).decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(tenant_id, version)
            )
        except InvalidTag:
            raise KeyUnavailable(f"data key v{version} does not unwrap (altered?)") from None


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)
