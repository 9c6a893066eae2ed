"""Portal pages: a client_admin adds a webhook (secret shown once), sees the delivery
log and replays a delivery; other roles and other tenants get nothing."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.runtime import Runtime
from tests.factories import World
from tests.partners.conftest import Receiver, run_deliveries, user_headers


async def test_admin_adds_a_webhook_and_replays_a_delivery(
    pclient: httpx.AsyncClient,
    loopback_runtime: Runtime,
    owner_engine: AsyncEngine,
    world: World,
    receiver: Receiver,
) -> None:
    admin = await user_headers(owner_engine, world.tenant_a.users["client_admin"])
    csrf = admin["X-CSRF-Token"]
    page = await pclient.get("/portal/webhooks", headers=admin)
    assert page.status_code == 200
    assert 'href="/portal/webhooks"' in page.text  # the nav entry
    made = await pclient.post(
        "/portal/webhooks",
        data={"csrf_token": csrf, "url": receiver.url, "event_types": ["webhook.test"]},
        headers={"Cookie": admin["Cookie"]},
    )
    assert made.status_code == 200, made.text
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", made.text)
    assert secret is not None
    sub_id = re.search(r'href="/portal/webhooks/([0-9a-f-]{36})"', made.text)
    assert sub_id is not None
    listed = await pclient.get("/portal/webhooks", headers=admin)
    assert secret.group(0) not in listed.text  # shown once
    sent = await pclient.post(
        f"/portal/webhooks/{sub_id.group(1)}/test",
        data={"csrf_token": csrf},
        headers={"Cookie": admin["Cookie"]},
    )
    assert sent.status_code == 303
    assert await run_deliveries(loopback_runtime, world.tenant_a.id) == ["succeeded"]
    detail = await pclient.get(f"/portal/webhooks/{sub_id.group(1)}", headers=admin)
    assert "HTTP 204" in detail.text
    delivery = re.search(r"/portal/webhooks/deliveries/([0-9a-f-]{36})/replay", detail.text)
    assert delivery is not None
    replay = await pclient.post(
        f"/portal/webhooks/deliveries/{delivery.group(1)}/replay",
        data={"csrf_token": csrf},
        headers={"Cookie": admin["Cookie"]},
    )
    assert replay.status_code == 303
    assert await run_deliveries(loopback_runtime, world.tenant_a.id) == ["succeeded"]
    assert len(receiver.received) == 2
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    # A private target is refused with the reason, on the same page.
    bad = await pclient.post(
        "/portal/webhooks",
        data={"csrf_token": csrf, "url": "http://10.0.0.1/x", "event_types": ["job.finished"]},
        headers={"Cookie": admin["Cookie"]},
    )
    assert bad.status_code == 422 and "a private address" in bad.text
    # Members do not manage webhooks; another tenant's admin does not see this one.
    member = await user_headers(owner_engine, world.tenant_a.users["client_member"])
    assert (await pclient.get("/portal/webhooks", headers=member)).status_code == 403
    other = await user_headers(owner_engine, world.tenant_b.users["client_admin"])
    assert (
        await pclient.get(f"/portal/webhooks/{sub_id.group(1)}", headers=other)
    ).status_code == 404
