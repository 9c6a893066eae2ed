"""The one authorization policy: may this principal do this action in this tenant?

Used by API controllers, pages and workers alike. Routes declare their action in
`opt={"action": Action.X}` (or `opt={"public": True}`); the router-level guard
`policy_guard` denies by default, and a test walks `app.routes` so no route goes without
an explicit policy. Handlers that act on one tenant's object call `authorize(...)` with
that tenant, after loading the object through the tenant-scoped session (so another
tenant's object is a 404 before it can be a 403).

Permission table (roles per tenant; ops_admin is a platform role):

| action | client_viewer | client_member | client_admin | operator | lead | partner scope |
| --- | --- | --- | --- | --- | --- | --- |
| tenant:read | ✓ | ✓ | ✓ | ✓ | ✓ | — |
| members:read | | | ✓ | ✓ | ✓ | — |
| members:manage | | | ✓ | | | — |
| partners:grant | | | ✓ | | | — |
| jobs:read | ✓ | ✓ | ✓ | ✓ | ✓ | jobs:read |
| jobs:run | | | | ✓ | ✓ | — |
| jobs:cancel | | | | ✓ | ✓ | — |
| cases:read | ✓ | ✓ | ✓ | ✓ | ✓ | cases:read |
| cases:submit | | ✓ | ✓ | | | cases:write |
| cases:work | | | | ✓ | ✓ | — |
| cases:approve | | | | | ✓ | — |
| cases:assign | | | | | ✓ | — |
| documents:read | ✓ | ✓ | ✓ | ✓ | ✓ | documents:read |
| documents:write | | ✓ | ✓ | ✓ | ✓ | documents:write |
| documents:hold (legal hold) | | | | | ✓ | — |
| employees:read | ✓ | ✓ | ✓ | ✓ | ✓ | employees:read |
| employees:write | | ✓ | ✓ | ✓ | ✓ | employees:write |
| sensitive:reveal | | | ✓ | | ✓ | — |
| payroll:read | ✓ | ✓ | ✓ | ✓ | ✓ | payroll:read |
| payroll:run | | | | ✓ | ✓ | — |
| payroll:approve | | | ✓ | | ✓ | — |
| bookkeeping:read | ✓ | ✓ | ✓ | ✓ | ✓ | journals:read |
| bookkeeping:write | | | | ✓ | ✓ | — |
| social_insurance:read | ✓ | ✓ | ✓ | ✓ | ✓ | — |
| social_insurance:write | | ✓ | ✓ | ✓ | ✓ | social_insurance:write |
| sla:read | ✓ | ✓ | ✓ | ✓ | ✓ | — |
| sla:manage | | | | | ✓ | — |
| audit:read | | | ✓ | | ✓ | — |
| webhooks:manage | | | ✓ | | | webhooks:manage |

A partner's scopes are per tenant: the token's scopes intersected with what that
tenant's live grant allows (`Principal.scopes_in`). Issuing grants (`partners:grant`)
lives in `daiko.auth.partners`; the sign-in routes are public or `self`.

Platform actions (ops_admin only): `platform:tenants`, `platform:assignments`,
`platform:offboard`. A suspended tenant's client users keep read actions only; an
offboarded tenant is never in any scope.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

import structlog
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from daiko.auth.principal import Principal
from daiko.errors import Forbidden, NotAuthenticated

log = structlog.get_logger("daiko.auth.policy")


class Action(StrEnum):
    TENANT_READ = "tenant:read"
    MEMBERS_READ = "members:read"
    MEMBERS_MANAGE = "members:manage"
    PARTNERS_GRANT = "partners:grant"
    JOBS_READ = "jobs:read"
    JOBS_RUN = "jobs:run"
    JOBS_CANCEL = "jobs:cancel"
    CASES_READ = "cases:read"
    CASES_SUBMIT = "cases:submit"
    CASES_WORK = "cases:work"
    CASES_APPROVE = "cases:approve"
    CASES_ASSIGN = "cases:assign"
    DOCUMENTS_READ = "documents:read"
    DOCUMENTS_WRITE = "documents:write"
    DOCUMENTS_HOLD = "documents:hold"
    EMPLOYEES_READ = "employees:read"
    EMPLOYEES_WRITE = "employees:write"
    SENSITIVE_REVEAL = "sensitive:reveal"
    PAYROLL_READ = "payroll:read"
    PAYROLL_RUN = "payroll:run"
    PAYROLL_APPROVE = "payroll:approve"
    BOOKKEEPING_READ = "bookkeeping:read"
    BOOKKEEPING_WRITE = "bookkeeping:write"
    SOCIAL_INSURANCE_READ = "social_insurance:read"
    SOCIAL_INSURANCE_WRITE = "social_insurance:write"
    SLA_READ = "sla:read"
    SLA_MANAGE = "sla:manage"
    AUDIT_READ = "audit:read"
    WEBHOOKS_MANAGE = "webhooks:manage"
    # platform (ops_admin)
    PLATFORM_TENANTS = "platform:tenants"
    PLATFORM_ASSIGNMENTS = "platform:assignments"
    PLATFORM_OFFBOARD = "platform:offboard"
    # any signed-in principal, no tenant needed (own profile, sign out)
    SELF = "self"


A = Action
_V, _M, _AD, _OP, _LD = "client_viewer", "client_member", "client_admin", "operator", "lead"
_ALL = frozenset({_V, _M, _AD, _OP, _LD})

ROLE_PERMISSIONS: dict[Action, frozenset[str]] = {
    A.TENANT_READ: _ALL,
    A.MEMBERS_READ: frozenset({_AD, _OP, _LD}),
    A.MEMBERS_MANAGE: frozenset({_AD}),
    A.PARTNERS_GRANT: frozenset({_AD}),
    A.JOBS_READ: _ALL,
    A.JOBS_RUN: frozenset({_OP, _LD}),
    A.JOBS_CANCEL: frozenset({_OP, _LD}),
    A.CASES_READ: _ALL,
    A.CASES_SUBMIT: frozenset({_M, _AD}),
    A.CASES_WORK: frozenset({_OP, _LD}),
    A.CASES_APPROVE: frozenset({_LD}),
    A.CASES_ASSIGN: frozenset({_LD}),
    A.DOCUMENTS_READ: _ALL,
    A.DOCUMENTS_WRITE: frozenset({_M, _AD, _OP, _LD}),
    A.DOCUMENTS_HOLD: frozenset({_LD}),
    A.EMPLOYEES_READ: _ALL,
    A.EMPLOYEES_WRITE: frozenset({_M, _AD, _OP, _LD}),
    A.SENSITIVE_REVEAL: frozenset({_AD, _LD}),
    A.PAYROLL_READ: _ALL,
    A.PAYROLL_RUN: frozenset({_OP, _LD}),
    A.PAYROLL_APPROVE: frozenset({_AD, _LD}),
    A.BOOKKEEPING_READ: _ALL,
    A.BOOKKEEPING_WRITE: frozenset({_OP, _LD}),
    A.SOCIAL_INSURANCE_READ: _ALL,
    A.SOCIAL_INSURANCE_WRITE: frozenset({_M, _AD, _OP, _LD}),
    A.SLA_READ: _ALL,
    A.SLA_MANAGE: frozenset({_LD}),
    A.AUDIT_READ: frozenset({_AD, _LD}),
    A.WEBHOOKS_MANAGE: frozenset({_AD}),
}

PARTNER_SCOPES: dict[Action, str] = {
    A.JOBS_READ: "jobs:read",
    A.CASES_READ: "cases:read",
    A.CASES_SUBMIT: "cases:write",
    A.DOCUMENTS_READ: "documents:read",
    A.DOCUMENTS_WRITE: "documents:write",
    A.EMPLOYEES_READ: "employees:read",
    A.EMPLOYEES_WRITE: "employees:write",
    A.PAYROLL_READ: "payroll:read",
    A.BOOKKEEPING_READ: "journals:read",
    A.SOCIAL_INSURANCE_WRITE: "social_insurance:write",
    A.WEBHOOKS_MANAGE: "webhooks:manage",
}

PLATFORM_ACTIONS = frozenset({A.PLATFORM_TENANTS, A.PLATFORM_ASSIGNMENTS, A.PLATFORM_OFFBOARD})
READ_ACTIONS = frozenset(a for a in Action if a.value.endswith(":read"))
CLIENT_ROLES = frozenset({_V, _M, _AD})


def allows(principal: Principal, action: Action, tenant_id: uuid.UUID | None = None) -> bool:
    """True when `principal` may do `action` in `tenant_id` (or, with no tenant, in at
    least one of its tenants)."""
    if action is Action.SELF:
        return True
    if action in PLATFORM_ACTIONS:
        return principal.kind == "user" and principal.is_ops_admin
    tenants = [tenant_id] if tenant_id is not None else list(principal.roles)
    for tid in tenants:
        if tid not in principal.scope:
            continue
        if principal.kind == "partner":
            needed = PARTNER_SCOPES.get(action)
            if needed is not None and needed in principal.scopes_in(tid):
                return True
            continue
        role = principal.roles.get(tid)
        if role is None or role not in ROLE_PERMISSIONS.get(action, frozenset()):
            continue
        suspended = principal.tenant_status.get(tid) == "suspended"
        if suspended and role in CLIENT_ROLES and action not in READ_ACTIONS:
            continue
        return True
    return False


def authorize(
    principal: Principal | None, action: Action, tenant_id: uuid.UUID | None = None
) -> Principal:
    """Raise 401 without a principal, 403 when the policy says no; return the principal."""
    if principal is None:
        raise NotAuthenticated()
    if not allows(principal, action, tenant_id):
        log.info(
            "permission denied",
            action=str(action),
            tenant_id=str(tenant_id) if tenant_id else None,
            user_id=str(principal.user_id) if principal.user_id else None,
            client_id=principal.client_id,
        )
        raise Forbidden(f"{action} is not allowed")
    return principal


def request_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    principal = connection.scope.get("state", {}).get("principal")
    return principal if isinstance(principal, Principal) else None


def require_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The request's principal inside a guarded route (the guard has already refused an
    anonymous request; this keeps that promise visible to the type checker)."""
    principal = request_principal(connection)
    if principal is None:
        raise NotAuthenticated()
    return principal


async def policy_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Deny by default: a route is public only when it says so, otherwise it names the
    action it performs and the principal must be allowed it in some tenant.

    `async` although it awaits nothing: Litestar runs a synchronous guard in a worker
    thread, and that hop cost more than the check itself on every request."""
    if handler.opt.get("public") or set(getattr(handler, "http_methods", ())) == {"OPTIONS"}:
        return  # declared public, or Litestar's generated OPTIONS (no data)
    action = handler.opt.get("action")
    principal = request_principal(connection)
    if principal is None:
        state = connection.scope.get("state", {})
        raise NotAuthenticated(
            state.get("auth_error") or None, headers=state.get("auth_challenge") or None
        )
    if not isinstance(action, Action):
        raise Forbidden("this route declares no policy")
    authorize(principal, action)
