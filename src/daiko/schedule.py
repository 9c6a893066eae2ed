"""Every periodic job of the system, in one place. Cron expressions are UTC (five
fields, or six with seconds last). Domains add theirs here."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from daiko.runtime import Runtime
from daiko.scheduler import Periodic


async def recover_stale_jobs(runtime: Runtime, tick: datetime) -> None:
    """Backstop for the relay's frequent sweep: messages lost by a broker for 10 min."""
    from daiko.jobs.system import recover_stale_work

    await recover_stale_work(runtime.db, queued_for=timedelta(minutes=10))


async def prune_scheduler_ticks(runtime: Runtime, tick: datetime) -> None:
    from daiko.jobs.system import prune_ticks

    await prune_ticks(runtime.db, older_than=timedelta(days=30))


async def prune_finished_jobs(runtime: Runtime, tenant_id: uuid.UUID, tick: datetime) -> None:
    """Finished jobs older than 90 days leave the tenant's list (failed ones stay)."""
    from daiko.jobs.service import prune_finished
    from daiko.tenancy.scope import scope_of_tenant

    async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
        await prune_finished(session, older_than=timedelta(days=90))


async def export_audit_heads(runtime: Runtime, tenant_id: uuid.UUID, tick: datetime) -> None:
    """Each tenant's audit chain head to the document store, daily (00:05 JST)."""
    from daiko.audit.heads import export_head

    await export_head(runtime, tenant_id, (tick + timedelta(hours=9)).date())


async def sla_scan(runtime: Runtime, tick: datetime) -> None:
    """Record SLA warnings and breaches once, escalate, notify (set-wise, every minute)."""
    from daiko.sla.scanner import scan

    await scan(runtime.db, runtime.settings)


async def sla_recompute_drifted(runtime: Runtime, tick: datetime) -> None:
    """Recompute open clocks of tenants whose SLA policy or calendar changed."""
    from daiko.sla.scanner import recompute_drifted

    await recompute_drifted(runtime.db)


async def sweep_sign_in_leftovers(runtime: Runtime, tick: datetime) -> None:
    """Expired sessions, revoked-token records, throttle windows, reset and OIDC rows."""
    from daiko.auth.housekeeping import sweep

    async with runtime.db.global_session() as session:
        await sweep(session, tick)


async def open_recurring_cases(runtime: Runtime, tick: datetime) -> None:
    """Each period's cases for every tenant's subscribed services, exactly once (the
    database's unique recurrence key), so a missed hour only waits for the next."""
    from daiko.cases.recurring import run_periodic

    await run_periodic(runtime, tick)


async def expire_idempotency_keys(runtime: Runtime, tick: datetime) -> None:
    """Idempotency keys past their 24 hours (set-wise, as the system role)."""
    from daiko.partners.idempotency import expire_keys

    await expire_keys(runtime)


async def publish_sla_webhooks(runtime: Runtime, tick: datetime) -> None:
    """The SLA scanner's unpublished events → case.sla_warning / case.sla_breached."""
    from daiko.partners.events import publish_sla_events

    await publish_sla_events(runtime.db)


async def prune_webhook_events(runtime: Runtime, tick: datetime) -> None:
    """Webhook events (with their deliveries and attempts) older than 30 days."""
    from daiko.partners.events import prune_events

    await prune_events(runtime.db, older_than=timedelta(days=30))


async def poll_social_insurance(runtime: Runtime, tenant_id: uuid.UUID, tick: datetime) -> None:
    """e-Gov 到達/審査状況 of the tenant's submitted social-insurance procedures."""
    from daiko.social_insurance.filing import poll_egov

    await poll_egov(runtime, tenant_id, tick)


PERIODIC: list[Periodic] = [
    Periodic("jobs.recover_stale", "* * * * *", run=recover_stale_jobs),
    Periodic("scheduler.prune_ticks", "7 3 * * *", run=prune_scheduler_ticks),
    Periodic("jobs.prune_finished", "17 3 * * *", per_tenant=prune_finished_jobs),
    Periodic("audit.export_heads", "5 15 * * *", per_tenant=export_audit_heads),
    Periodic("auth.sweep", "25 3 * * *", run=sweep_sign_in_leftovers),
    Periodic("cases.open_recurring", "5 * * * *", run=open_recurring_cases),
    Periodic("sla.scan", "* * * * *", run=sla_scan),
    Periodic("sla.recompute_drifted", "*/5 * * * *", run=sla_recompute_drifted),
    Periodic("partners.expire_idempotency_keys", "*/15 * * * *", run=expire_idempotency_keys),
    Periodic("partners.publish_sla_events", "* * * * *", run=publish_sla_webhooks),
    Periodic("partners.prune_webhook_events", "37 3 * * *", run=prune_webhook_events),
    Periodic("social_insurance.poll_egov", "*/10 * * * *", per_tenant=poll_social_insurance),
]
