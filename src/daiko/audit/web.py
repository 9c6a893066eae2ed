"""Audit trail pages: a client admin reads its company's own trail (operators' reads
included); leads read their tenants' trails in the console, and ops_admin any tenant's.
The chain can be verified from the page."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit import repository
from daiko.audit.service import VerifyResult, verify_chain
from daiko.auth.policy import Action, allows, request_principal
from daiko.auth.principal import Principal
from daiko.errors import Forbidden, NotFound
from daiko.runtime import Runtime
from daiko.tenancy.models import Tenant
from daiko.tenancy.scope import scope_of_tenant
from daiko.web.shell import render

PAGE_SIZE = 50


async def _trail(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    tenants: list[Tenant],
    tenant_id: uuid.UUID,
    action: str | None,
    before: int | None,
    verify: bool,
    template: str,
) -> Template:
    events = list(
        await repository.list_events(
            session,
            tenant_id,
            before_seq=before,
            limit=PAGE_SIZE,
            where=repository.EventFilter(action=action or None),
        )
    )
    result: VerifyResult | None = await verify_chain(session, tenant_id) if verify else None
    return render(
        request,
        template,
        {
            "tenants": tenants,
            "tenant_id": tenant_id,
            "events": events,
            "action": action or "",
            "next_before": events[-1].seq if len(events) == PAGE_SIZE else None,
            "verification": result,
        },
    )


def _readable(principal: Principal, tenants: list[Tenant]) -> list[Tenant]:
    return [
        t for t in tenants if principal.is_ops_admin or allows(principal, Action.AUDIT_READ, t.id)
    ]


@get("/portal/audit", include_in_schema=False, opt={"action": Action.AUDIT_READ, "page": True})
async def portal_audit(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    tenant_id: uuid.UUID | None = None,
    action: str | None = None,
    before: int | None = None,
    verify: bool = False,
) -> Template:
    principal = request_principal(request)
    assert principal is not None
    ids = list(principal.scope.tenant_ids)
    tenants = _readable(
        principal,
        list(
            (
                await db_session.execute(
                    select(Tenant).where(Tenant.id.in_(ids)).order_by(Tenant.name)
                )
            ).scalars()
        ),
    )
    chosen = tenant_id or (tenants[0].id if tenants else None)
    if chosen is None or chosen not in {t.id for t in tenants}:
        raise NotFound("no such company")
    return await _trail(
        request, db_session, tenants, chosen, action, before, verify, "audit/portal.html"
    )


@get("/console/audit", include_in_schema=False, opt={"action": Action.SELF, "page": True})
async def console_audit(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    runtime: Runtime,
    tenant_id: uuid.UUID | None = None,
    action: str | None = None,
    before: int | None = None,
    verify: bool = False,
) -> Template:
    """Leads: their tenants. ops_admin: every tenant; the trail is then read in that one
    tenant's scope (ops_admin is not assigned to it, so its request scope would be empty)."""
    principal = request_principal(request)
    assert principal is not None
    if principal.user_kind != "operator":
        raise Forbidden("the console is for operators")
    query = select(Tenant).order_by(Tenant.name)
    if not principal.is_ops_admin:
        query = query.where(Tenant.id.in_(list(principal.scope.tenant_ids)))
    tenants = _readable(principal, list((await db_session.execute(query)).scalars()))
    if not tenants:
        raise Forbidden("audit:read is not allowed")
    chosen = tenant_id or tenants[0].id
    if chosen not in {t.id for t in tenants}:
        raise NotFound("no such company")
    if chosen in principal.scope:
        return await _trail(
            request, db_session, tenants, chosen, action, before, verify, "audit/console.html"
        )
    async with runtime.db.session(scope_of_tenant(chosen)) as tenant_session:
        return await _trail(
            request, tenant_session, tenants, chosen, action, before, verify, "audit/console.html"
        )


routes = [portal_audit, console_audit]
