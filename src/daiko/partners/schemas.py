"""API shapes of webhook subscriptions and deliveries (msgspec structs)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from daiko.partners.models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription

EventType = Literal[
    "case.status_changed",
    "case.sla_warning",
    "case.sla_breached",
    "document.verified",
    "payroll_run.approved",
    "job.finished",
    "webhook.test",
]
Url = Annotated[
    str,
    msgspec.Meta(
        min_length=8,
        max_length=2000,
        pattern=r"^https?://",
        examples=["https://hooks.example.com/daiko"],
        description="Where events are POSTed. Must resolve to public addresses only.",
    ),
]
Description = Annotated[str, msgspec.Meta(max_length=500)]
DeliveryStatus = Literal["pending", "succeeded", "failed"]


class SubscriptionCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url
    event_types: Annotated[
        list[EventType],
        msgspec.Meta(min_length=1, max_length=16, examples=[["case.status_changed"]]),
    ]
    description: Description | None = None
    tenant_id: uuid.UUID | None = None
    """Needed only when you act for more than one tenant."""


class SubscriptionUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url | None = None
    event_types: Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=16)] | None = None
    description: Description | None = None
    active: bool | None = None
    version: Annotated[int, msgspec.Meta(ge=1)] | None = None
    """The version you read; a stale one is refused with 409."""


class SubscriptionOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    tenant_id: uuid.UUID
    url: str
    event_types: list[str]
    description: str | None
    active: bool
    client_id: str | None
    """The partner client that made it (null: made in the portal)."""
    version: int
    secret_rotated_at: datetime | None
    """Set while the previous secret still signs beside the new one (24 h)."""
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, s: WebhookSubscription) -> SubscriptionOut:
        return cls(
            id=s.id,
            tenant_id=s.tenant_id,
            url=s.url,
            event_types=list(s.event_types),
            description=s.description,
            active=s.active,
            client_id=s.client_id,
            version=s.version,
            secret_rotated_at=s.previous_secret_expires_at,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )


class SubscriptionWithSecret(SubscriptionOut, kw_only=True):
    secret: Annotated[
        str, msgspec.Meta(examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], pattern="^whsec_")
    ]
    """The signing secret, shown this once (Standard Webhooks `whsec_…`)."""

    @classmethod
    def with_secret(cls, s: WebhookSubscription, secret: str) -> SubscriptionWithSecret:
        base = SubscriptionOut.of(s)
        return cls(**{f: getattr(base, f) for f in base.__struct_fields__}, secret=secret)


class SubscriptionPage(msgspec.Struct, kw_only=True):
    items: list[SubscriptionOut]
    next_cursor: str | None


class AttemptOut(msgspec.Struct, kw_only=True):
    attempt_no: int
    replay: bool
    started_at: datetime
    duration_ms: int
    status_code: int | None
    succeeded: bool
    error: str | None
    response_excerpt: str | None

    @classmethod
    def of(cls, a: WebhookAttempt) -> AttemptOut:
        return cls(
            attempt_no=a.attempt_no,
            replay=a.replay,
            started_at=a.started_at,
            duration_ms=a.duration_ms,
            status_code=a.status_code,
            succeeded=a.succeeded,
            error=a.error,
            response_excerpt=a.response_excerpt,
        )


class DeliveryOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    message_id: str
    """The `webhook-id` header the receiver saw (the same on every retry)."""
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, d: WebhookDelivery, e: WebhookEvent) -> DeliveryOut:
        return cls(
            id=d.id,
            message_id=f"msg_{d.id.hex}",
            subscription_id=d.subscription_id,
            event_id=e.id,
            event_type=e.type,
            status=d.status,  # type: ignore[arg-type]
            attempts=d.attempts,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            created_at=d.created_at,
            delivered_at=d.delivered_at,
        )


class DeliveryDetail(DeliveryOut, kw_only=True):
    payload: dict[str, Any]
    attempt_log: list[AttemptOut]


class DeliveryPage(msgspec.Struct, kw_only=True):
    items: list[DeliveryOut]
    next_cursor: str | None


class EventTypeOut(msgspec.Struct, kw_only=True):
    type: str
    description: str


class TestEventOut(msgspec.Struct, kw_only=True):
    event_id: uuid.UUID | None
