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
    "social_insurance.procedure_status_changed": (
        "A social-insurance procedure moved on (submitted, arrived, completed, returned)."
    ),
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


async def document_verified(session: AsyncSession, version: Any) -> None:
    """From `daiko.documents.tasks.verify_version`, in the verification's transaction."""
    await publish(
        session,
        tenant_id=version.tenant_id,
        type="document.verified",
        data={
            "tenant_id": str(version.tenant_id),
            "document_id": str(version.document_id),
            "version": version.n,
            "filename": version.filename,
            "size": version.declared_size,
            "sha256": version.declared_sha256,
            "content_type": version.sniffed_type or version.declared_content_type,
        },
        dedupe_key=f"document.verified:{version.document_id}:{version.n}",
    )


async def job_finished(db: Any, tenant_id: uuid.UUID, job_id: uuid.UUID) -> None:
    """From `daiko.jobs.runner` after a message that may have finished its job: when the
    job has succeeded or failed for good, `job.finished` once (webhook deliveries
    themselves never announce their own end)."""
    from daiko.jobs.kinds import JobKind
    from daiko.jobs.models import Job
    from daiko.tenancy.scope import scope_of_tenant

    async with db.session(scope_of_tenant(tenant_id)) as session:
        job = (
            await session.execute(select(Job).where(Job.tenant_id == tenant_id, Job.id == job_id))
        ).scalar_one_or_none()
        if job is None or job.kind == JobKind.WEBHOOK_DELIVER.value:
            return
        if job.status not in ("succeeded", "failed"):
            return
        await publish(
            session,
            tenant_id=tenant_id,
            type="job.finished",
            data={
                "tenant_id": str(tenant_id),
                "job_id": str(job.id),
                "kind": job.kind,
                "status": job.status,
                "result": job.result,
                "error": job.last_error,
                "finished_at": job.finished_at.isoformat() if job.finished_at else None,
            },
            dedupe_key=f"job.finished:{job.id}:{job.attempts}:{job.status}",
        )


SLA_EVENT_TYPES = {"breached": "case.sla_breached"}


async def publish_sla_events(db: Any, *, batch: int = 500) -> int:
    """Turn the SLA scanner's `sla_events` rows with `published = false` into
    `case.sla_warning` / `case.sla_breached`, each once: the tenants with pending rows
    are found set-wise as the system role, then each tenant's rows are published and
    flagged in one transaction in that tenant's scope."""
    from sqlalchemy import text, update

    from daiko.sla.models import SlaEvent
    from daiko.tenancy.scope import scope_of_tenant

    async with db.system_engine.connect() as conn:
        tenants = (
            (
                await conn.execute(
                    text("select distinct tenant_id from sla_events where not published")
                )
            )
            .scalars()
            .all()
        )
    published = 0
    for tenant_id in tenants:
        async with db.session(scope_of_tenant(tenant_id)) as session:
            rows = (
                (
                    await session.execute(
                        select(SlaEvent)
                        .where(SlaEvent.tenant_id == tenant_id, SlaEvent.published.is_(False))
                        .order_by(SlaEvent.recorded_at, SlaEvent.id)
                        .limit(batch)
                        .with_for_update(skip_locked=True)
                    )
                )
                .scalars()
                .all()
            )
            for row in rows:
                await publish(
                    session,
                    tenant_id=tenant_id,
                    type=SLA_EVENT_TYPES.get(row.kind, "case.sla_warning"),
                    data={
                        "tenant_id": str(tenant_id),
                        "case_id": str(row.case_id),
                        "clock": row.clock,
                        "clock_kind": row.clock_kind,
                        "threshold": row.kind,
                        "occurred_at": row.occurred_at.isoformat(),
                        "due_at": row.due_at.isoformat() if row.due_at else None,
                    },
                    dedupe_key=f"sla:{row.id}",
                )
            if rows:
                await session.execute(
                    update(SlaEvent)
                    .where(
                        SlaEvent.tenant_id == tenant_id,
                        SlaEvent.id.in_([r.id for r in rows]),
                    )
                    .values(published=True)
                )
                published += len(rows)
    return published


async def prune_events(db: Any, *, older_than: Any) -> int:
    """Delete events (their deliveries and attempts cascade) older than `older_than`,
    set-wise as the system role."""
    from sqlalchemy import text

    async with db.system_engine.begin() as conn:
        result = await conn.execute(
            text("delete from webhook_events where created_at < now() - :age"),
            {"age": older_than},
        )
    return int(result.rowcount)
