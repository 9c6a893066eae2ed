"""Rows in every partner-API table for tenants A and B (isolation tests and the route
matrix). Returns tenant A's subscription and delivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.ids import new_id
from daiko.partners.models import (
    IdempotencyKey,
    RateLimitBucket,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from tests.factories import World

ROUTE_BODIES: dict[str, dict[str, object]] = {
    "POST /api/v1/webhooks/subscriptions": {
        "url": "https://hooks.example.com/daiko",
        "event_types": ["case.status_changed"],
    },
    "PATCH /api/v1/webhooks/subscriptions/{subscription_id}": {"description": "matrix"},
}


async def seed(engine: AsyncEngine, world: World) -> dict[str, str]:
    now = datetime.now(UTC)
    ids: dict[str, str] = {}
    async with engine.begin() as conn:
        for tenant in (world.tenant_a, world.tenant_b):
            sub_id, event_id, delivery_id = new_id(), new_id(), new_id()
            await conn.execute(
                insert(WebhookSubscription).values(
                    tenant_id=tenant.id,
                    id=sub_id,
                    url="https://hooks.example.com/daiko",
                    event_types=["case.status_changed"],
                    secret="v1:1:c2VlZA",  # never opened by the seeded routes
                    active=True,
                    version=1,
                )
            )
            await conn.execute(
                insert(WebhookEvent).values(
                    tenant_id=tenant.id,
                    id=event_id,
                    type="case.status_changed",
                    data={"case_id": "seed"},
                )
            )
            await conn.execute(
                insert(WebhookDelivery).values(
                    tenant_id=tenant.id,
                    id=delivery_id,
                    subscription_id=sub_id,
                    event_id=event_id,
                    status="failed",
                    attempts=1,
                    last_status_code=500,
                )
            )
            await conn.execute(
                insert(WebhookAttempt).values(
                    tenant_id=tenant.id,
                    id=new_id(),
                    delivery_id=delivery_id,
                    attempt_no=1,
                    status_code=500,
                    error="the receiver answered 500",
                )
            )
            await conn.execute(
                insert(IdempotencyKey).values(
                    tenant_id=tenant.id,
                    id=new_id(),
                    principal="partner:dkp_seed",
                    key="seed",
                    method="POST",
                    path="/api/v1/cases",
                    fingerprint="0" * 64,
                    state="completed",
                    locked_until=now,
                    response_status=201,
                    response_headers=[],
                    response_body=b"{}",
                    expires_at=now + timedelta(hours=24),
                )
            )
            await conn.execute(
                insert(RateLimitBucket).values(
                    tenant_id=tenant.id, bucket="partner:dkp_seed", tat=now
                )
            )
            if tenant is world.tenant_a:
                ids = {"subscription_id": str(sub_id), "delivery_id": str(delivery_id)}
    return ids
