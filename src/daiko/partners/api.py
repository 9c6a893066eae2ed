"""Webhook subscriptions API: CRUD, secret rotation, a test event, the delivery log and
replay. Partners (scope `webhooks:manage`) see their own subscriptions; a tenant's
client_admin sees all of the tenant's. Another tenant's object is a 404."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import Parameter
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_201_CREATED,
    HTTP_202_ACCEPTED,
    HTTP_204_NO_CONTENT,
)
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, require_principal
from daiko.pagination import cursor_after, encode_cursor
from daiko.partners import service
from daiko.partners.events import EVENT_TYPES
from daiko.partners.schemas import (
    AttemptOut,
    DeliveryDetail,
    DeliveryOut,
    DeliveryPage,
    DeliveryStatus,
    EventTypeOut,
    SubscriptionCreate,
    SubscriptionOut,
    SubscriptionPage,
    SubscriptionUpdate,
    SubscriptionWithSecret,
    TestEventOut,
)
from daiko.runtime import Runtime

MANAGE = {"action": Action.WEBHOOKS_MANAGE}
MAX_PAGE = 200


def _after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    return cursor_after(cursor, datetime)


class WebhookController(Controller):
    path = "/api/v1/webhooks"
    tags = ["webhooks"]

    @get("/event-types", opt=MANAGE)
    async def event_types(self) -> list[EventTypeOut]:
        """Every event type a subscription may name."""
        return [EventTypeOut(type=t, description=d) for t, d in EVENT_TYPES.items()]

    @get("/subscriptions", opt=MANAGE)
    async def list_subscriptions(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
        cursor: Annotated[str | None, Parameter(max_length=200)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> SubscriptionPage:
        """Subscriptions you may manage, oldest first (stable keyset order)."""
        principal = require_principal(request)
        rows = await service.list_subscriptions(
            db_session, principal, tenant_id=tenant_id, after=_after(cursor), limit=limit + 1
        )
        page = list(rows[:limit])
        more = len(rows) > limit
        return SubscriptionPage(
            items=[SubscriptionOut.of(s) for s in page],
            next_cursor=encode_cursor(page[-1].created_at, page[-1].id) if more else None,
        )

    @post("/subscriptions", opt=MANAGE, status_code=HTTP_201_CREATED)
    async def create_subscription(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        runtime: Runtime,
        data: SubscriptionCreate,
    ) -> SubscriptionWithSecret:
        """Subscribe a URL to event types. The answer holds the signing secret, once."""
        principal = require_principal(request)
        tenant_id = service.choose_tenant(principal, data.tenant_id)
        made = await service.create_subscription(
            db_session,
            principal,
            runtime.settings,
            tenant_id=tenant_id,
            url=data.url,
            event_types=list(data.event_types),
            description=data.description,
        )
        return SubscriptionWithSecret.with_secret(made.subscription, made.secret)

    @get("/subscriptions/{subscription_id:uuid}", opt=MANAGE)
    async def get_subscription(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, subscription_id: uuid.UUID
    ) -> SubscriptionOut:
        principal = require_principal(request)
        return SubscriptionOut.of(
            await service.get_subscription(db_session, principal, subscription_id)
        )

    @patch("/subscriptions/{subscription_id:uuid}", opt=MANAGE)
    async def update_subscription(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        runtime: Runtime,
        subscription_id: uuid.UUID,
        data: SubscriptionUpdate,
    ) -> SubscriptionOut:
        """Change the URL, the event types, the description, or switch it on or off."""
        principal = require_principal(request)
        sub = await service.update_subscription(
            db_session,
            principal,
            runtime.settings,
            subscription_id,
            url=data.url,
            event_types=list(data.event_types) if data.event_types is not None else None,
            description=data.description,
            active=data.active,
            version=data.version,
        )
        return SubscriptionOut.of(sub)

    @delete("/subscriptions/{subscription_id:uuid}", opt=MANAGE, status_code=HTTP_204_NO_CONTENT)
    async def delete_subscription(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, subscription_id: uuid.UUID
    ) -> None:
        """Delete the subscription and its delivery log."""
        principal = require_principal(request)
        await service.delete_subscription(db_session, principal, subscription_id)

    @post(
        "/subscriptions/{subscription_id:uuid}/rotate-secret", opt=MANAGE, status_code=HTTP_200_OK
    )
    async def rotate_secret(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, subscription_id: uuid.UUID
    ) -> SubscriptionWithSecret:
        """A new secret, shown once. For 24 hours each message carries two signatures
        (new and old), so a receiver can switch whenever it likes."""
        principal = require_principal(request)
        made = await service.rotate_secret(db_session, principal, subscription_id)
        return SubscriptionWithSecret.with_secret(made.subscription, made.secret)

    @post("/subscriptions/{subscription_id:uuid}/test", opt=MANAGE, status_code=HTTP_202_ACCEPTED)
    async def send_test(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, subscription_id: uuid.UUID
    ) -> TestEventOut:
        """Queue a `webhook.test` event to this subscription alone."""
        principal = require_principal(request)
        event_id = await service.send_test_event(db_session, principal, subscription_id)
        return TestEventOut(event_id=event_id)

    @get("/subscriptions/{subscription_id:uuid}/deliveries", opt=MANAGE)
    async def list_deliveries(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        subscription_id: uuid.UUID,
        status: DeliveryStatus | None = None,
        cursor: Annotated[str | None, Parameter(max_length=200)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> DeliveryPage:
        """The delivery log of a subscription, newest first."""
        principal = require_principal(request)
        _, rows = await service.list_deliveries(
            db_session,
            principal,
            subscription_id,
            status=status,
            before=_after(cursor),
            limit=limit + 1,
        )
        page = rows[:limit]
        more = len(rows) > limit
        last = page[-1].delivery if page else None
        return DeliveryPage(
            items=[DeliveryOut.of(r.delivery, r.event) for r in page],
            next_cursor=encode_cursor(last.created_at, last.id) if more and last else None,
        )

    @get("/deliveries/{delivery_id:uuid}", opt=MANAGE)
    async def get_delivery(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, delivery_id: uuid.UUID
    ) -> DeliveryDetail:
        """One delivery with its payload and every attempt."""
        principal = require_principal(request)
        _, row, attempts = await service.get_delivery(db_session, principal, delivery_id)
        base = DeliveryOut.of(row.delivery, row.event)
        return DeliveryDetail(
            **{f: getattr(base, f) for f in base.__struct_fields__},
            payload={"type": row.event.type, "data": row.event.data},
            attempt_log=[AttemptOut.of(a) for a in attempts],
        )

    @post("/deliveries/{delivery_id:uuid}/replay", opt=MANAGE, status_code=HTTP_202_ACCEPTED)
    async def replay(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, delivery_id: uuid.UUID
    ) -> DeliveryOut:
        """Send the same message again (same `webhook-id`), as a new attempt."""
        principal = require_principal(request)
        delivery = await service.replay_delivery(db_session, principal, delivery_id)
        _, row, _ = await service.get_delivery(db_session, principal, delivery.id)
        return DeliveryOut.of(row.delivery, row.event)


routes = [WebhookController]
