"""SLA API: a case's clocks (contractual beside statutory), attainment reports (JSON
and CSV) and policy overrides.

A case is loaded through the request's tenant-scoped session, so another tenant's case
is a 404 before any permission is checked."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, put
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, allows, authorize, require_principal
from daiko.auth.principal import Principal
from daiko.cases import repository as cases_repo
from daiko.errors import InvalidInput, NotFound
from daiko.sla import repository as repo
from daiko.sla import service
from daiko.sla.reports import attainment, months_back, parse_month, to_csv
from daiko.sla.schemas import (
    AttainmentOut,
    AttainmentReport,
    CaseSla,
    ClockOut,
    PolicyList,
    PolicyOut,
    PolicyOverrideIn,
)

SERVICES = ("payroll", "bookkeeping", "social_insurance", "general")
PRIORITIES = ("urgent", "high", "normal", "low")


def readable_tenants(principal: Principal, tenant_id: uuid.UUID | None) -> list[uuid.UUID]:
    """The tenants whose SLA figures the principal may read (one, when asked for)."""
    ids = [t for t in principal.scope.tenant_ids if allows(principal, Action.SLA_READ, t)]
    if tenant_id is not None:
        if tenant_id not in principal.scope:
            raise NotFound("no such tenant")
        authorize(principal, Action.SLA_READ, tenant_id)
        return [tenant_id]
    return ids


def month_range(month: str | None, first: str | None, months: int) -> tuple[str, str]:
    try:
        last = month or first
        if last is None:
            raise InvalidInput.field("month", "required (YYYY-MM)")
        parse_month(last)
        if first is not None and month is not None:
            parse_month(first)
            return first, month
        return months_back(last, months), last
    except ValueError as exc:
        raise InvalidInput.field("month", str(exc)) from None


async def _report(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    tenant_id: uuid.UUID | None,
    month: str | None,
    first: str | None,
    months: int,
    service_: str | None,
) -> tuple[str, str, list[Any]]:
    principal = require_principal(request)
    tenants = readable_tenants(principal, tenant_id)
    if service_ is not None and service_ not in SERVICES:
        raise InvalidInput.field("service", f"one of {', '.join(SERVICES)}")
    lo, hi = month_range(month, first, months)
    return lo, hi, await attainment(session, tenants, lo, hi, service_)


class SlaController(Controller):
    path = "/api/v1"
    tags = ["sla"]

    @get("/cases/{case_id:uuid}/sla", opt={"action": Action.SLA_READ})
    async def case_sla(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, case_id: uuid.UUID
    ) -> CaseSla:
        """The case's SLA clocks now: contractual targets, and statutory deadlines beside them."""
        principal = require_principal(request)
        case = await cases_repo.get_case(db_session, case_id)
        if case is None or case.tenant_id not in principal.scope:
            raise NotFound("no such case")
        authorize(principal, Action.SLA_READ, case.tenant_id)
        views = await service.clocks_for_case(db_session, case)
        return CaseSla(
            case_id=case.id,
            due_at=case.due_at,
            statutory_due_at=case.statutory_due_at,
            contractual=[ClockOut.of(v) for v in views if v.kind == "contractual"],
            statutory=[ClockOut.of(v) for v in views if v.kind == "statutory"],
        )

    @get("/sla/attainment", opt={"action": Action.SLA_READ})
    async def attainment_report(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        month: str | None = Parameter(default=None, description="last month, YYYY-MM"),
        first: str | None = Parameter(default=None, description="first month, YYYY-MM"),
        months: int = Parameter(default=1, ge=1, le=36),
        tenant_id: uuid.UUID | None = None,
        service_: str | None = Parameter(default=None, query="service"),
    ) -> AttainmentReport:
        """Attainment per tenant × service × month: contractual clocks met and breached,
        the median business hours to completion, statutory deadlines met and missed."""
        lo, hi, rows = await _report(request, db_session, tenant_id, month, first, months, service_)
        return AttainmentReport(
            first_month=lo, last_month=hi, items=[AttainmentOut.of(r) for r in rows]
        )

    @get("/sla/attainment.csv", opt={"action": Action.SLA_READ})
    async def attainment_csv(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        month: str | None = Parameter(default=None, description="last month, YYYY-MM"),
        first: str | None = Parameter(default=None, description="first month, YYYY-MM"),
        months: int = Parameter(default=1, ge=1, le=36),
        tenant_id: uuid.UUID | None = None,
        service_: str | None = Parameter(default=None, query="service"),
    ) -> Response[str]:
        """The attainment report as CSV."""
        lo, hi, rows = await _report(request, db_session, tenant_id, month, first, months, service_)
        return Response(
            to_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="sla-attainment-{lo}-{hi}.csv"'},
        )

    @get("/sla/policies", opt={"action": Action.SLA_READ})
    async def policies(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: uuid.UUID
    ) -> PolicyList:
        """The tenant's effective SLA policy per service × priority."""
        principal = require_principal(request)
        readable_tenants(principal, tenant_id)
        tenant = await repo.tenant_sla(db_session, tenant_id)
        overrides = await repo.overrides(db_session, tenant_id)
        return PolicyList(
            tenant_id=tenant_id,
            items=[
                PolicyOut.of(
                    service.effective_policy(tenant, s, p, overrides.get((s, p))),
                    (s, p) in overrides,
                )
                for s in SERVICES
                for p in PRIORITIES
            ],
        )

    @put("/sla/policies", opt={"action": Action.SLA_MANAGE})
    async def set_policy(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: PolicyOverrideIn
    ) -> PolicyOut:
        """Override one service × priority of a tenant's policy (leads); open clocks are
        recomputed at once."""
        principal = require_principal(request)
        if data.tenant_id not in principal.scope:
            raise NotFound("no such tenant")
        authorize(principal, Action.SLA_MANAGE, data.tenant_id)
        values = {f: getattr(data, f) for f in service.OVERRIDE_FIELDS}
        for name in ("first_response_hours", "acceptance_hours"):
            hours = values[name]
            if hours is not None and not (0 < hours <= 9999 and hours == round(hours, 2)):
                raise InvalidInput.field(name, "more than 0, at most 9999, two decimals")
        await service.set_override(
            db_session, principal, data.tenant_id, data.service, data.priority, values
        )
        tenant = await repo.tenant_sla(db_session, data.tenant_id)
        overrides = await repo.overrides(db_session, data.tenant_id)
        key = (data.service, data.priority)
        return PolicyOut.of(
            service.effective_policy(tenant, data.service, data.priority, overrides.get(key)),
            True,
        )


routes = [SlaController]
