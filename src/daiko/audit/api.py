"""Audit trail API: a tenant's events, newest first, for client admins and leads.

A tenant outside the principal's scope answers 404 (its existence does not leak); in
scope but without `audit:read`, 403. The rows are read through the request's
tenant-scoped session, so RLS is the guarantee behind the check.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit import repository as repo
from daiko.audit.schemas import AuditEventOut, AuditEventPage
from daiko.auth.policy import Action, authorize, request_principal
from daiko.errors import NotAuthenticated, NotFound

MAX_PAGE = 200


class AuditEventController(Controller):
    path = "/api/v1/tenants/{tenant_id:uuid}/audit-events"
    tags = ["audit"]

    @get("/", opt={"action": Action.AUDIT_READ})
    async def list_events(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        tenant_id: FromPath[uuid.UUID],
        cursor: Annotated[
            int | None, QueryParameter(ge=1, description="seq to page before")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
        action: Annotated[str | None, QueryParameter(max_length=128)] = None,
        resource_type: Annotated[str | None, QueryParameter(max_length=64)] = None,
        resource_id: Annotated[str | None, QueryParameter(max_length=200)] = None,
        actor_kind: Annotated[
            Literal["user", "operator", "partner", "system"] | None, QueryParameter()
        ] = None,
        actor_id: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> AuditEventPage:
        """A tenant's audit events, newest first, filtered by action, resource or actor."""
        principal = request_principal(request)
        if principal is None:  # the guard already refused; kept for the type checker
            raise NotAuthenticated()
        if tenant_id not in principal.scope:
            raise NotFound("no such tenant")
        authorize(principal, Action.AUDIT_READ, tenant_id)
        rows = await repo.list_events(
            db_session,
            tenant_id,
            before_seq=cursor,
            limit=limit + 1,
            where=repo.EventFilter(
                action=action,
                resource_type=resource_type,
                resource_id=resource_id,
                actor_kind=actor_kind,
                actor_id=actor_id,
            ),
        )
        page = list(rows[:limit])
        more = len(rows) > limit
        return AuditEventPage(
            items=[AuditEventOut.of(e) for e in page],
            next_cursor=page[-1].seq if more and page else None,
        )


routes = [AuditEventController]
