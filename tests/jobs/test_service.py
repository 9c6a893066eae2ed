"""The job rules without Dramatiq: enqueue, claim, finish, retry with backoff, failure,
chunk idempotency, cancel and retry, recovery of lost work. Real PostgreSQL, real RLS."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.errors import Conflict, InvalidInput
from daiko.jobs import repository, service
from daiko.jobs.kinds import JobKind, spec_of
from daiko.jobs.models import Job
from daiko.jobs.runner import handle_message
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import World


async def _enqueue(
    runtime: Runtime, tenant: uuid.UUID, kind: JobKind, payload: dict[str, Any]
) -> Job:
    async with runtime.db.session(scope_of_tenant(tenant)) as s:
        return await service.enqueue(s, tenant, kind, payload)


async def _outbox(owner: AsyncEngine) -> list[dict[str, Any]]:
    async with owner.connect() as conn:
        rows = await conn.execute(
            text(
                "select job_id, chunk_id, actor, queue,"
                " round(extract(epoch from available_at - created_at)::numeric, 1) as delay"
                " from outbox order by id"
            )
        )
        return [dict(r._mapping) for r in rows]


async def _clear_outbox(owner: AsyncEngine) -> None:
    async with owner.begin() as conn:
        await conn.execute(text("delete from outbox"))


async def _job(owner: AsyncEngine, job_id: uuid.UUID) -> dict[str, Any]:
    async with owner.connect() as conn:
        row = (await conn.execute(text("select * from jobs where id = :i"), {"i": job_id})).one()
        return dict(row._mapping)


async def _chunks(owner: AsyncEngine, job_id: uuid.UUID) -> list[dict[str, Any]]:
    async with owner.connect() as conn:
        rows = await conn.execute(
            text("select * from job_chunks where job_id = :i order by seq"), {"i": job_id}
        )
        return [dict(r._mapping) for r in rows]


async def test_enqueue_writes_job_and_outbox_in_the_callers_transaction(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tenant = world.tenant_a.id
    job = await _enqueue(runtime, tenant, JobKind.NOOP, {})
    assert (await _job(owner_engine, job.id))["status"] == "queued"
    assert await _outbox(owner_engine) == [
        {"job_id": job.id, "chunk_id": None, "actor": "job_noop", "queue": "default", "delay": 0}
    ]

    # Rolled back: neither the job nor its message exists.
    async def failing_change() -> None:
        async with runtime.db.session(scope_of_tenant(tenant)) as s:
            await service.enqueue(s, tenant, JobKind.NOOP, {})
            raise RuntimeError("the caller's change failed")

    with pytest.raises(RuntimeError):
        await failing_change()
    async with owner_engine.connect() as conn:
        assert (await conn.execute(text("select count(*) from jobs"))).scalar() == 1
        assert (await conn.execute(text("select count(*) from outbox"))).scalar() == 1


async def test_enqueue_refuses_bad_payload_and_unknown_kind(runtime: Runtime, world: World) -> None:
    tenant = world.tenant_a.id
    async with runtime.db.session(scope_of_tenant(tenant)) as s:
        with pytest.raises(InvalidInput, match="payload"):
            await service.enqueue(s, tenant, JobKind.SAMPLE_RECORDS, {"count": -1})
        with pytest.raises(InvalidInput, match="kind"):
            await service.enqueue(s, tenant, "no_such_kind", {})


async def test_enqueue_outside_the_tenants_scope_is_refused_by_rls(
    runtime: Runtime, world: World
) -> None:
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError, match="row-level security"):
        async with runtime.db.session(scope_of_tenant(world.tenant_b.id)) as s:
            await service.enqueue(s, world.tenant_a.id, JobKind.NOOP, {})


async def test_noop_runs_once_and_a_redelivered_message_stops(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tenant = world.tenant_a.id
    job = await _enqueue(runtime, tenant, JobKind.NOOP, {})
    assert await handle_message(runtime.db, JobKind.NOOP, tenant, job.id) == "succeeded"
    assert await handle_message(runtime.db, JobKind.NOOP, tenant, job.id) == "skipped"
    row = await _job(owner_engine, job.id)
    assert (row["status"], row["attempts"], row["progress_done"], row["progress_total"]) == (
        "succeeded",
        1,
        1,
        1,
    )
    assert row["finished_at"] is not None and row["lease_until"] is None
    # A message naming the job under another tenant finds nothing (RLS) and stops.
    assert await handle_message(runtime.db, JobKind.NOOP, world.tenant_b.id, job.id) == "skipped"


async def test_failures_retry_with_exponential_backoff_then_fail_readably(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tenant = world.tenant_a.id
    job = await _enqueue(runtime, tenant, JobKind.NOOP, {"fail_attempts": 5})
    spec = spec_of(JobKind.NOOP)
    await _clear_outbox(owner_engine)
    assert await handle_message(runtime.db, JobKind.NOOP, tenant, job.id) == "queued"
    assert [r["delay"] for r in await _outbox(owner_engine)] == [spec.backoff(1)]
    row = await _job(owner_engine, job.id)
    assert (row["status"], row["attempts"]) == ("queued", 1)
    assert row["last_error"] == "attempt 1 of 3 failed: DrillFailure: failing attempt 1 as asked"
    await _clear_outbox(owner_engine)
    assert await handle_message(runtime.db, JobKind.NOOP, tenant, job.id) == "queued"
    assert [r["delay"] for r in await _outbox(owner_engine)] == [spec.backoff(2)]
    assert spec.backoff(2) == 2 * spec.backoff(1)
    await _clear_outbox(owner_engine)
    assert await handle_message(runtime.db, JobKind.NOOP, tenant, job.id) == "failed"
    assert await _outbox(owner_engine) == []
    row = await _job(owner_engine, job.id)
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert row["last_error"] == "failed after 3 attempts: DrillFailure: failing attempt 3 as asked"
    # Retried from the console: attempts start again, a message is queued.
    async with runtime.db.session(scope_of_tenant(tenant)) as s:
        loaded = await repository.get_job(s, job.id)
        assert loaded is not None
        retried = await service.retry_job(s, loaded)
        assert (retried.status, retried.attempts, retried.last_error) == ("queued", 0, None)
    assert len(await _outbox(owner_engine)) == 1


async def test_batch_plans_chunks_counts_them_and_the_last_finishes_the_job(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tenant = world.tenant_a.id
    kind = JobKind.SAMPLE_RECORDS
    job = await _enqueue(runtime, tenant, kind, {"count": 25, "chunk_size": 10})
    await _clear_outbox(owner_engine)
    assert await handle_message(runtime.db, kind, tenant, job.id) == "succeeded"
    chunks = await _chunks(owner_engine, job.id)
    assert [(c["seq"], c["item_start"], c["item_count"], c["status"]) for c in chunks] == [
        (0, 0, 10, "queued"),
        (1, 10, 10, "queued"),
        (2, 20, 5, "queued"),
    ]
    assert [r["chunk_id"] for r in await _outbox(owner_engine)] == [c["id"] for c in chunks]
    # The plan message redelivered: nothing is planned twice.
    assert await handle_message(runtime.db, kind, tenant, job.id) == "skipped"
    for c in chunks:
        assert await handle_message(runtime.db, kind, tenant, job.id, c["id"]) == "succeeded"
        # Redelivered chunk: its work is done, it stops.
        assert await handle_message(runtime.db, kind, tenant, job.id, c["id"]) == "skipped"
    row = await _job(owner_engine, job.id)
    assert (row["status"], row["chunks_done"], row["progress_done"], row["progress_total"]) == (
        "succeeded",
        3,
        25,
        25,
    )
    assert row["result"] == {"items": 25, "chunks": 3}
    async with owner_engine.connect() as conn:
        items = (
            await conn.execute(text("select item_no from sample_records order by item_no"))
        ).scalars()
        assert list(items) == list(range(25))


async def _plan_batch(
    runtime: Runtime, owner: AsyncEngine, tenant: uuid.UUID, payload: dict[str, Any]
) -> tuple[Job, list[dict[str, Any]]]:
    job = await _enqueue(runtime, tenant, JobKind.SAMPLE_RECORDS, payload)
    assert await handle_message(runtime.db, JobKind.SAMPLE_RECORDS, tenant, job.id) == "succeeded"
    await _clear_outbox(owner)
    return job, await _chunks(owner, job.id)


async def test_a_failed_chunk_retries_alone_then_fails_the_job_and_is_retried_alone(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tenant, kind = world.tenant_a.id, JobKind.SAMPLE_RECORDS
    job, chunks = await _plan_batch(
        runtime,
        owner_engine,
        tenant,
        {"count": 30, "chunk_size": 10, "fail_item": 15, "fail_attempts": 3},
    )
    ok_first, bad, ok_last = (c["id"] for c in chunks)
    assert await handle_message(runtime.db, kind, tenant, job.id, ok_first) == "succeeded"
    assert await handle_message(runtime.db, kind, tenant, job.id, bad) == "queued"
    assert await handle_message(runtime.db, kind, tenant, job.id, bad) == "queued"
    # Only the failed chunk was requeued, with growing backoff.
    assert [(r["chunk_id"], r["delay"]) for r in await _outbox(owner_engine)] == [
        (bad, 0.5),
        (bad, 1.0),
    ]
    assert await handle_message(runtime.db, kind, tenant, job.id, bad) == "failed"
    # The job failed fast: its remaining chunk does not start.
    assert await handle_message(runtime.db, kind, tenant, job.id, ok_last) == "skipped"
    row = await _job(owner_engine, job.id)
    assert (row["status"], row["chunks_done"], row["progress_done"]) == ("failed", 1, 10)
    assert row["last_error"] == (
        "chunk 2 of 3 (items 10–19) failed after 3 attempts:"
        " DrillFailure: item 15 failed on attempt 3 as asked"
    )
    # Fix the cause, retry from the console: only the unfinished chunks run again.
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("update jobs set payload = payload - 'fail_item' where id = :j"), {"j": job.id}
        )
    await _clear_outbox(owner_engine)
    async with runtime.db.session(scope_of_tenant(tenant)) as s:
        loaded = await repository.get_job(s, job.id)
        assert loaded is not None
        assert (await service.retry_job(s, loaded)).status == "running"
    assert [r["chunk_id"] for r in await _outbox(owner_engine)] == [bad, ok_last]
    assert await handle_message(runtime.db, kind, tenant, job.id, ok_first) == "skipped"
    assert await handle_message(runtime.db, kind, tenant, job.id, bad) == "succeeded"
    assert await handle_message(runtime.db, kind, tenant, job.id, ok_last) == "succeeded"
    row = await _job(owner_engine, job.id)
    assert (row["status"], row["chunks_done"], row["progress_done"]) == ("succeeded", 3, 30)
    assert row["last_error"] is None
    async with owner_engine.connect() as conn:
        assert (await conn.execute(text("select count(*) from sample_records"))).scalar() == 30


async def test_a_superseded_worker_cannot_commit_and_no_item_is_applied_twice(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    """Worker 1 claims a chunk and stalls past its lease; worker 2 takes over and
    finishes; worker 1's late finish is fenced off by the attempt number."""
    tenant, kind = world.tenant_a.id, JobKind.SAMPLE_RECORDS
    job, chunks = await _plan_batch(runtime, owner_engine, tenant, {"count": 10, "chunk_size": 10})
    scope = scope_of_tenant(tenant)
    async with runtime.db.session(scope) as s:
        stalled = await service.claim(s, kind, job.id, chunks[0]["id"])
    assert stalled is not None and stalled.attempt == 1
    # A live lease: a duplicate message claims nothing.
    async with runtime.db.session(scope) as s:
        assert await service.claim(s, kind, job.id, chunks[0]["id"]) is None
    async with owner_engine.begin() as conn:
        await conn.execute(text("update job_chunks set lease_until = now() - interval '1 s'"))
    assert await handle_message(runtime.db, kind, tenant, job.id, chunks[0]["id"]) == "succeeded"
    with pytest.raises(service.Superseded):
        async with runtime.db.session(scope) as s:
            await service.finish(s, stalled)
    async with owner_engine.connect() as conn:
        assert (await conn.execute(text("select count(*) from sample_records"))).scalar() == 10
    row = await _job(owner_engine, job.id)
    assert (row["status"], row["chunks_done"]) == ("succeeded", 1)


async def test_recovery_requeues_expired_leases_and_fails_exhausted_work(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    from datetime import timedelta

    from daiko.jobs.system import recover_stale_work

    tenant = world.tenant_a.id
    job = await _enqueue(runtime, tenant, JobKind.NOOP, {})
    async with runtime.db.session(scope_of_tenant(tenant)) as s:
        assert await service.claim(s, JobKind.NOOP, job.id, None) is not None
    await _clear_outbox(owner_engine)
    # Lease still live: nothing to recover.
    assert await recover_stale_work(runtime.db, queued_for=timedelta(minutes=10)) == {}
    async with owner_engine.begin() as conn:
        await conn.execute(update(Job).values(lease_until=text("now() - interval '1 s'")))
    assert await recover_stale_work(runtime.db, queued_for=timedelta(minutes=10)) == {"queued": 1}
    assert [r["job_id"] for r in await _outbox(owner_engine)] == [job.id]
    # The last attempt's worker died too: the job fails with a readable reason.
    async with owner_engine.begin() as conn:
        await conn.execute(
            update(Job).values(
                status="running", attempts=3, lease_until=text("now() - interval '1 s'")
            )
        )
    assert await recover_stale_work(runtime.db, queued_for=timedelta(minutes=10)) == {"failed": 1}
    row = await _job(owner_engine, job.id)
    assert row["status"] == "failed"
    assert row["last_error"] == (
        "the worker was lost (no result within its lease) and all 3 attempts are used"
    )
    # A queued job whose message the broker lost is republished after `queued_for`.
    lost = await _enqueue(runtime, tenant, JobKind.NOOP, {})
    await _clear_outbox(owner_engine)
    assert await recover_stale_work(runtime.db, queued_for=timedelta(minutes=10)) == {}
    assert await recover_stale_work(runtime.db, queued_for=timedelta(seconds=0)) == {"queued": 1}
    assert [r["job_id"] for r in await _outbox(owner_engine)] == [lost.id]


async def test_cancelling_a_running_batch_stops_its_remaining_chunks(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tenant, kind = world.tenant_a.id, JobKind.SAMPLE_RECORDS
    job, chunks = await _plan_batch(runtime, owner_engine, tenant, {"count": 20, "chunk_size": 10})
    assert await handle_message(runtime.db, kind, tenant, job.id, chunks[0]["id"]) == "succeeded"
    async with runtime.db.session(scope_of_tenant(tenant)) as s:
        loaded = await repository.get_job(s, job.id)
        assert loaded is not None
        assert (await service.cancel_job(s, loaded)).status == "cancelled"
        with pytest.raises(Conflict, match="already cancelled"):
            await service.cancel_job(s, loaded)
    assert await handle_message(runtime.db, kind, tenant, job.id, chunks[1]["id"]) == "skipped"
    async with owner_engine.connect() as conn:
        assert (await conn.execute(text("select count(*) from sample_records"))).scalar() == 10


async def test_enqueue_records_the_kinds_limits(runtime: Runtime, world: World) -> None:
    job = await _enqueue(runtime, world.tenant_a.id, JobKind.SAMPLE_RECORDS, {"count": 3})
    assert job.max_attempts == spec_of(JobKind.SAMPLE_RECORDS).max_attempts
    assert job.payload == {"count": 3}
