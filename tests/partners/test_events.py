"""`publish` → one delivery and one job per matching subscription, in the caller's
transaction; the job signs and delivers; the receiver verifies independently."""

from __future__ import annotations

from sqlalchemy import func, select

from daiko.partners import service
from daiko.partners.events import publish
from daiko.partners.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from daiko.runtime import Runtime
from daiko.tenancy.principals import partner_principal
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import World
from tests.partners.conftest import Receiver, independent_verify, run_deliveries


async def _subscribe(
    runtime: Runtime, world: World, url: str, types: list[str]
) -> service.NewSubscription:
    principal = partner_principal("dkp_test", [world.tenant_a.id], frozenset({"webhooks:manage"}))
    async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as session:
        return await service.create_subscription(
            session,
            principal,
            runtime.settings,
            tenant_id=world.tenant_a.id,
            url=url,
            event_types=types,
            description=None,
        )


async def test_publish_fans_out_and_delivers_signed(
    loopback_runtime: Runtime, world: World, receiver: Receiver
) -> None:
    runtime = loopback_runtime
    wanted = await _subscribe(runtime, world, receiver.url, ["case.status_changed"])
    await _subscribe(runtime, world, receiver.url + "?other", ["document.verified"])
    async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as session:
        event_id = await publish(
            session,
            tenant_id=world.tenant_a.id,
            type="case.status_changed",
            data={"case_id": "c1", "from": "submitted", "to": "accepted"},
        )
    assert event_id is not None
    assert await run_deliveries(runtime, world.tenant_a.id) == ["succeeded"]
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got.headers["webhook-id"].startswith("msg_")
    assert independent_verify(wanted.secret, got.headers, got.body)
    assert got.json["type"] == "case.status_changed"
    assert got.json["data"] == {"case_id": "c1", "from": "submitted", "to": "accepted"}
    async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as session:
        delivery = (await session.execute(select(WebhookDelivery))).scalar_one()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
            "succeeded",
            1,
            204,
        )
        attempts = (await session.execute(select(WebhookAttempt))).scalars().all()
        assert [(a.attempt_no, a.status_code, a.succeeded) for a in attempts] == [(1, 204, True)]


async def test_nothing_is_stored_without_a_subscriber_and_rollback_publishes_nothing(
    loopback_runtime: Runtime, world: World, receiver: Receiver
) -> None:
    runtime = loopback_runtime
    async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as session:
        assert (
            await publish(session, tenant_id=world.tenant_a.id, type="job.finished", data={})
            is None
        )
    await _subscribe(runtime, world, receiver.url, ["job.finished"])
    try:
        async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as session:
            await publish(session, tenant_id=world.tenant_a.id, type="job.finished", data={})
            raise RuntimeError("the caller's change fails")
    except RuntimeError:
        pass
    async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as session:
        assert (await session.execute(select(func.count(WebhookEvent.id)))).scalar_one() == 0
    assert await run_deliveries(runtime, world.tenant_a.id) == []


async def test_dedupe_key_publishes_once(
    loopback_runtime: Runtime, world: World, receiver: Receiver
) -> None:
    runtime = loopback_runtime
    await _subscribe(runtime, world, receiver.url, ["job.finished"])
    ids = []
    for _ in range(2):
        async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as session:
            ids.append(
                await publish(
                    session,
                    tenant_id=world.tenant_a.id,
                    type="job.finished",
                    data={"job_id": "j"},
                    dedupe_key="job.finished:j",
                )
            )
    assert ids[0] is not None and ids[1] is None
    assert await run_deliveries(runtime, world.tenant_a.id) == ["succeeded"]
    assert len(receiver.received) == 1
