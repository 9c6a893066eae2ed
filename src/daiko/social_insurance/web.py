"""Pages of social insurance: the operators' procedures (per case, with their forms, the
filing and submission buttons, and the office's answers incl. 返戻 with the official
reply), the 算定基礎 and 月額変更 review lists with approve/dismiss, and in the portal the
status of every procedure per employee.

Every change runs in a savepoint; a refused one flashes the reason and leaves nothing
behind when the page redirects (a 303 commits the request's transaction).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, allows, authorize, require_principal
from daiko.auth.principal import Principal
from daiko.employees.models import Employee
from daiko.errors import DaikoError, Forbidden, InvalidInput, NotFound
from daiko.social_insurance import catalogue, service
from daiko.social_insurance import repository as repo
from daiko.social_insurance.models import PROCEDURE_STATUSES, SiProcedure
from daiko.tenancy.models import Tenant
from daiko.web.flash import flash
from daiko.web.i18n import gettext
from daiko.web.shell import render
from daiko.web.vocabulary import N_

PAGE_SIZE = 100
STATUS_LABELS = {
    "draft": N_("Draft"),
    "ready": N_("Forms ready"),
    "submitted": N_("Submitted"),
    "arrived": N_("Arrived"),
    "under_review": N_("Under review"),
    "completed": N_("Completed"),
    "returned": N_("Returned"),
    "cancelled": N_("Cancelled"),
}


def status_label(code: str) -> str:
    return gettext(STATUS_LABELS.get(code, code))


def _operator(principal: Principal) -> Principal:
    if principal.user_kind != "operator":
        raise Forbidden("the console is for operators")
    return principal


def _uuid(value: str | None, field: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput.field(field, "not an id") from None


def _text(form: Any, name: str) -> str | None:
    value = form.get(name)
    text = str(value).strip() if value is not None else ""
    return text or None


async def _tenants(session: AsyncSession, principal: Principal) -> list[Tenant]:
    ids = list(principal.scope.tenant_ids)
    if not ids:
        return []
    stmt = select(Tenant).where(Tenant.id.in_(ids)).order_by(Tenant.name)
    return list((await session.execute(stmt)).scalars())


async def _names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    stmt = select(Employee).where(Employee.id.in_(list(ids)))
    return {e.id: f"{e.code} {e.full_name}" for e in (await session.execute(stmt)).scalars()}


async def _attempt(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    response: Redirect,
    change: Callable[[], Awaitable[str]],
) -> Redirect:
    try:
        async with session.begin_nested():
            message = await change()
    except DaikoError as exc:
        flash(
            request,
            response,
            "error",
            gettext("The change was not made: %(detail)s", detail=exc.detail or exc.title),
        )
    else:
        flash(request, response, "success", message)
    return response


def _context() -> dict[str, Any]:
    return {
        "status_label": status_label,
        "spec": lambda kind: catalogue.SPECS[kind],
    }


# --------------------------------------------------------------------------- console


@get(
    "/console/social-insurance",
    include_in_schema=False,
    opt={"action": Action.CASES_WORK, "page": True},
)
async def console_procedures(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    tenant: str | None = None,
    status: str | None = None,
    case: str | None = None,
) -> Template:
    """Procedures across the operator's tenants, with the review lists."""
    principal = _operator(require_principal(request))
    if status and status not in PROCEDURE_STATUSES:
        raise InvalidInput.field("status", f"one of {', '.join(PROCEDURE_STATUSES)}")
    procedures = await repo.list_procedures(
        db_session,
        repo.ProcedureFilter(
            tenant_id=_uuid(tenant, "tenant"), case_id=_uuid(case, "case"), status=status or None
        ),
        after=None,
        limit=PAGE_SIZE,
    )
    reviews = await repo.list_reviews(
        db_session, tenant_id=_uuid(tenant, "tenant"), kind=None, after=None, limit=PAGE_SIZE
    )
    tenants = await _tenants(db_session, principal)
    return render(
        request,
        "social_insurance/console_list.html",
        {
            **_context(),
            "procedures": procedures,
            "reviews": reviews,
            "tenants": tenants,
            "tenant_names": {t.id: t.name for t in tenants},
            "names": await _names(db_session, {p.employee_id for p in procedures if p.employee_id}),
            "statuses": PROCEDURE_STATUSES,
            "filters": {"tenant": tenant or "", "status": status or "", "case": case or ""},
        },
    )


async def _procedure(
    session: AsyncSession, principal: Principal, procedure_id: uuid.UUID
) -> SiProcedure:
    procedure = await repo.get_procedure(session, procedure_id, for_update=True)
    if procedure is None:
        raise NotFound("no such procedure")
    authorize(principal, Action.CASES_WORK, procedure.tenant_id)
    return procedure


@get(
    "/console/social-insurance/procedures/{procedure_id:uuid}",
    include_in_schema=False,
    opt={"action": Action.CASES_WORK, "page": True},
)
async def console_procedure(
    request: Request[Any, Any, Any], db_session: AsyncSession, procedure_id: uuid.UUID
) -> Template:
    principal = _operator(require_principal(request))
    procedure = await _procedure(db_session, principal, procedure_id)
    names = await _names(db_session, {procedure.employee_id} if procedure.employee_id else set())
    return render(
        request,
        "social_insurance/console_procedure.html",
        {
            **_context(),
            "p": procedure,
            "employee": names.get(procedure.employee_id) if procedure.employee_id else None,
            "history": await repo.events_of(db_session, procedure),
            "documents": await repo.documents_of(db_session, procedure),
            "recordable": [s for s in service.RECORDABLE if s in service.MOVES[procedure.status]],
            "fileable": procedure.status in ("draft", "ready", "returned"),
        },
    )


@post(
    "/console/social-insurance/procedures/{procedure_id:uuid}/filing",
    include_in_schema=False,
    opt={"action": Action.CASES_WORK, "page": True},
)
async def console_file(
    request: Request[Any, Any, Any], db_session: AsyncSession, procedure_id: uuid.UUID
) -> Redirect:
    principal = _operator(require_principal(request))
    procedure = await _procedure(db_session, principal, procedure_id)
    form = await request.form()
    submit = _text(form, "submit") == "1"
    response = Redirect(f"/console/social-insurance/procedures/{procedure.id}", status_code=303)

    async def change() -> str:
        await service.request_filing(db_session, principal, procedure, submit=submit)
        return (
            gettext("The forms are being generated and submitted.")
            if submit
            else gettext("The forms are being generated.")
        )

    return await _attempt(request, db_session, response, change)


@post(
    "/console/social-insurance/procedures/{procedure_id:uuid}/status",
    include_in_schema=False,
    opt={"action": Action.CASES_WORK, "page": True},
)
async def console_status(
    request: Request[Any, Any, Any], db_session: AsyncSession, procedure_id: uuid.UUID
) -> Redirect:
    principal = _operator(require_principal(request))
    procedure = await _procedure(db_session, principal, procedure_id)
    form = await request.form()
    response = Redirect(f"/console/social-insurance/procedures/{procedure.id}", status_code=303)

    async def change() -> str:
        await service.record_status(
            db_session,
            principal,
            procedure,
            _text(form, "status") or "",
            note=_text(form, "note"),
            document_id=_uuid(_text(form, "document_id"), "document_id"),
        )
        return gettext("Recorded: %(status)s", status=status_label(procedure.status))

    return await _attempt(request, db_session, response, change)


@post(
    "/console/social-insurance/procedures/{procedure_id:uuid}/poll",
    include_in_schema=False,
    opt={"action": Action.CASES_WORK, "page": True},
)
async def console_poll(
    request: Request[Any, Any, Any], db_session: AsyncSession, procedure_id: uuid.UUID
) -> Redirect:
    from daiko.social_insurance.filing import apply_status

    principal = _operator(require_principal(request))
    procedure = await _procedure(db_session, principal, procedure_id)
    response = Redirect(f"/console/social-insurance/procedures/{procedure.id}", status_code=303)

    async def change() -> str:
        try:
            await apply_status(db_session, procedure)
        except LookupError as exc:
            raise InvalidInput.field("egov", str(exc)) from None
        return gettext("e-Gov says: %(status)s", status=status_label(procedure.status))

    return await _attempt(request, db_session, response, change)


@post(
    "/console/social-insurance/reviews",
    include_in_schema=False,
    opt={"action": Action.CASES_WORK, "page": True},
)
async def console_start_review(
    request: Request[Any, Any, Any], db_session: AsyncSession
) -> Redirect:
    principal = _operator(require_principal(request))
    form = await request.form()
    response = Redirect("/console/social-insurance", status_code=303)

    async def change() -> str:
        tenant_id = _uuid(_text(form, "tenant_id"), "tenant_id")
        if tenant_id is None or not allows(principal, Action.CASES_WORK, tenant_id):
            raise InvalidInput.field("tenant_id", "choose a company you work for")
        await service.request_review(
            db_session, principal, tenant_id, _text(form, "kind") or "", _text(form, "period") or ""
        )
        return gettext("The review list is being built from the approved payroll results.")

    return await _attempt(request, db_session, response, change)


@get(
    "/console/social-insurance/reviews/{review_id:uuid}",
    include_in_schema=False,
    opt={"action": Action.CASES_WORK, "page": True},
)
async def console_review(
    request: Request[Any, Any, Any], db_session: AsyncSession, review_id: uuid.UUID
) -> Template:
    principal = _operator(require_principal(request))
    review = await repo.get_review(db_session, review_id)
    if review is None:
        raise NotFound("no such review")
    authorize(principal, Action.CASES_WORK, review.tenant_id)
    items = await repo.items_of(db_session, review)
    return render(
        request,
        "social_insurance/console_review.html",
        {
            **_context(),
            "review": review,
            "items": items,
            "names": await _names(db_session, {i.employee_id for i in items}),
        },
    )


@post(
    "/console/social-insurance/reviews/{review_id:uuid}/items/{review_item_id:uuid}/decision",
    include_in_schema=False,
    opt={"action": Action.CASES_WORK, "page": True},
)
async def console_decide(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    review_id: uuid.UUID,
    review_item_id: uuid.UUID,
) -> Redirect:
    principal = _operator(require_principal(request))
    item = await repo.get_item(db_session, review_item_id, for_update=True)
    if item is None or item.review_id != review_id:
        raise NotFound("no such review item")
    authorize(principal, Action.CASES_WORK, item.tenant_id)
    form = await request.form()
    decision = _text(form, "decision")
    response = Redirect(f"/console/social-insurance/reviews/{review_id}", status_code=303)

    async def change() -> str:
        if decision not in ("approve", "dismiss"):
            raise InvalidInput.field("decision", "approve or dismiss")
        await service.decide_item(db_session, principal, item, decision)  # type: ignore[arg-type]
        return (
            gettext("Approved: the new grade is recorded.")
            if decision == "approve"
            else gettext("Dismissed.")
        )

    return await _attempt(request, db_session, response, change)


# --------------------------------------------------------------------------- portal


@get(
    "/portal/social-insurance",
    include_in_schema=False,
    opt={"action": Action.SOCIAL_INSURANCE_READ, "page": True},
)
async def portal_procedures(request: Request[Any, Any, Any], db_session: AsyncSession) -> Template:
    """Every procedure of the client's employees, with its status and due date."""
    require_principal(request)
    procedures = await repo.list_procedures(
        db_session, repo.ProcedureFilter(), after=None, limit=PAGE_SIZE * 5
    )
    names = await _names(db_session, {p.employee_id for p in procedures if p.employee_id})
    by_employee: dict[str, list[SiProcedure]] = {}
    for p in procedures:
        key = names.get(p.employee_id, "") if p.employee_id else gettext("Whole office")
        by_employee.setdefault(key, []).append(p)
    return render(
        request,
        "social_insurance/portal_list.html",
        {**_context(), "groups": sorted(by_employee.items())},
    )


routes = [
    console_procedures,
    console_procedure,
    console_file,
    console_status,
    console_poll,
    console_start_review,
    console_review,
    console_decide,
    portal_procedures,
]
