"""API shapes of the audit domain (msgspec structs)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from daiko.audit.models import AuditEvent


class ActorOut(msgspec.Struct, kw_only=True):
    kind: str
    id: str | None
    display: str | None


class ResourceOut(msgspec.Struct, kw_only=True):
    type: str
    id: str | None


class AuditEventOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    seq: int
    occurred_at: datetime
    actor: ActorOut
    action: str
    resource: ResourceOut
    details: dict[str, Any]
    request_id: str | None
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, e: AuditEvent) -> AuditEventOut:
        return cls(
            id=e.id,
            seq=e.seq,
            occurred_at=e.occurred_at,
            actor=ActorOut(kind=e.actor_kind, id=e.actor_id, display=e.actor_display),
            action=e.action,
            resource=ResourceOut(type=e.resource_type, id=e.resource_id),
            details=e.details,
            request_id=e.request_id,
            prev_hash=e.prev_hash,
            hash=e.hash,
        )


class AuditEventPage(msgspec.Struct, kw_only=True):
    """Newest first. Pass `next_cursor` as `cursor` for the next (older) page; it is
    null on the last page."""

    items: list[AuditEventOut]
    next_cursor: int | None
