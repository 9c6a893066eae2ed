"""Tables of the partner API (all tenant-owned, RLS).

- `idempotency_keys`: one row per (tenant, principal, Idempotency-Key): the request's
  fingerprint, its state and the first response, replayed for 24 hours.
- `rate_limit_buckets`: GCRA state when the broker is not Redis (RabbitMQ deployments).
- `webhook_subscriptions`: a tenant's target URLs, per partner client (or made by a
  client_admin in the portal), with the signing secret sealed by field encryption and
  the previous secret kept during a rotation.
- `webhook_events`: the event outbox (`daiko.partners.events.publish`).
- `webhook_deliveries`: one event to one subscription (the Standard Webhooks message id);
  `webhook_attempts`: every try, with status, duration and a response excerpt.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from daiko.db.base import Base, TenantOwned, Timestamps
from daiko.tenancy import models as _tenancy_models  # noqa: F401  (foreign key targets)

IDEMPOTENCY_STATES = ("in_progress", "completed")
DELIVERY_STATUSES = ("pending", "succeeded", "failed")


class IdempotencyKey(TenantOwned, Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("tenant_id", "principal", "key"),
        CheckConstraint(
            "state in ('in_progress', 'completed')",
            name="state",
        ),
        Index("ix_idempotency_keys_expires_at", "expires_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    # "partner:<client_id>" or "user:<uuid>"
    principal: Mapped[str] = mapped_column(String(160))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), server_default="in_progress")
    locked_until: Mapped[datetime]
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[list[list[str]] | None] = mapped_column(JSONB)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    expires_at: Mapped[datetime]


class RateLimitBucket(Base):
    """GCRA state for the PostgreSQL rate limiter: the bucket's theoretical arrival time.
    Tenant-owned (RLS) with the bucket key inside the tenant."""

    __tablename__ = "rate_limit_buckets"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    bucket: Mapped[str] = mapped_column(String(200), primary_key=True)
    tat: Mapped[datetime]


class WebhookSubscription(TenantOwned, Timestamps, Base):
    __tablename__ = "webhook_subscriptions"
    __table_args__ = (Index("ix_webhook_subscriptions_tenant_id_active", "tenant_id", "active"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    description: Mapped[str | None] = mapped_column(String(500))
    # The partner client that owns it (null: made by a person in the portal).
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    # `whsec_…` sealed with daiko.security.fields (purpose "webhook_secret").
    secret: Mapped[str] = mapped_column(Text)
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class WebhookEvent(TenantOwned, Base):
    __tablename__ = "webhook_events"
    __table_args__ = (
        Index("ix_webhook_events_tenant_id_created_at", "tenant_id", "created_at"),
        Index(
            "uq_webhook_events_tenant_id_dedupe_key",
            "tenant_id",
            "dedupe_key",
            unique=True,
            postgresql_where=text("dedupe_key is not null"),
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # Set by publishers that may run twice for one fact (an SLA event id, a job id).
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=text("clock_timestamp()"))


class WebhookDelivery(TenantOwned, Timestamps, Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "subscription_id"],
            ["webhook_subscriptions.tenant_id", "webhook_subscriptions.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "event_id"],
            ["webhook_events.tenant_id", "webhook_events.id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("tenant_id", "subscription_id", "event_id"),
        CheckConstraint("status in ('pending', 'succeeded', 'failed')", name="status"),
        Index("ix_webhook_deliveries_tenant_id_subscription_id", "tenant_id", "subscription_id"),
    )

    subscription_id: Mapped[uuid.UUID]
    event_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[uuid.UUID | None]
    delivered_at: Mapped[datetime | None]


class WebhookAttempt(TenantOwned, Base):
    __tablename__ = "webhook_attempts"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "delivery_id"],
            ["webhook_deliveries.tenant_id", "webhook_deliveries.id"],
            ondelete="CASCADE",
        ),
        Index("ix_webhook_attempts_tenant_id_delivery_id", "tenant_id", "delivery_id"),
    )

    delivery_id: Mapped[uuid.UUID]
    attempt_no: Mapped[int] = mapped_column(Integer)
    replay: Mapped[bool] = mapped_column(Boolean, server_default=false())
    started_at: Mapped[datetime] = mapped_column(server_default=text("clock_timestamp()"))
    duration_ms: Mapped[int] = mapped_column(BigInteger, server_default="0")
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    succeeded: Mapped[bool] = mapped_column(Boolean, server_default=false())
