"""SLA pages: the client's own attainment as a bar chart (portal), all assigned tenants
as a heat map (console), and the business-calendar editor (leads and ops_admin)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import structlog
from litestar import Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, allows, require_principal
from daiko.auth.principal import Principal
from daiko.errors import DaikoError, Forbidden, NotFound
from daiko.runtime import Runtime
from daiko.sla import calendar_edit
from daiko.sla.chart import COLOURS, bar_chart, level
from daiko.sla.models import OperatorDayOff
from daiko.sla.reports import AttainmentRow, attainment, months_back, percent
from daiko.tenancy.models import Tenant
from daiko.tenancy.scope import scope_of_tenant
from daiko.web.flash import flash
from daiko.web.i18n import gettext
from daiko.web.shell import render

log = structlog.get_logger("daiko.sla")

PORTAL_MONTHS = 12
CONSOLE_MONTHS = 6


def this_month() -> str:
    return dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=9))).strftime("%Y-%m")


def month_list(last: str, count: int) -> list[str]:
    return [months_back(last, count - i) for i in range(count)]


async def _tenants(session: AsyncSession, ids: list[uuid.UUID]) -> list[Tenant]:
    rows = await session.execute(select(Tenant).where(Tenant.id.in_(ids)).order_by(Tenant.name))
    return list(rows.scalars())


def totals(rows: list[AttainmentRow]) -> dict[tuple[uuid.UUID, str], tuple[int, int]]:
    """(tenant, month) → (met, breached) over all services."""
    out: dict[tuple[uuid.UUID, str], tuple[int, int]] = {}
    for r in rows:
        met, breached = out.get((r.tenant_id, r.month), (0, 0))
        out[(r.tenant_id, r.month)] = (met + r.met, breached + r.breached)
    return out


@get("/portal/sla", include_in_schema=False, opt={"action": Action.SLA_READ, "page": True})
async def portal_sla(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    tenant_id: uuid.UUID | None = None,
    month: str | None = None,
) -> Template:
    principal = require_principal(request)
    readable = [t for t in principal.scope.tenant_ids if allows(principal, Action.SLA_READ, t)]
    tenants = await _tenants(db_session, readable)
    chosen = tenant_id or (tenants[0].id if tenants else None)
    if chosen is None or chosen not in {t.id for t in tenants}:
        raise NotFound("no such company")
    last = month or this_month()
    try:
        months = month_list(last, PORTAL_MONTHS)
    except ValueError:
        raise NotFound("no such month") from None
    rows = await attainment(db_session, [chosen], months[0], last)
    sums = totals(rows)
    points: list[tuple[str, Decimal | None]] = [
        (m, percent(*sums.get((chosen, m), (0, 0)))) for m in months
    ]
    return render(
        request,
        "sla/portal.html",
        {
            "tenants": tenants,
            "tenant_id": chosen,
            "rows": rows,
            "chart": bar_chart(points),
            "points": points,
            "first": months[0],
            "last": last,
        },
    )


@get("/console/sla", include_in_schema=False, opt={"action": Action.SLA_READ, "page": True})
async def console_sla(
    request: Request[Any, Any, Any], db_session: AsyncSession, month: str | None = None
) -> Template:
    principal = require_principal(request)
    if principal.user_kind != "operator":
        raise Forbidden("the console is for operators")
    readable = [t for t in principal.scope.tenant_ids if allows(principal, Action.SLA_READ, t)]
    tenants = await _tenants(db_session, readable)
    last = month or this_month()
    try:
        months = month_list(last, CONSOLE_MONTHS)
    except ValueError:
        raise NotFound("no such month") from None
    rows = await attainment(db_session, [t.id for t in tenants], months[0], last)
    sums = totals(rows)
    grid = []
    for t in tenants:
        cells = []
        for m in months:
            met, breached = sums.get((t.id, m), (0, 0))
            pct = percent(met, breached)
            cells.append(
                {"month": m, "met": met, "breached": breached, "percent": pct,
                 "level": level(pct), "colour": COLOURS[level(pct)]}
            )  # fmt: skip
        grid.append({"tenant": t, "cells": cells})
    return render(
        request,
        "sla/console.html",
        {
            "months": months,
            "grid": grid,
            "first": months[0],
            "last": last,
            "can_edit_calendar": principal.is_ops_admin
            or any(allows(principal, Action.SLA_MANAGE, t.id) for t in tenants),
        },
    )


async def _calendar_tenants(session: AsyncSession, principal: Principal) -> list[Tenant]:
    """Leads edit their tenants' calendars; ops_admin any tenant's."""
    if principal.user_kind != "operator":
        raise Forbidden("the console is for operators")
    query = select(Tenant).order_by(Tenant.name)
    if not principal.is_ops_admin:
        query = query.where(Tenant.id.in_(list(principal.scope.tenant_ids)))
    tenants = [
        t
        for t in (await session.execute(query)).scalars()
        if principal.is_ops_admin or allows(principal, Action.SLA_MANAGE, t.id)
    ]
    if not tenants:
        raise Forbidden("sla:manage is not allowed")
    return tenants


@get("/console/sla/calendar", include_in_schema=False, opt={"action": Action.SELF, "page": True})
async def calendar_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: uuid.UUID | None = None
) -> Template:
    principal = require_principal(request)
    tenants = await _calendar_tenants(db_session, principal)
    chosen = next((t for t in tenants if t.id == (tenant_id or tenants[0].id)), None)
    if chosen is None:
        raise NotFound("no such company")
    spec = calendar_edit.spec_of(chosen)
    team = (await db_session.execute(select(OperatorDayOff).order_by(OperatorDayOff.day))).scalars()
    return render(
        request,
        "sla/calendar.html",
        {
            "tenants": tenants,
            "tenant": chosen,
            "spec": spec,
            "team_days": list(team),
            "may_edit_team": principal.is_ops_admin,
        },
    )


@post("/console/sla/calendar", include_in_schema=False, opt={"action": Action.SELF, "page": True})
async def calendar_save(
    request: Request[Any, Any, Any], db_session: AsyncSession, runtime: Runtime
) -> Redirect:
    principal = require_principal(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    tenants = await _calendar_tenants(db_session, principal)
    try:
        tenant_id = uuid.UUID(form.get("tenant_id", ""))
    except ValueError:
        raise NotFound("no such company") from None
    if tenant_id not in {t.id for t in tenants}:
        raise NotFound("no such company")
    op = form.get("op", "")
    response = Redirect(f"/console/sla/calendar?tenant_id={tenant_id}", status_code=303)

    def edit(spec: Any) -> Any:
        if op == "add_closure":
            return calendar_edit.add_closure(
                spec, form.get("label", ""), form.get("start", ""), form.get("end", "")
            )
        if op == "add_day_off":
            return calendar_edit.add_day_off(spec, form.get("day", ""))
        if op == "set_hours":
            return calendar_edit.set_working_hours(
                spec, form.get("work_start", ""), form.get("work_end", "")
            )
        if op in ("remove_closure", "remove_day_off"):
            index = int(form.get("index", "-1")) if form.get("index", "").isdigit() else -1
            return calendar_edit.remove(spec, op.removeprefix("remove_").replace("_off", ""), index)
        raise NotFound("no such change")

    try:
        # In the tenant's own scope: ops_admin is not assigned to it, and the audit
        # event must land in that tenant's chain.
        async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
            await calendar_edit.save_calendar(session, principal, tenant_id, op, edit)
        flash(request, response, "success", gettext("The calendar was saved."))
    except DaikoError as exc:
        if isinstance(exc, NotFound):
            raise
        flash(request, response, "error", exc.detail)
    return response


@post(
    "/console/sla/team-calendar",
    include_in_schema=False,
    opt={"action": Action.PLATFORM_TENANTS, "page": True},
)
async def team_calendar_save(request: Request[Any, Any, Any], db_session: AsyncSession) -> Redirect:
    """ops_admin: add or remove a day the operator team does not work. Every tenant's
    open clocks pick it up at the next policy-drift recompute (within five minutes)."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    response = Redirect("/console/sla/calendar", status_code=303)
    try:
        day = dt.date.fromisoformat(form.get("day", ""))
    except ValueError:
        flash(request, response, "error", gettext("Give the day as 2026-12-28."))
        return response
    if form.get("op") == "remove":
        await db_session.execute(delete(OperatorDayOff).where(OperatorDayOff.day == day))
        flash(request, response, "success", gettext("The team works again on %(day)s.", day=day))
        return response
    label = (form.get("label") or "").strip()[:200] or gettext("Team day off")
    await db_session.execute(
        pg_insert(OperatorDayOff)
        .values(day=day, label=label)
        .on_conflict_do_update(index_elements=[OperatorDayOff.day], set_={"label": label})
    )
    log.info(
        "operator team day off set", day=day.isoformat(), by=str(require_principal(request).user_id)
    )
    flash(request, response, "success", gettext("The team is off on %(day)s.", day=day))
    return response


routes = [portal_sla, console_sla, calendar_page, calendar_save, team_calendar_save]
