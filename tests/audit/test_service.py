"""Recording and verifying the chain on real PostgreSQL, as the runtime role."""

from __future__ import annotations

import asyncio

import pytest
import structlog
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.audit.chain import GENESIS_HASH
from daiko.audit.models import AuditEvent
from daiko.audit.service import (
    SensitiveKind,
    SystemActor,
    actor_ref,
    record,
    record_read_of_sensitive,
    verify_chain,
)
from daiko.auth.principal import Principal
from daiko.runtime import Runtime
from daiko.tenancy.scope import NO_TENANTS, scope_of_tenant
from tests.audit.helpers import append
from tests.factories import World


async def _stored(runtime: Runtime, world: World) -> list[AuditEvent]:
    async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as s:
        return list((await s.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars())


async def test_events_chain_from_genesis_with_gap_free_seq(runtime: Runtime, world: World) -> None:
    made = await append(runtime, world.tenant_a.id, 3)
    stored = await _stored(runtime, world)
    assert [e.seq for e in stored] == [1, 2, 3]
    assert stored[0].prev_hash == GENESIS_HASH
    assert stored[1].prev_hash == stored[0].hash
    assert stored[2].prev_hash == stored[1].hash
    assert [e.hash for e in stored] == [e.hash for e in made]
    assert stored[2].details == {"n": 3}
    assert (stored[2].actor_kind, stored[2].actor_id) == ("system", "tests")
    async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as s:
        result = await verify_chain(s, world.tenant_a.id)
    assert (result.ok, result.events_checked, result.head_seq, result.head_hash) == (
        True,
        3,
        3,
        stored[2].hash,
    )
    assert (result.broken_seq, result.reason) == (None, None)


async def test_each_tenant_has_its_own_sequence(runtime: Runtime, world: World) -> None:
    await append(runtime, world.tenant_a.id, 2)
    await append(runtime, world.tenant_b.id, 1)
    await append(runtime, world.tenant_a.id, 1)
    async with runtime.db.session(scope_of_tenant(world.tenant_b.id)) as s:
        b = (await s.execute(select(AuditEvent.seq, AuditEvent.prev_hash))).all()
    assert [(r.seq, r.prev_hash) for r in b] == [(1, GENESIS_HASH)]
    assert [e.seq for e in await _stored(runtime, world)] == [1, 2, 3]


async def test_a_rolled_back_event_leaves_no_gap(runtime: Runtime, world: World) -> None:
    scope = scope_of_tenant(world.tenant_a.id)

    async def failing_change() -> None:
        async with runtime.db.session(scope) as s:
            await record(
                s,
                tenant_id=world.tenant_a.id,
                actor=None,
                action="case.created",
                resource_type="case",
                resource_id="c1",
            )
            raise RuntimeError("change failed")

    with pytest.raises(RuntimeError, match="change failed"):
        await failing_change()
    await append(runtime, world.tenant_a.id, 1)
    assert [e.seq for e in await _stored(runtime, world)] == [1]


async def test_twenty_concurrent_appends_get_seq_1_to_20_and_a_valid_chain(
    runtime: Runtime, world: World
) -> None:
    tenant = world.tenant_a.id
    start = asyncio.Event()

    async def one(i: int) -> int:
        async with runtime.db.session(scope_of_tenant(tenant)) as s:
            await start.wait()
            event = await record(
                s,
                tenant_id=tenant,
                actor=SystemActor("tests.concurrent"),
                action="case.created",
                resource_type="case",
                resource_id=f"c{i}",
            )
            await asyncio.sleep(0.01)  # hold the transaction open a little
            return event.seq

    tasks = [asyncio.create_task(one(i)) for i in range(20)]
    await asyncio.sleep(0.2)  # every task has opened its transaction
    start.set()
    seqs = await asyncio.gather(*tasks)
    assert sorted(seqs) == list(range(1, 21))
    async with runtime.db.session(scope_of_tenant(tenant)) as s:
        result = await verify_chain(s, tenant)
        ids = (await s.execute(select(AuditEvent.resource_id).order_by(AuditEvent.seq))).scalars()
        assert sorted(ids) == sorted(f"c{i}" for i in range(20))
    assert (result.ok, result.events_checked) == (True, 20)


async def test_verify_reads_in_batches(runtime: Runtime, world: World) -> None:
    await append(runtime, world.tenant_a.id, 7)
    async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as s:
        result = await verify_chain(s, world.tenant_a.id, batch_size=3)
    assert (result.ok, result.events_checked) == (True, 7)


async def test_request_id_comes_from_the_logging_context(runtime: Runtime, world: World) -> None:
    structlog.contextvars.bind_contextvars(request_id="req-0123456789")
    try:
        [event] = await append(runtime, world.tenant_a.id, 1)
    finally:
        structlog.contextvars.unbind_contextvars("request_id")
    assert event.request_id == "req-0123456789"
    [event2] = await append(runtime, world.tenant_a.id, 1)
    assert event2.request_id is None


async def test_outside_the_tenant_scope_nothing_is_written(runtime: Runtime, world: World) -> None:
    with pytest.raises(DBAPIError, match="row-level security"):
        async with runtime.db.session(scope_of_tenant(world.tenant_b.id)) as s:
            await record(
                s,
                tenant_id=world.tenant_a.id,
                actor=None,
                action="case.created",
                resource_type="case",
                resource_id=None,
            )
    async with runtime.db.session(NO_TENANTS) as s:
        assert (await verify_chain(s, world.tenant_a.id)).events_checked == 0


async def test_bad_action_and_secret_details_are_refused(runtime: Runtime, world: World) -> None:
    async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as s:
        with pytest.raises(ValueError, match=r"must look like 'resource\.verb'"):
            await record(
                s,
                tenant_id=world.tenant_a.id,
                actor=None,
                action="Deleted",
                resource_type="case",
                resource_id=None,
            )
        with pytest.raises(ValueError, match=r"details\.token: secrets"):
            await record(
                s,
                tenant_id=world.tenant_a.id,
                actor=None,
                action="partner.token_issued",
                resource_type="partner",
                resource_id=None,
                details={"token": "abc"},
            )


def test_actor_of_each_kind_of_principal() -> None:
    import uuid

    uid = uuid.UUID("01900000-0000-7000-8000-0000000000aa")
    client = Principal(kind="user", user_id=uid, user_kind="client", email="a@x.example")
    operator = Principal(
        kind="user", user_id=uid, user_kind="operator", display_name="佐藤", email="o@x"
    )
    partner = Principal(kind="partner", client_id="freee-hr")
    assert actor_ref(client).__dict__ == {"kind": "user", "id": str(uid), "display": "a@x.example"}
    assert actor_ref(operator).__dict__ == {"kind": "operator", "id": str(uid), "display": "佐藤"}
    assert actor_ref(partner).__dict__ == {
        "kind": "partner",
        "id": "freee-hr",
        "display": "freee-hr",
    }
    assert actor_ref(SystemActor("scheduler.sla_scan")).__dict__ == {
        "kind": "system",
        "id": "scheduler.sla_scan",
        "display": "scheduler.sla_scan",
    }
    assert actor_ref(None).__dict__ == {"kind": "system", "id": None, "display": None}


async def test_sensitive_reads_are_recorded_with_their_purpose(
    runtime: Runtime, world: World
) -> None:
    async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as s:
        event = await record_read_of_sensitive(
            s,
            tenant_id=world.tenant_a.id,
            actor=SystemActor("tests"),
            kind=SensitiveKind.MY_NUMBER,
            resource_type="employee",
            resource_id="e1",
            purpose="withholding_slip",
        )
        with pytest.raises(ValueError, match="requires a purpose"):
            await record_read_of_sensitive(
                s,
                tenant_id=world.tenant_a.id,
                actor=None,
                kind=SensitiveKind.MY_NUMBER,
                resource_type="employee",
                resource_id="e1",
            )
        payslip = await record_read_of_sensitive(
            s,
            tenant_id=world.tenant_a.id,
            actor=None,
            kind=SensitiveKind.PAYSLIP,
            resource_type="payroll_result",
            resource_id="p1",
        )
    assert (event.action, event.details) == (
        "employee.my_number_revealed",
        {"sensitive": "my_number", "purpose": "withholding_slip"},
    )
    assert (payslip.seq, payslip.action, payslip.details) == (
        2,
        "payroll_result.payslip_revealed",
        {"sensitive": "payslip"},
    )


async def test_runtime_role_cannot_update_delete_or_truncate(
    runtime: Runtime, world: World
) -> None:
    await append(runtime, world.tenant_a.id, 1)
    for sql in (
        "update audit_events set details = '{}'",
        "delete from audit_events",
        "truncate audit_events",
    ):
        async with runtime.db.app_engine.connect() as conn, conn.begin():
            await conn.execute(
                text("select set_config('daiko.tenant_ids', :t, true)"),
                {"t": str(world.tenant_a.id)},
            )
            with pytest.raises(DBAPIError, match="permission denied for table audit_events"):
                await conn.execute(text(sql))
    assert [e.details for e in await _stored(runtime, world)] == [{"n": 1}]


async def test_the_trigger_refuses_changes_even_for_the_owner(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    await append(runtime, world.tenant_a.id, 1)
    for sql, op in (
        ("update audit_events set details = '{}'", "UPDATE"),
        ("delete from audit_events", "DELETE"),
    ):
        async with owner_engine.begin() as conn:
            with pytest.raises(DBAPIError, match=rf"audit_events is append-only \({op} refused\)"):
                await conn.execute(text(sql))
    assert len(await _stored(runtime, world)) == 1
