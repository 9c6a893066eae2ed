"""Portal pages for a tenant's client_admin: webhook subscriptions (add, switch on or
off, rotate the secret, send a test) and each one's delivery log with replay."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, require_principal
from daiko.errors import DaikoError
from daiko.partners import service
from daiko.partners.events import EVENT_TYPES
from daiko.runtime import Runtime
from daiko.tenancy.models import Tenant
from daiko.web.flash import flash
from daiko.web.i18n import gettext
from daiko.web.shell import render
from daiko.web.vocabulary import N_

PAGE = {"action": Action.WEBHOOKS_MANAGE, "page": True}
EVENT_LABELS = {
    "case.status_changed": N_("A case changed status"),
    "case.sla_warning": N_("A case is close to its SLA"),
    "case.sla_breached": N_("A case missed its SLA"),
    "document.verified": N_("A document was verified"),
    "payroll_run.approved": N_("A payroll run was approved"),
    "job.finished": N_("A background job finished"),
    "webhook.test": N_("Test event"),
    "social_insurance.procedure_status_changed": N_("A social-insurance procedure moved on"),
}


def _label(event: str) -> str:
    return gettext(EVENT_LABELS.get(event, event))


async def _tenants(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Tenant.id, Tenant.name).where(Tenant.id.in_(ids)))
    return {r.id: r.name for r in rows}


async def _list_page(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    *,
    secret: str | None = None,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    principal = require_principal(request)
    subs = await service.list_subscriptions(
        session, principal, tenant_id=None, after=None, limit=200
    )
    manageable = service.manageable_tenants(principal)
    return render(
        request,
        "partners/subscriptions.html",
        {
            "subscriptions": subs,
            "tenants": await _tenants(session, manageable),
            "event_types": list(EVENT_TYPES),
            "label": _label,
            "secret": secret,
            "error": error,
            "form": form or {},
        },
        status_code=status_code,
    )


@get("/portal/webhooks", include_in_schema=False, opt=PAGE)
async def subscriptions_page(request: Request[Any, Any, Any], db_session: AsyncSession) -> Template:
    return await _list_page(request, db_session)


@post("/portal/webhooks", include_in_schema=False, opt=PAGE, status_code=200)
async def create_subscription_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, runtime: Runtime
) -> Template:
    principal = require_principal(request)
    form = await request.form()
    url = str(form.get("url") or "").strip()
    types = [str(t) for t in form.getall("event_types")] if hasattr(form, "getall") else []
    raw_tenant = str(form.get("tenant_id") or "").strip()
    values = {"url": url, "event_types": types, "description": form.get("description") or ""}
    try:
        tenant_id = service.choose_tenant(principal, uuid.UUID(raw_tenant) if raw_tenant else None)
        made = await service.create_subscription(
            db_session,
            principal,
            runtime.settings,
            tenant_id=tenant_id,
            url=url,
            event_types=types,
            description=str(form.get("description") or "").strip()[:500] or None,
        )
    except (DaikoError, ValueError) as exc:
        message = exc.detail if isinstance(exc, DaikoError) else str(exc)
        return await _list_page(request, db_session, error=message, form=values, status_code=422)
    return await _list_page(request, db_session, secret=made.secret)


@get("/portal/webhooks/{subscription_id:uuid}", include_in_schema=False, opt=PAGE)
async def subscription_page(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    subscription_id: uuid.UUID,
) -> Template:
    return await _detail(request, db_session, subscription_id)


async def _detail(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    subscription_id: uuid.UUID,
    *,
    secret: str | None = None,
) -> Template:
    principal = require_principal(request)
    sub, rows = await service.list_deliveries(
        session, principal, subscription_id, status=None, before=None, limit=50
    )
    attempts = {}
    for row in rows:
        _, _, log = await service.get_delivery(session, principal, row.delivery.id)
        attempts[row.delivery.id] = log
    return render(
        request,
        "partners/subscription.html",
        {
            "sub": sub,
            "rows": rows,
            "attempts": attempts,
            "label": _label,
            "secret": secret,
            "tenant": (await _tenants(session, [sub.tenant_id])).get(sub.tenant_id, ""),
        },
    )


@post("/portal/webhooks/{subscription_id:uuid}/toggle", include_in_schema=False, opt=PAGE)
async def toggle_page(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    runtime: Runtime,
    subscription_id: uuid.UUID,
) -> Redirect:
    principal = require_principal(request)
    sub = await service.get_subscription(db_session, principal, subscription_id)
    await service.update_subscription(
        db_session,
        principal,
        runtime.settings,
        subscription_id,
        url=None,
        event_types=None,
        description=None,
        active=not sub.active,
        version=None,
    )
    response = Redirect(f"/portal/webhooks/{subscription_id}", status_code=303)
    message = "The webhook was switched on." if sub.active else "The webhook was switched off."
    flash(request, response, "success", gettext(message))
    return response


@post(
    "/portal/webhooks/{subscription_id:uuid}/rotate",
    include_in_schema=False,
    opt=PAGE,
    status_code=200,
)
async def rotate_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, subscription_id: uuid.UUID
) -> Template:
    principal = require_principal(request)
    made = await service.rotate_secret(db_session, principal, subscription_id)
    return await _detail(request, db_session, subscription_id, secret=made.secret)


@post("/portal/webhooks/{subscription_id:uuid}/test", include_in_schema=False, opt=PAGE)
async def test_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, subscription_id: uuid.UUID
) -> Redirect:
    principal = require_principal(request)
    await service.get_subscription(db_session, principal, subscription_id)  # 404 first
    response = Redirect(f"/portal/webhooks/{subscription_id}", status_code=303)
    try:
        await service.send_test_event(db_session, principal, subscription_id)
        flash(request, response, "success", gettext("A test event is on its way."))
    except DaikoError as exc:
        flash(request, response, "error", exc.detail)
    return response


@post("/portal/webhooks/deliveries/{delivery_id:uuid}/replay", include_in_schema=False, opt=PAGE)
async def replay_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, delivery_id: uuid.UUID
) -> Redirect:
    principal = require_principal(request)
    sub, _, _ = await service.get_delivery(db_session, principal, delivery_id)
    response = Redirect(f"/portal/webhooks/{sub.id}", status_code=303)
    try:
        await service.replay_delivery(db_session, principal, delivery_id)
        flash(request, response, "success", gettext("The delivery will be sent again."))
    except DaikoError as exc:
        flash(request, response, "error", exc.detail)
    return response


routes = [
    subscriptions_page,
    create_subscription_page,
    subscription_page,
    toggle_page,
    rotate_page,
    test_page,
    replay_page,
]
