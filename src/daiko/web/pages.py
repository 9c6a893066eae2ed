"""Landing page, language switch, and the portal and console home pages."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, request_principal
from daiko.auth.principal import Principal
from daiko.errors import Forbidden
from daiko.tenancy.models import Tenant
from daiko.web.i18n import COOKIE, LOCALES
from daiko.web.jobs import routes as job_pages
from daiko.web.shell import render, safe_next


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


@get("/portal", include_in_schema=False, opt={"action": Action.SELF, "page": True})
async def portal_home(
    request: Request[Any, Any, Any], db_session: AsyncSession
) -> Template | Redirect:
    principal = request_principal(request)
    assert principal is not None
    if principal.user_kind == "operator":
        return Redirect("/console")
    tenants = await _tenants_in_scope(db_session, principal)
    return render(request, "portal/home.html", {"tenants": tenants, "roles": principal.roles})


@get("/console", include_in_schema=False, opt={"action": Action.SELF, "page": True})
async def console_home(request: Request[Any, Any, Any], db_session: AsyncSession) -> Template:
    principal = request_principal(request)
    assert principal is not None
    if principal.user_kind != "operator":
        raise Forbidden("the console is for operators")
    tenants = await _tenants_in_scope(db_session, principal)
    return render(request, "console/home.html", {"tenants": tenants, "roles": principal.roles})


routes = [index, switch_language, portal_home, console_home, *job_pages]
