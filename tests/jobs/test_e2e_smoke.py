from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.jobs.kinds import JobKind
from daiko.jobs.service import enqueue
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import World
from tests.jobs.conftest import RelayTask, WorkerProcess, wait_for_status

pytestmark = [pytest.mark.slow, pytest.mark.broker]


async def test_noop_and_batch_run_end_to_end(
    runtime: Runtime,
    world: World,
    owner_engine: AsyncEngine,
    workers: Callable[..., WorkerProcess],
    relay: Callable[..., RelayTask],
) -> None:
    w = workers()
    relay()
    tenant = world.tenant_a.id
    async with runtime.db.session(scope_of_tenant(tenant)) as s:
        noop = await enqueue(s, tenant, JobKind.NOOP, {})
        batch = await enqueue(s, tenant, JobKind.SAMPLE_RECORDS, {"count": 95, "chunk_size": 10})
    row = await wait_for_status(owner_engine, noop.id, describe=w.log)
    assert row["status"] == "succeeded", row
    row = await wait_for_status(owner_engine, batch.id, describe=w.log)
    assert (row["status"], row["chunks_total"], row["chunks_done"]) == ("succeeded", 10, 10), (
        w.log()
    )
    assert (row["progress_done"], row["progress_total"]) == (95, 95)
    async with owner_engine.connect() as conn:
        n = (
            await conn.execute(text("select count(distinct item_no) from sample_records"))
        ).scalar()
    assert n == 95
