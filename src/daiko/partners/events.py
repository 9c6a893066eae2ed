"""Webhook events: `publish` writes the event in the caller's transaction and fans it
out at once, in the same transaction, into one delivery row and one `webhook_deliver`
job per matching active subscription of that tenant. The jobs outbox relays the jobs
after commit, so an event exists (and is delivered) exactly when the change that caused
it commits; a rolled-back change publishes nothing.

An event no subscription wants is not stored at all. `dedupe_key` makes a publication
idempotent (the SLA relay and the job-finished hook may run twice for the same fact).
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.ids import new_id
from daiko.partners.models import WebhookDelivery, WebhookEvent, WebhookSubscription

# Every event type a subscription may name (documented in the OpenAPI description).
EVENT_TYPES: Final[dict[str, str]] = {
    "case.status_changed": "A case moved to another status.",
    "case.sla_warning": "A case's SLA clock crossed a warning threshold (75 % or 90 %).",
    "case.sla_breached": "A case's SLA clock passed its due time.",
    "document.verified": "An uploaded document version passed its checks.",
    "payroll_run.approved": "A payroll run was approved.",
    "job.finished": "A background job succeeded or failed for good.",
    "webhook.test": "A test event sent on request from the portal or the API.",
}


class UnknownEventType(ValueError):
    pass


async def publish(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    type: str,
    data: dict[str, Any],
    dedupe_key: str | None = None,
    only_subscription: uuid.UUID | None = None,
) -> uuid.UUID | None:
    """Record `type` for `tenant_id` and queue its deliveries (caller's transaction,
    tenant-scoped session). Returns the event id, or None when nobody subscribes or
    the dedupe key was already published."""
    if type not in EVENT_TYPES:
        raise UnknownEventType(type)
    query = select(WebhookSubscription).where(
        WebhookSubscription.tenant_id == tenant_id,
        WebhookSubscription.active.is_(True),
        WebhookSubscription.event_types.contains([type]),
    )
    if only_subscription is not None:
        query = query.where(WebhookSubscription.id == only_subscription)
    subs = (await session.execute(query)).scalars().all()
    if not subs:
        return None
    event_id = new_id()
    stmt = pg_insert(WebhookEvent).values(
        tenant_id=tenant_id, id=event_id, type=type, data=data, dedupe_key=dedupe_key
    )
    if dedupe_key is not None:
        stmt = stmt.on_conflict_do_nothing(
            index_elements=["tenant_id", "dedupe_key"],
            index_where=WebhookEvent.dedupe_key.is_not(None),
        )
    inserted = await session.execute(stmt.returning(WebhookEvent.id))
    if inserted.scalar_one_or_none() is None:
        return None
    from daiko.jobs.kinds import JobKind
    from daiko.jobs.service import enqueue

    for sub in subs:
        delivery = WebhookDelivery(
            tenant_id=tenant_id,
            id=new_id(),
            subscription_id=sub.id,
            event_id=event_id,
            status="pending",
            attempts=0,
        )
        session.add(delivery)
        await session.flush()
        job = await enqueue(
            session, tenant_id, JobKind.WEBHOOK_DELIVER, {"delivery_id": str(delivery.id)}
        )
        delivery.job_id = job.id
    await session.flush()
    return event_id


# --- publishers for the domains' facts ------------------------------------------------------


async def case_status_changed(session: AsyncSession, case: Any, source: str, change: Any) -> None:
    """From `daiko.cases.service.transition`, in its transaction."""
    await publish(
        session,
        tenant_id=case.tenant_id,
        type="case.status_changed",
        data={
            "tenant_id": str(case.tenant_id),
            "case_id": str(case.id),
            "case_type": case.type,
            "title": case.title,
            "from": source,
            "to": change.to_status,
            "reason": change.reason,
            "version": case.version,
            "changed_at": change.at.isoformat() if change.at else None,
        },
        dedupe_key=f"case.status_changed:{change.id}",
    )
