"""Exported chain heads catch what the chain alone cannot: its newest events deleted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.audit.heads import export_head, latest_exported
from daiko.audit.service import BreakReason, verify_tenants
from daiko.runtime import Runtime
from tests.audit.helpers import append, tamper
from tests.factories import World


async def test_head_is_exported_and_truncation_is_detected(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    a = world.tenant_a.id
    events = await append(runtime, a, 3)
    exported = await export_head(runtime, a, dt.date(2026, 11, 27))
    assert exported is not None
    assert (exported.seq, exported.hash) == (3, events[-1].hash)
    assert await latest_exported(runtime.store, a) == exported
    assert await runtime.store.exists(f"tenants/{a}/audit/heads/2026-11-27.json")

    ok = {v.slug: v.result for v in await verify_tenants(runtime.db, store=runtime.store)}
    assert ok["tenant-a"] is not None and ok["tenant-a"].ok

    await tamper(
        owner_engine, "delete from audit_events where tenant_id = :t and seq = 3", {"t": a}
    )
    # The chain alone still verifies: every remaining link is intact ...
    alone = {v.slug: v.result for v in await verify_tenants(runtime.db)}
    assert alone["tenant-a"] is not None and alone["tenant-a"].ok
    # ... the exported head does not.
    result = {v.slug: v.result for v in await verify_tenants(runtime.db, store=runtime.store)}[
        "tenant-a"
    ]
    assert result is not None
    assert (result.ok, result.reason, result.broken_seq) == (False, BreakReason.HEAD_MISMATCH, 3)
    assert result.detail is not None and result.detail.startswith(
        "truncated: the head exported at "
    )
    assert result.detail.endswith("was seq 3, which the chain no longer has")


async def test_empty_trail_exports_nothing(runtime: Runtime, world: World) -> None:
    assert await export_head(runtime, world.tenant_b.id, dt.date(2026, 11, 27)) is None
    assert await latest_exported(runtime.store, world.tenant_b.id) is None
