"""`webhook_deliver`: one delivery of one event to one subscription, per job.

Each attempt is recorded in its own transaction (the job's transaction rolls back when
the attempt fails, and the log must keep it). A failed attempt raises, so the jobs
machinery retries with the kind's exponential backoff (5 s, 10 s, 20 s … capped at an
hour, 8 tries); after the last one the delivery is `failed` and the portal can replay it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from daiko.db.engine import SET_SCOPE
from daiko.ids import new_id
from daiko.jobs.handlers import Handler
from daiko.jobs.kinds import JobKind
from daiko.jobs.models import Job
from daiko.partners import webhooks
from daiko.partners.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from daiko.partners.secrets import live_secrets
from daiko.tenancy.scope import scope_of_tenant


class WebhookDeliverPayload(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    delivery_id: uuid.UUID
    replay: bool = False


class DeliveryFailed(Exception):
    """The receiver did not accept the message (retried with backoff)."""


def message_id(delivery_id: uuid.UUID) -> str:
    return f"msg_{delivery_id.hex}"


async def _record(
    engine: AsyncEngine,
    tenant_id: uuid.UUID,
    delivery_id: uuid.UUID,
    result: webhooks.AttemptResult,
    *,
    replay: bool,
    final: bool,
) -> None:
    """The attempt and the delivery's new state, committed on their own."""
    async with AsyncSession(engine, expire_on_commit=False) as side, side.begin():
        await side.execute(SET_SCOPE, {"ids": scope_of_tenant(tenant_id).setting()})
        attempts = (
            await side.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.tenant_id == tenant_id, WebhookDelivery.id == delivery_id)
                .values(
                    attempts=WebhookDelivery.attempts + 1,
                    last_status_code=result.status_code,
                    last_error=result.error,
                    status="succeeded" if result.ok else ("failed" if final else "pending"),
                    delivered_at=datetime.now(UTC) if result.ok else WebhookDelivery.delivered_at,
                )
                .returning(WebhookDelivery.attempts)
            )
        ).scalar_one()
        side.add(
            WebhookAttempt(
                tenant_id=tenant_id,
                id=new_id(),
                delivery_id=delivery_id,
                attempt_no=attempts,
                replay=replay,
                duration_ms=result.duration_ms,
                status_code=result.status_code,
                error=result.error,
                response_excerpt=result.excerpt,
                succeeded=result.ok,
            )
        )


async def run_webhook_deliver(session: AsyncSession, job: Job) -> dict[str, Any] | None:
    payload = msgspec.convert(job.payload, WebhookDeliverPayload)
    found = (
        await session.execute(
            select(WebhookDelivery, WebhookSubscription, WebhookEvent)
            .join(
                WebhookSubscription,
                (WebhookSubscription.tenant_id == WebhookDelivery.tenant_id)
                & (WebhookSubscription.id == WebhookDelivery.subscription_id),
            )
            .join(
                WebhookEvent,
                (WebhookEvent.tenant_id == WebhookDelivery.tenant_id)
                & (WebhookEvent.id == WebhookDelivery.event_id),
            )
            .where(
                WebhookDelivery.tenant_id == job.tenant_id,
                WebhookDelivery.id == payload.delivery_id,
            )
        )
    ).first()
    if found is None:
        return {"outcome": "gone"}
    delivery, sub, event = found
    if delivery.status == "succeeded" and not payload.replay:
        return {"outcome": "already delivered"}
    settings = webhooks.delivery_settings()
    engine = session.bind
    assert isinstance(engine, AsyncEngine)
    final = job.attempts >= job.max_attempts
    if not sub.active:
        result = webhooks.AttemptResult(False, None, 0, "the subscription is disabled", None)
        await _record(engine, job.tenant_id, delivery.id, result, replay=payload.replay, final=True)
        return {"outcome": "subscription disabled"}
    body = webhooks.payload_body(
        event.type, event.created_at.astimezone(UTC).isoformat(), event.data
    )
    result = await webhooks.send(
        sub.url,
        body,
        msg_id=message_id(delivery.id),
        secrets_=await live_secrets(session, sub),
        allow_loopback=settings.webhooks_allow_loopback,
        timeout=settings.webhook_timeout_seconds,
    )
    await _record(engine, job.tenant_id, delivery.id, result, replay=payload.replay, final=final)
    if not result.ok:
        raise DeliveryFailed(result.error or "delivery failed")
    return {"outcome": "delivered", "status_code": result.status_code}


HANDLERS: dict[JobKind, Handler] = {
    JobKind.WEBHOOK_DELIVER: Handler(payload_type=WebhookDeliverPayload, run=run_webhook_deliver),
}
