"""Rows in every jobs tenant table (jobs, job_chunks, sample_records) for tenants A and
B, for the generated isolation tests; returns tenant A's `job_id`."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.ids import new_id
from daiko.jobs.models import Job, JobChunk, SampleRecord
from tests.factories import World


async def seed(engine: AsyncEngine, world: World) -> dict[str, str]:
    job_ids = {}
    async with engine.begin() as conn:
        for tenant in (world.tenant_a, world.tenant_b):
            job_id = new_id()
            job_ids[tenant.slug] = job_id
            await conn.execute(
                insert(Job).values(
                    tenant_id=tenant.id,
                    id=job_id,
                    kind="sample_records",
                    status="running",
                    payload={"count": 1, "chunk_size": 1},
                    max_attempts=3,
                    chunks_total=1,
                    progress_total=1,
                )
            )
            await conn.execute(
                insert(JobChunk).values(
                    tenant_id=tenant.id,
                    id=new_id(),
                    job_id=job_id,
                    seq=0,
                    item_start=0,
                    item_count=1,
                )
            )
            await conn.execute(
                insert(SampleRecord).values(
                    tenant_id=tenant.id, id=new_id(), job_id=job_id, item_no=0, label="seed"
                )
            )
    return {"job_id": str(job_ids[world.tenant_a.slug])}
