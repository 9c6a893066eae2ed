"""The one list of periodic jobs: every domain's entry is there, names are unique and
every cron expression parses (a lost entry once went unnoticed in a concurrent edit)."""

from __future__ import annotations

from croniter import croniter

from daiko.schedule import PERIODIC


def test_every_periodic_job_is_declared_once_with_a_valid_cron() -> None:
    names = [p.name for p in PERIODIC]
    assert len(names) == len(set(names))
    assert set(names) >= {
        "jobs.recover_stale",
        "scheduler.prune_ticks",
        "jobs.prune_finished",
        "audit.export_heads",
        "auth.sweep",
        "cases.open_recurring",
        "sla.scan",
        "partners.expire_idempotency_keys",
        "partners.publish_sla_events",
        "partners.prune_webhook_events",
    }
    for p in PERIODIC:
        assert croniter.is_valid(p.cron), p.name
        assert (p.run is None) != (p.per_tenant is None), p.name
