"""Webhook subscriptions over the API, signed deliveries verified by an independent
receiver (the `standardwebhooks` package), retries with backoff, rotation, replay, and
the SSRF guard at subscription and at delivery time."""

from __future__ import annotations

import ipaddress
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from daiko.partners import webhooks
from daiko.partners.webhooks import address_refusal
from daiko.runtime import Runtime
from tests.factories import World
from tests.partners.conftest import (
    Partner,
    Receiver,
    independent_verify,
    run_deliveries,
    user_headers,
)

SUBS = "/api/v1/webhooks/subscriptions"


def _k() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def _subscribe(
    c: httpx.AsyncClient, p: Partner, url: str, types: list[str] | None = None
) -> dict[str, object]:
    r = await c.post(
        SUBS,
        json={"url": url, "event_types": types or ["case.status_changed"]},
        headers={**p.headers, **_k()},
    )
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


async def _change_case_status(c: httpx.AsyncClient, owner_engine: AsyncEngine, world: World) -> str:
    """A real status change through the cases API: the operator accepts a case."""
    from tests.cases.seed import seed_case

    case_id = await seed_case(owner_engine, world.tenant_a.id, status="submitted")
    r = await c.post(
        f"/api/v1/cases/{case_id}/transitions",
        json={"to": "accepted"},
        headers={**await user_headers(owner_engine, world.operator), **_k()},
    )
    assert r.status_code == 200, r.text
    return str(case_id)


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("fc00::1", "a private address"),
        ("224.0.0.1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),  # noqa: S104
        ("100.64.0.1", "a shared (carrier-grade NAT) address"),
        ("240.0.0.1", "a private address"),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_address_refusal(address: str, refused: str | None) -> None:
    ip = ipaddress.ip_address(address)
    assert address_refusal(ip, allow_loopback=False) == refused


def test_loopback_only_with_the_setting() -> None:
    assert address_refusal(ipaddress.ip_address("127.0.0.1"), allow_loopback=True) is None
    assert address_refusal(ipaddress.ip_address("10.0.0.1"), allow_loopback=True) is not None


def test_signature_matches_the_spec_example() -> None:
    # The example in the Standard Webhooks specification.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    sig = webhooks.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8080/x",
        "http://localhost:9/x",
        "ftp://example.com/x",
        "https://user:pw@example.com/x",
    ],
)
async def test_unsafe_targets_are_refused_at_subscription(
    client: httpx.AsyncClient,
    runtime: Runtime,
    owner_engine: AsyncEngine,
    world: World,
    url: str,
) -> None:
    from tests.partners.conftest import make_partner

    p = await make_partner(client, runtime, owner_engine, [world.tenant_a])
    r = await client.post(
        SUBS, json={"url": url, "event_types": ["job.finished"]}, headers={**p.headers, **_k()}
    )
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    if r.status_code == 422:
        assert r.json()["errors"][0]["field"] == "url"


async def test_subscription_crud_and_tenant_isolation(
    pclient: httpx.AsyncClient,
    partner_ab: Partner,
    partner_b: Partner,
    owner_engine: AsyncEngine,
    world: World,
    receiver: Receiver,
) -> None:
    made = await _subscribe(pclient, partner_ab, receiver.url)
    assert str(made["secret"]).startswith("whsec_")
    sid = made["id"]
    got = await pclient.get(f"{SUBS}/{sid}", headers=partner_ab.headers)
    assert got.status_code == 200 and "secret" not in got.json()
    listed = await pclient.get(SUBS, headers=partner_ab.headers)
    assert [s["id"] for s in listed.json()["items"]] == [sid]
    # Another tenant's partner: not found, not listed, not changeable.
    assert (await pclient.get(f"{SUBS}/{sid}", headers=partner_b.headers)).status_code == 404
    assert (await pclient.get(SUBS, headers=partner_b.headers)).json()["items"] == []
    r = await pclient.patch(
        f"{SUBS}/{sid}", json={"active": False}, headers={**partner_b.headers, **_k()}
    )
    assert r.status_code == 404
    # The tenant's client_admin sees and can switch off its partner's subscription.
    admin = await user_headers(owner_engine, world.tenant_a.users["client_admin"])
    assert (await pclient.get(f"{SUBS}/{sid}", headers=admin)).status_code == 200
    off = await pclient.patch(
        f"{SUBS}/{sid}", json={"active": False, "version": 1}, headers={**admin, **_k()}
    )
    assert off.status_code == 200 and off.json()["active"] is False and off.json()["version"] == 2
    stale = await pclient.patch(
        f"{SUBS}/{sid}", json={"active": True, "version": 1}, headers={**partner_ab.headers, **_k()}
    )
    assert stale.status_code == 409
    gone = await pclient.delete(f"{SUBS}/{sid}", headers=partner_ab.headers)
    assert gone.status_code == 204
    assert (await pclient.get(f"{SUBS}/{sid}", headers=partner_ab.headers)).status_code == 404


async def test_case_status_change_is_delivered_signed_and_verified(
    pclient: httpx.AsyncClient,
    partner_ab: Partner,
    loopback_runtime: Runtime,
    owner_engine: AsyncEngine,
    world: World,
    receiver: Receiver,
) -> None:
    made = await _subscribe(pclient, partner_ab, receiver.url)
    case_id = await _change_case_status(pclient, owner_engine, world)
    assert await run_deliveries(loopback_runtime, world.tenant_a.id) == ["succeeded"]
    [got] = receiver.received
    # Independent verification: the standardwebhooks package, and the spec by hand.
    payload = Webhook(str(made["secret"])).verify(got.body, got.headers)
    assert independent_verify(str(made["secret"]), got.headers, got.body)
    assert payload["type"] == "case.status_changed"
    assert payload["data"]["case_id"] == case_id
    assert payload["data"]["from"] == "submitted" and payload["data"]["to"] == "accepted"
    assert payload["data"]["tenant_id"] == str(world.tenant_a.id)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.generate_secret()).verify(got.body, got.headers)


async def test_failed_attempts_retry_with_backoff_then_succeed_and_replay(
    pclient: httpx.AsyncClient,
    partner_ab: Partner,
    loopback_runtime: Runtime,
    owner_engine: AsyncEngine,
    world: World,
    receiver: Receiver,
) -> None:
    made = await _subscribe(pclient, partner_ab, receiver.url, ["case.status_changed"])
    receiver.answers = [500]
    await _change_case_status(pclient, owner_engine, world)
    assert await run_deliveries(loopback_runtime, world.tenant_a.id) == ["queued"]
    async with owner_engine.connect() as conn:
        delay = (
            await conn.execute(
                text(
                    "select extract(epoch from available_at - now()) from outbox"
                    " where actor = 'job_webhook_deliver' order by id desc limit 1"
                )
            )
        ).scalar_one()
    assert 3 < float(delay) <= 5.5  # the kind's first backoff: 5 s
    assert await run_deliveries(loopback_runtime, world.tenant_a.id) == ["succeeded"]
    assert len(receiver.received) == 2
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]

    deliveries = await pclient.get(f"{SUBS}/{made['id']}/deliveries", headers=partner_ab.headers)
    [d] = deliveries.json()["items"]
    assert (d["status"], d["attempts"], d["last_status_code"]) == ("succeeded", 2, 204)
    assert d["message_id"] == first.headers["webhook-id"]
    detail = await pclient.get(f"/api/v1/webhooks/deliveries/{d['id']}", headers=partner_ab.headers)
    log = detail.json()["attempt_log"]
    assert [(a["attempt_no"], a["status_code"], a["succeeded"]) for a in log] == [
        (1, 500, False),
        (2, 204, True),
    ]
    assert log[0]["error"] == "the receiver answered 500"

    replay = await pclient.post(
        f"/api/v1/webhooks/deliveries/{d['id']}/replay", headers={**partner_ab.headers, **_k()}
    )
    assert replay.status_code == 202, replay.text
    assert await run_deliveries(loopback_runtime, world.tenant_a.id) == ["succeeded"]
    assert len(receiver.received) == 3
    assert receiver.received[2].headers["webhook-id"] == first.headers["webhook-id"]
    detail = await pclient.get(f"/api/v1/webhooks/deliveries/{d['id']}", headers=partner_ab.headers)
    assert [(a["attempt_no"], a["replay"]) for a in detail.json()["attempt_log"]] == [
        (1, False),
        (2, False),
        (3, True),
    ]
    # Another tenant's partner cannot see or replay it.
    assert (
        await pclient.get(f"/api/v1/webhooks/deliveries/{d['id']}", headers={})
    ).status_code == 401


async def test_rotation_signs_with_both_secrets(
    pclient: httpx.AsyncClient,
    partner_ab: Partner,
    loopback_runtime: Runtime,
    owner_engine: AsyncEngine,
    world: World,
    receiver: Receiver,
) -> None:
    made = await _subscribe(pclient, partner_ab, receiver.url, ["webhook.test"])
    old = str(made["secret"])
    rotated = await pclient.post(
        f"{SUBS}/{made['id']}/rotate-secret", headers={**partner_ab.headers, **_k()}
    )
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != old and rotated.json()["secret_rotated_at"] is not None
    sent = await pclient.post(f"{SUBS}/{made['id']}/test", headers={**partner_ab.headers, **_k()})
    assert sent.status_code == 202 and sent.json()["event_id"]
    assert await run_deliveries(loopback_runtime, world.tenant_a.id) == ["succeeded"]
    [got] = receiver.received
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(got.body, got.headers)
    Webhook(old).verify(got.body, got.headers)
    # After the grace period only the new secret signs.
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("update webhook_subscriptions set previous_secret_expires_at = :t"),
            {"t": datetime(2020, 1, 1, tzinfo=UTC)},
        )
    await pclient.post(f"{SUBS}/{made['id']}/test", headers={**partner_ab.headers, **_k()})
    assert await run_deliveries(loopback_runtime, world.tenant_a.id) == ["succeeded"]
    last = receiver.received[1]
    assert len(last.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(last.body, last.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(last.body, last.headers)


async def test_delivery_time_check_refuses_what_the_subscription_check_allowed(
    pclient: httpx.AsyncClient,
    partner_ab: Partner,
    loopback_runtime: Runtime,
    world: World,
    receiver: Receiver,
) -> None:
    """DNS rebinding in effect: the target was acceptable when subscribed, not now."""
    made = await _subscribe(pclient, partner_ab, receiver.url, ["webhook.test"])
    strict = loopback_runtime.settings.model_copy(update={"webhooks_allow_loopback": False})
    webhooks.use_settings_provider(lambda: strict)
    await pclient.post(f"{SUBS}/{made['id']}/test", headers={**partner_ab.headers, **_k()})
    assert await run_deliveries(loopback_runtime, world.tenant_a.id) == ["queued"]
    assert receiver.received == []
    deliveries = await pclient.get(f"{SUBS}/{made['id']}/deliveries", headers=partner_ab.headers)
    [d] = deliveries.json()["items"]
    assert d["last_error"].startswith("refused: resolves to a loopback address (127.0.0.1)")
    assert d["last_status_code"] is None
