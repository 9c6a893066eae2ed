"""The page shell: what every portal and console page gets (principal, navigation,
CSRF token for forms, flash messages, locale), and `render` to produce a page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.response import Template

from daiko.auth.policy import Action, allows, request_principal
from daiko.auth.principal import Principal
from daiko.web.flash import clear_flash, pop_flashes
from daiko.web.i18n import current_locale, gettext


@dataclass(frozen=True)
class NavLink:
    href: str
    label: str
    active: bool


def nav_links(principal: Principal | None, path: str) -> list[NavLink]:
    if principal is None:
        return []
    audit = principal.is_ops_admin or allows(principal, Action.AUDIT_READ)
    if principal.kind == "user" and principal.user_kind == "operator":
        items = [
            ("/console", gettext("Overview")),
            ("/console/cases", gettext("Queue")),
            ("/console/employees", gettext("Employees")),
            ("/console/documents", gettext("Documents")),
            ("/console/payroll", gettext("Payroll")),
            ("/console/social-insurance", gettext("Social insurance")),
            ("/console/jobs", gettext("Jobs")),
            ("/console/sla", gettext("SLA")),
        ]
        if allows(principal, Action.BOOKKEEPING_WRITE):
            items.insert(4, ("/console/bookkeeping", gettext("Bookkeeping")))
            items.insert(5, ("/console/bookkeeping/imports", gettext("Statements")))
        if audit:
            items.append(("/console/audit", gettext("Audit trail")))
        if allows(principal, Action.CASES_APPROVE):
            items.insert(2, ("/console/review", gettext("Review")))
        if principal.is_ops_admin:
            items.append(("/console/tenants", gettext("Tenants")))
    else:
        items = [
            ("/portal", gettext("Dashboard")),
            ("/portal/cases", gettext("Cases")),
            ("/portal/employees", gettext("Employees")),
            ("/portal/documents", gettext("Documents")),
            ("/portal/payroll", gettext("Payroll")),
            ("/portal/jobs", gettext("Jobs")),
        ]
        if allows(principal, Action.BOOKKEEPING_READ):
            items.insert(4, ("/portal/bookkeeping", gettext("Bookkeeping")))
            items.insert(5, ("/portal/bookkeeping/imports", gettext("Statements")))
        if allows(principal, Action.SOCIAL_INSURANCE_READ):
            items.append(("/portal/social-insurance", gettext("Social insurance")))
        if allows(principal, Action.SLA_READ):
            items.append(("/portal/sla", gettext("SLA")))
        if audit:
            items.append(("/portal/audit", gettext("Audit trail")))
        if allows(principal, Action.MEMBERS_MANAGE):
            items.append(("/portal/members", gettext("Users and roles")))
        if allows(principal, Action.WEBHOOKS_MANAGE):
            items.append(("/portal/webhooks", gettext("Webhooks")))
    items.append(("/settings", gettext("Settings")))
    return [
        NavLink(href, label, path == href or (href.count("/") > 1 and path.startswith(href)))
        for href, label in items
    ]


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: `//evil.example` and absolute URLs fall back to `default`."""
    if not target:
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
    ):
        return default
    return target


def csrf_token(request: Request[Any, Any, Any]) -> str:
    row = request.scope.get("state", {}).get("user_session")
    token = getattr(row, "csrf_token", None)
    return str(token) if token else ""


def render(
    request: Request[Any, Any, Any],
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Template:
    """A full page: the shell's context plus `context`; shown flash messages are cleared."""
    principal = request_principal(request)
    flashes = pop_flashes(request)
    page = Template(
        template_name=template,
        status_code=status_code,
        context={
            "principal": principal,
            "nav": nav_links(principal, request.url.path),
            "csrf_token": csrf_token(request),
            "flashes": flashes,
            "lang": current_locale(),
            "path": request.url.path,
            **(context or {}),
        },
    )
    if flashes:
        clear_flash(page)
    return page
