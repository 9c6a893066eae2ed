"""Webhook subscriptions and deliveries: the rules. Services only flush.

Who sees what: a partner client sees and manages only the subscriptions it made, in the
tenants that granted it `webhooks:manage`; a tenant's client_admin sees every
subscription of the tenant (its own and its partners'), so the company can always
switch a partner's webhook off.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, allows, authorize
from daiko.auth.principal import Principal
from daiko.config import Settings
from daiko.errors import Conflict, InvalidInput, NotFound
from daiko.ids import new_id
from daiko.jobs.kinds import JobKind
from daiko.jobs.service import enqueue
from daiko.partners import webhooks
from daiko.partners.events import EVENT_TYPES, publish
from daiko.partners.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from daiko.partners.secrets import ROTATION_GRACE, seal

MAX_SUBSCRIPTIONS_PER_TENANT = 50


def _visible(principal: Principal) -> Select[WebhookSubscription]:
    query = select(WebhookSubscription)
    if principal.kind == "partner":
        query = query.where(WebhookSubscription.client_id == principal.client_id)
    return query


def manageable_tenants(principal: Principal) -> list[uuid.UUID]:
    return sorted(
        t for t in principal.scope.tenant_ids if allows(principal, Action.WEBHOOKS_MANAGE, t)
    )


def choose_tenant(principal: Principal, tenant_id: uuid.UUID | None) -> uuid.UUID:
    if tenant_id is not None:
        if tenant_id not in principal.scope:
            raise NotFound("no such tenant")
        authorize(principal, Action.WEBHOOKS_MANAGE, tenant_id)
        return tenant_id
    able = manageable_tenants(principal)
    if len(able) == 1:
        return able[0]
    raise InvalidInput.field("tenant_id", "required: you act for several tenants")


def _check_event_types(types: Sequence[str]) -> list[str]:
    if not types:
        raise InvalidInput.field("event_types", "name at least one event type")
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput.field(
            "event_types",
            f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}",
        )
    return sorted(set(types))


async def check_url(url: str, settings: Settings) -> str:
    try:
        await webhooks.check_target(url, allow_loopback=settings.webhooks_allow_loopback)
    except webhooks.UnsafeTarget as exc:
        raise InvalidInput.field("url", str(exc)) from None
    return url


@dataclass(frozen=True)
class NewSubscription:
    subscription: WebhookSubscription
    secret: str


async def create_subscription(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    *,
    tenant_id: uuid.UUID,
    url: str,
    event_types: Sequence[str],
    description: str | None,
) -> NewSubscription:
    types = _check_event_types(event_types)
    await check_url(url, settings)
    count = (
        await session.execute(
            select(func.count()).where(WebhookSubscription.tenant_id == tenant_id)
        )
    ).scalar_one()
    if count >= MAX_SUBSCRIPTIONS_PER_TENANT:
        raise Conflict(f"a tenant has at most {MAX_SUBSCRIPTIONS_PER_TENANT} subscriptions")
    sub = WebhookSubscription(
        tenant_id=tenant_id,
        id=new_id(),
        url=url,
        event_types=types,
        description=description,
        client_id=principal.client_id if principal.kind == "partner" else None,
        created_by=principal.user_id,
        active=True,
        version=1,
    )
    secret = webhooks.generate_secret()
    sub.secret = await seal(session, sub, secret)
    session.add(sub)
    await session.flush()
    await session.refresh(sub)
    return NewSubscription(sub, secret)


async def list_subscriptions(
    session: AsyncSession,
    principal: Principal,
    *,
    tenant_id: uuid.UUID | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[WebhookSubscription]:
    tenants = manageable_tenants(principal)
    if tenant_id is not None:
        tenants = [t for t in tenants if t == tenant_id]
    query = _visible(principal).where(WebhookSubscription.tenant_id.in_(tenants))
    if after is not None:
        query = query.where(
            tuple_(WebhookSubscription.created_at, WebhookSubscription.id) > tuple_(*after)
        )
    query = query.order_by(WebhookSubscription.created_at, WebhookSubscription.id).limit(limit)
    return (await session.execute(query)).scalars().all()


async def get_subscription(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID, *, lock: bool = False
) -> WebhookSubscription:
    query = _visible(principal).where(WebhookSubscription.id == subscription_id)
    if lock:
        query = query.with_for_update()
    sub = (await session.execute(query)).scalar_one_or_none()
    if sub is None:
        raise NotFound("no such webhook subscription")
    authorize(principal, Action.WEBHOOKS_MANAGE, sub.tenant_id)
    return sub


async def update_subscription(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    subscription_id: uuid.UUID,
    *,
    url: str | None,
    event_types: Sequence[str] | None,
    description: str | None,
    active: bool | None,
    version: int | None,
) -> WebhookSubscription:
    sub = await get_subscription(session, principal, subscription_id, lock=True)
    if version is not None and version != sub.version:
        raise Conflict(
            f"the subscription changed meanwhile (version {sub.version}, you sent {version})"
        )
    if url is not None:
        sub.url = await check_url(url, settings)
    if event_types is not None:
        sub.event_types = _check_event_types(event_types)
    if description is not None:
        sub.description = description or None
    if active is not None:
        sub.active = active
    sub.version += 1
    sub.updated_at = datetime.now(UTC)
    await session.flush()
    return sub


async def delete_subscription(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> None:
    sub = await get_subscription(session, principal, subscription_id, lock=True)
    await session.delete(sub)
    await session.flush()


async def rotate_secret(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> NewSubscription:
    """A new secret signs from now on; the old one keeps signing beside it for
    `ROTATION_GRACE` (24 h), so receivers can switch without dropping a message."""
    sub = await get_subscription(session, principal, subscription_id, lock=True)
    secret = webhooks.generate_secret()
    sub.previous_secret = sub.secret
    sub.previous_secret_expires_at = datetime.now(UTC) + ROTATION_GRACE
    sub.secret = await seal(session, sub, secret)
    sub.version += 1
    sub.updated_at = datetime.now(UTC)
    await session.flush()
    return NewSubscription(sub, secret)


async def send_test_event(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> uuid.UUID | None:
    sub = await get_subscription(session, principal, subscription_id)
    if not sub.active:
        raise Conflict("the subscription is disabled")
    if "webhook.test" not in sub.event_types:
        sub.event_types = sorted({*sub.event_types, "webhook.test"})
        await session.flush()
    return await publish(
        session,
        tenant_id=sub.tenant_id,
        type="webhook.test",
        data={"subscription_id": str(sub.id), "message": "Hello from Daiko"},
        only_subscription=sub.id,
    )


@dataclass(frozen=True)
class DeliveryRow:
    delivery: WebhookDelivery
    event: WebhookEvent


async def list_deliveries(
    session: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
    *,
    status: str | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> tuple[WebhookSubscription, list[DeliveryRow]]:
    """Newest first, keyset on (created_at, id)."""
    sub = await get_subscription(session, principal, subscription_id)
    query = (
        select(WebhookDelivery, WebhookEvent)
        .join(
            WebhookEvent,
            (WebhookEvent.tenant_id == WebhookDelivery.tenant_id)
            & (WebhookEvent.id == WebhookDelivery.event_id),
        )
        .where(
            WebhookDelivery.tenant_id == sub.tenant_id,
            WebhookDelivery.subscription_id == sub.id,
        )
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if before is not None:
        query = query.where(
            tuple_(WebhookDelivery.created_at, WebhookDelivery.id) < tuple_(*before)
        )
    query = query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    rows = (await session.execute(query.limit(limit))).all()
    return sub, [DeliveryRow(d, e) for d, e in rows]


async def get_delivery(
    session: AsyncSession, principal: Principal, delivery_id: uuid.UUID
) -> tuple[WebhookSubscription, DeliveryRow, Sequence[WebhookAttempt]]:
    found = (
        await session.execute(
            select(WebhookDelivery, WebhookEvent)
            .join(
                WebhookEvent,
                (WebhookEvent.tenant_id == WebhookDelivery.tenant_id)
                & (WebhookEvent.id == WebhookDelivery.event_id),
            )
            .where(WebhookDelivery.id == delivery_id)
        )
    ).first()
    if found is None:
        raise NotFound("no such webhook delivery")
    delivery, event = found
    try:
        sub = await get_subscription(session, principal, delivery.subscription_id)
    except NotFound:
        raise NotFound("no such webhook delivery") from None
    attempts = (
        (
            await session.execute(
                select(WebhookAttempt)
                .where(
                    WebhookAttempt.tenant_id == delivery.tenant_id,
                    WebhookAttempt.delivery_id == delivery.id,
                )
                .order_by(WebhookAttempt.attempt_no)
            )
        )
        .scalars()
        .all()
    )
    return sub, DeliveryRow(delivery, event), attempts


async def replay_delivery(
    session: AsyncSession, principal: Principal, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Send the same message (same webhook-id) again as a new attempt."""
    sub, row, _ = await get_delivery(session, principal, delivery_id)
    if not sub.active:
        raise Conflict("the subscription is disabled; enable it before replaying")
    delivery = row.delivery
    job = await enqueue(
        session,
        delivery.tenant_id,
        JobKind.WEBHOOK_DELIVER,
        {"delivery_id": str(delivery.id), "replay": True},
        created_by=principal.user_id,
    )
    delivery.job_id = job.id
    if delivery.status == "failed":
        delivery.status = "pending"
    await session.flush()
    return delivery
