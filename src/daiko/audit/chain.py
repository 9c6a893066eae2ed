"""The hash chain, pure: canonical encoding of an event and its SHA-256.

Each event's hash covers its tenant, sequence number, time, actor, action, resource,
details, request id and the previous event's hash, encoded as canonical JSON (sorted
keys, no whitespace, UTF-8, no floats). Changing, removing or reordering a stored event
therefore breaks the chain at that event or the next one, and `verify_chain` names it.

Details must survive a JSONB round trip byte for byte, so only JSON types with one
spelling are accepted: str, int, bool, None, lists and string-keyed objects; UUIDs,
dates, Decimals and enums are turned into strings first. Floats are refused (PostgreSQL
may print `1e100` as 101 digits, which would read back as an int and break the hash).
Keys that name secrets are refused: the trail records *that* a secret was used, never
the secret.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any, TypeAlias

CHAIN_VERSION = 1
GENESIS_HASH = "0" * 64

_SECRET_KEYS = frozenset(
    {
        "password",
        "secret",
        "token",
        "access_token",
        "refresh_token",
        "client_secret",
        "api_key",
        "private_key",
        "totp",
        "totp_secret",
        "recovery_code",
        "authorization",
        "cookie",
        "my_number",
        "account_number",
        "bank_account_number",
    }
)
_SECRET_SUFFIXES = ("_password", "_secret", "_token", "_my_number", "_account_number")

JSON: TypeAlias = "str | int | bool | list[JSON] | dict[str, JSON] | None"


@dataclass(frozen=True)
class ActorRef:
    """Who acted, as stored: kind (user, operator, partner, system), id and display name."""

    kind: str
    id: str | None
    display: str | None


@dataclass(frozen=True)
class ChainedFields:
    """Everything the hash covers, in the stored form."""

    tenant_id: uuid.UUID
    seq: int
    occurred_at: dt.datetime
    actor: ActorRef
    action: str
    resource_type: str
    resource_id: str | None
    details: Mapping[str, Any]
    request_id: str | None
    prev_hash: str


def is_secret_key(key: str) -> bool:
    k = key.lower()
    return k in _SECRET_KEYS or k.endswith(_SECRET_SUFFIXES)


def canonical_details(details: Mapping[str, Any] | None) -> dict[str, JSON]:
    """Details in the one form that is stored and hashed; raises `ValueError` on floats,
    non-string keys, NUL characters and keys that name secrets."""
    if details is None:
        return {}
    out = _canonical(details, "details")
    assert isinstance(out, dict)
    return out


def _canonical(value: Any, path: str) -> JSON:
    if value is None or (isinstance(value, bool | int) and not isinstance(value, Enum)):
        return value
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{path}: NUL characters cannot be stored")
        return value
    if isinstance(value, Enum):
        return _canonical(value.value, path)
    if isinstance(value, dt.datetime):
        return iso_utc(value) if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, float):
        raise ValueError(f"{path}: floats are not allowed in audit details (use Decimal or str)")
    if isinstance(value, Mapping):
        obj: dict[str, JSON] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{path}: keys must be strings (got {k!r})")
            if is_secret_key(k):
                raise ValueError(f"{path}.{k}: secrets never go into the audit trail")
            obj[k] = _canonical(v, f"{path}.{k}")
        return obj
    if isinstance(value, list | tuple):
        return [_canonical(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise ValueError(f"{path}: {type(value).__name__} cannot be stored in audit details")


def iso_utc(moment: dt.datetime) -> str:
    """`2026-12-01T03:04:05.123456+00:00`: UTC, always with microseconds."""
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical_bytes(fields: ChainedFields) -> bytes:
    doc = {
        "v": CHAIN_VERSION,
        "tenant_id": str(fields.tenant_id),
        "seq": fields.seq,
        "occurred_at": iso_utc(fields.occurred_at),
        "actor": {
            "kind": fields.actor.kind,
            "id": fields.actor.id,
            "display": fields.actor.display,
        },
        "action": fields.action,
        "resource": {"type": fields.resource_type, "id": fields.resource_id},
        "details": fields.details,
        "request_id": fields.request_id,
        "prev_hash": fields.prev_hash,
    }
    return json.dumps(
        doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def event_hash(fields: ChainedFields) -> str:
    return hashlib.sha256(canonical_bytes(fields)).hexdigest()
