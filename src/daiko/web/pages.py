"""Landing page, language switch, and the portal and console home pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from litestar import Request, get
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, allows, request_principal
from daiko.auth.principal import Principal
from daiko.cases.web import type_label
from daiko.errors import Forbidden
from daiko.tenancy.models import Tenant
from daiko.web import dashboard
from daiko.web.dashboard import Deadline
from daiko.web.i18n import COOKIE, LOCALES, gettext
from daiko.web.jobs import routes as job_pages
from daiko.web.request_forms import routes as request_pages
from daiko.web.shell import render, safe_next
from daiko.web.vocabulary import DEADLINE_KINDS, SLA_STATE_LABELS

JST = timezone(timedelta(hours=9))


@get("/", include_in_schema=False, opt={"public": True})
async def index(request: Request[Any, Any, Any]) -> Template | Redirect:
    principal = request_principal(request)
    if principal is not None and principal.kind == "user":
        return Redirect("/console" if principal.user_kind == "operator" else "/portal")
    return render(request, "index.html")


@get("/lang/{code:str}", include_in_schema=False, opt={"public": True})
async def switch_language(code: str, next: str | None = None) -> Redirect:
    """Remember the chosen language for a year and go back where the user was."""
    response = Redirect(safe_next(next))
    if code in LOCALES:
        response.cookies.append(
            Cookie(
                key=COOKIE,
                value=code,
                max_age=365 * 24 * 3600,
                path="/",
                samesite="lax",
                httponly=True,
            )
        )
    return response


async def _tenants_in_scope(session: AsyncSession, principal: Principal) -> list[Tenant]:
    """The principal's tenants (its vetted scope), by name."""
    ids = list(principal.scope.tenant_ids)
    rows = await session.execute(select(Tenant).where(Tenant.id.in_(ids)).order_by(Tenant.name))
    return list(rows.scalars())


def deadline_text(deadline: Deadline) -> str:
    """A deadline's label in the page's language (SLA clock labels are stored bilingual)."""
    if deadline.kind == "sla":
        return deadline.label
    return gettext(deadline.label, **deadline.params)


def sla_state_label(state: str | None) -> str:
    label = SLA_STATE_LABELS.get(state or "")
    return gettext(label) if label else ""


def _dashboard_helpers() -> dict[str, Any]:
    return {
        "deadline_text": deadline_text,
        "deadline_kind": lambda k: gettext(DEADLINE_KINDS.get(k) or k),
        "sla_state_label": sla_state_label,
        "type_label": type_label,
        "today": datetime.now(UTC).astimezone(JST).date(),
    }


@get("/portal", include_in_schema=False, opt={"action": Action.SELF, "page": True})
async def portal_home(
    request: Request[Any, Any, Any], db_session: AsyncSession
) -> Template | Redirect:
    """The client's dashboard: open cases with their SLA state, what the provider needs
    from them now, and the deadlines coming up."""
    principal = request_principal(request)
    assert principal is not None
    if principal.user_kind == "operator":
        return Redirect("/console")
    tenants = await _tenants_in_scope(db_session, principal)
    ids = [t.id for t in tenants if allows(principal, Action.CASES_READ, t.id)]
    now = datetime.now(UTC)
    return render(
        request,
        "portal/home.html",
        {
            "tenants": tenants,
            "roles": principal.roles,
            "tenant_names": {t.id: t.name for t in tenants},
            "open_cases": await dashboard.open_cases(db_session, ids),
            "missing": await dashboard.missing_inputs(db_session, ids),
            "deadlines": (await dashboard.upcoming_deadlines(db_session, tenants, now))[:15],
            "may_request": any(allows(principal, Action.CASES_SUBMIT, t) for t in ids),
            **_dashboard_helpers(),
        },
    )


@get("/console", include_in_schema=False, opt={"action": Action.SELF, "page": True})
async def console_home(request: Request[Any, Any, Any], db_session: AsyncSession) -> Template:
    """Per assigned tenant: open cases, unassigned ones, SLA breaches and warnings, and
    the next deadlines."""
    principal = request_principal(request)
    assert principal is not None
    if principal.user_kind != "operator":
        raise Forbidden("the console is for operators")
    tenants = await _tenants_in_scope(db_session, principal)
    now = datetime.now(UTC)
    deadlines = await dashboard.upcoming_deadlines(db_session, tenants, now)
    by_tenant: dict[Any, list[Deadline]] = {}
    for d in deadlines:
        by_tenant.setdefault(d.tenant_id, []).append(d)
    return render(
        request,
        "console/home.html",
        {
            "tenants": tenants,
            "roles": principal.roles,
            "overview": await dashboard.tenant_overview(db_session, [t.id for t in tenants]),
            "deadlines": {k: v[:3] for k, v in by_tenant.items()},
            **_dashboard_helpers(),
        },
    )


routes = [index, switch_language, portal_home, console_home, *job_pages, *request_pages]
