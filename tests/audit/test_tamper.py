"""Tampering as the owner (trigger off) is caught by `verify_chain` and the CLI, with
the exact seq and reason."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys

from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.audit.chain import ActorRef, ChainedFields, event_hash
from daiko.audit.service import BreakReason, VerifyResult, verify_chain, verify_tenants
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.audit.helpers import append, tamper
from tests.factories import World


async def _verify(runtime: Runtime, world: World) -> VerifyResult:
    async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as s:
        return await verify_chain(s, world.tenant_a.id)


def _broken(r: VerifyResult) -> tuple[bool, int | None, BreakReason | None, int]:
    return r.ok, r.broken_seq, r.reason, r.events_checked


async def test_a_changed_detail_is_a_hash_mismatch_at_that_event(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    await append(runtime, world.tenant_a.id, 5)
    await tamper(
        owner_engine,
        "update audit_events set details = jsonb_set(details, '{n}', '99')"
        " where tenant_id = :t and seq = 3",
        {"t": world.tenant_a.id},
    )
    result = await _verify(runtime, world)
    assert _broken(result) == (False, 3, BreakReason.HASH_MISMATCH, 2)
    assert result.detail == "stored hash does not match the event's content"


async def test_a_deleted_event_is_a_sequence_gap_at_the_missing_seq(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    await append(runtime, world.tenant_a.id, 5)
    await tamper(
        owner_engine,
        "delete from audit_events where tenant_id = :t and seq = 3",
        {"t": world.tenant_a.id},
    )
    result = await _verify(runtime, world)
    assert _broken(result) == (False, 3, BreakReason.SEQUENCE_GAP, 2)
    assert result.detail == "expected seq 3, found seq 4"


async def test_deleting_the_first_event_is_a_gap_at_seq_1(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    await append(runtime, world.tenant_a.id, 2)
    await tamper(
        owner_engine,
        "delete from audit_events where tenant_id = :t and seq = 1",
        {"t": world.tenant_a.id},
    )
    assert _broken(await _verify(runtime, world)) == (False, 1, BreakReason.SEQUENCE_GAP, 0)


async def test_reordered_events_are_a_hash_mismatch_at_the_first_moved(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    await append(runtime, world.tenant_a.id, 4)
    await tamper(
        owner_engine,
        "update audit_events set seq = 1000 where tenant_id = :t and seq = 2;"
        "update audit_events set seq = 2 where tenant_id = :t and seq = 3;"
        "update audit_events set seq = 3 where tenant_id = :t and seq = 1000",
        {"t": world.tenant_a.id},
    )
    assert _broken(await _verify(runtime, world)) == (False, 2, BreakReason.HASH_MISMATCH, 1)


async def test_a_rewritten_event_with_a_recomputed_hash_breaks_the_next_link(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    events = await append(runtime, world.tenant_a.id, 4)
    third = events[2]
    forged = ChainedFields(
        tenant_id=third.tenant_id,
        seq=3,
        occurred_at=third.occurred_at,
        actor=ActorRef(third.actor_kind, third.actor_id, third.actor_display),
        action=third.action,
        resource_type=third.resource_type,
        resource_id=third.resource_id,
        details={"n": 300},
        request_id=third.request_id,
        prev_hash=third.prev_hash,
    )
    await tamper(
        owner_engine,
        "update audit_events set details = cast(:d as jsonb), hash = :h"
        " where tenant_id = :t and seq = 3",
        {"t": world.tenant_a.id, "d": json.dumps({"n": 300}), "h": event_hash(forged)},
    )
    result = await _verify(runtime, world)
    assert _broken(result) == (False, 4, BreakReason.PREV_HASH_MISMATCH, 3)
    assert result.detail == "prev_hash does not match the previous event"


async def test_a_forged_hash_alone_is_a_hash_mismatch(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    await append(runtime, world.tenant_a.id, 2)
    await tamper(
        owner_engine,
        "update audit_events set hash = :h where tenant_id = :t and seq = 2",
        {"t": world.tenant_a.id, "h": hashlib.sha256(b"forged").hexdigest()},
    )
    assert _broken(await _verify(runtime, world)) == (False, 2, BreakReason.HASH_MISMATCH, 1)


async def test_verify_tenants_reports_each_tenant_separately(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    await append(runtime, world.tenant_a.id, 3)
    await append(runtime, world.tenant_b.id, 2)
    await tamper(
        owner_engine,
        "delete from audit_events where tenant_id = :t and seq = 2",
        {"t": world.tenant_a.id},
    )
    results = {r.slug: r for r in await verify_tenants(runtime.db)}
    assert set(results) == {"tenant-a", "tenant-b"}
    a, b = results["tenant-a"].result, results["tenant-b"].result
    assert a is not None and b is not None
    assert _broken(a) == (False, 2, BreakReason.SEQUENCE_GAP, 1)
    assert (b.ok, b.events_checked) == (True, 2)
    [only_b] = await verify_tenants(runtime.db, "tenant-b")
    assert (only_b.slug, only_b.ok) == ("tenant-b", True)


async def _daiko(runtime: Runtime, *args: str) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "DAIKO_ENV": "test",
        "DAIKO_DATABASE_URL": str(runtime.settings.database_url),
        "DAIKO_LOG_LEVEL": "WARNING",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "daiko.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_cli_verify_exits_nonzero_naming_tenant_and_seq(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    await append(runtime, world.tenant_a.id, 3)
    await append(runtime, world.tenant_b.id, 1)
    code, out, err = await _daiko(runtime, "audit", "verify")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "tenant-a: ok, 3 events, head seq 3",
        "tenant-b: ok, 1 events, head seq 1",
        "2 tenants checked, 0 broken",
    ]
    await tamper(
        owner_engine,
        "update audit_events set action = 'case.deleted' where tenant_id = :t and seq = 2",
        {"t": world.tenant_a.id},
    )
    code, out, _ = await _daiko(runtime, "audit", "verify")
    assert code == 1
    assert out.splitlines() == [
        "tenant-a: TAMPERED at seq 2 (hash_mismatch): stored hash does not match the event's"
        " content; 1 events intact before it",
        "tenant-b: ok, 1 events, head seq 1",
        "2 tenants checked, 1 broken",
    ]
    code, out, _ = await _daiko(runtime, "audit", "verify", "--tenant", "tenant-b")
    assert (code, out.splitlines()[-1]) == (0, "1 tenants checked, 0 broken")
    code, _, err = await _daiko(runtime, "audit", "verify", "--tenant", "nope")
    assert (code, err.strip()) == (2, "error: --tenant: no tenant with slug 'nope'")
