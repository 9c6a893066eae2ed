"""Pages of the cases domain: the client's cases and its "new request" form in the
portal, the operators' queue across their tenants in the console (with bulk
assignment), and one case page both sides share: timeline, messages, checklist,
deliverables and the status changes this user may make.

Forms carry the case's version, read as If-Match: a form left open while someone else
changed the case is refused ("reload"), never applied over their change. Every change
runs in a savepoint, so a refused one leaves nothing behind when the page redirects
(a 303 commits the request's transaction).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, allows, authorize, require_principal
from daiko.auth.principal import Principal
from daiko.cases import repository as repo
from daiko.cases import service
from daiko.cases.models import CASE_TYPES, CHECKLIST_KINDS, PRIORITIES, SERVICES, Case
from daiko.cases.states import STATUSES
from daiko.documents import repository as documents
from daiko.documents.models import Document
from daiko.errors import DaikoError, Forbidden, InvalidInput, NotFound
from daiko.pagination import cursor_after
from daiko.runtime import Runtime
from daiko.tenancy.models import OperatorAssignment, Tenant, User
from daiko.web import dashboard
from daiko.web.flash import flash
from daiko.web.i18n import gettext
from daiko.web.shell import render
from daiko.web.vocabulary import CASE_TRANSITION_LABELS, CASE_TYPE_LABELS, SLA_STATE_LABELS

PAGE_SIZE = 100
# A due time this close turns the queue's badge to a warning (the SLA clocks keep the
# contractual thresholds; the queue only needs a glance).
WARNING_WINDOW = timedelta(hours=24)
PERIOD_PATTERN = r"^[0-9]{4}(-(0[1-9]|1[0-2]))?$"
SLA_FILTER_STATES = ("breached", "warning", "ok")


def _operator(principal: Principal) -> bool:
    return principal.user_kind == "operator"


def type_label(code: str) -> str:
    label = CASE_TYPE_LABELS.get(code)
    return gettext(label) if label else code


def transition_label(name: str) -> str:
    label = CASE_TRANSITION_LABELS.get(name)
    return gettext(label) if label else name


def due_badge(case: Case, now: datetime | None = None) -> dict[str, str] | None:
    """Time left until the case's due time, and the badge colour: breached once past,
    warning within `WARNING_WINDOW`."""
    if case.due_at is None:
        return None
    now = now or datetime.now(UTC)
    due = case.due_at if case.due_at.tzinfo else case.due_at.replace(tzinfo=UTC)
    left = due - now
    if left <= timedelta(0):
        late = -left
        text = gettext("overdue by %(time)s", time=_duration(late))
        return {"level": "breached", "text": text}
    text = gettext("%(time)s left", time=_duration(left))
    return {"level": "warning" if left <= WARNING_WINDOW else "ok", "text": text}


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return gettext("%(d)sd %(h)sh", d=days, h=hours)
    if hours:
        return gettext("%(h)sh %(m)sm", h=hours, m=mins)
    return gettext("%(m)sm", m=mins)


def _countdown_texts() -> dict[str, str]:
    """The badge texts the page's countdown script fills in (translated here, so the
    script needs no catalog): placeholders {d} {h} {m} and {time}."""
    return {
        "left": gettext("%(time)s left", time="{time}"),
        "overdue": gettext("overdue by %(time)s", time="{time}"),
        "dh": gettext("%(d)sd %(h)sh", d="{d}", h="{h}"),
        "hm": gettext("%(h)sh %(m)sm", h="{h}", m="{m}"),
        "m": gettext("%(m)sm", m="{m}"),
        "warning_seconds": str(int(WARNING_WINDOW.total_seconds())),
    }


def _choice(value: str | None, allowed: Sequence[str], field: str) -> str | None:
    if not value:
        return None
    if value not in allowed:
        raise InvalidInput.field(field, f"must be one of {', '.join(allowed)}")
    return value


def _uuid(value: str | None, field: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput.field(field, "not an id") from None


async def _page(
    session: AsyncSession, where: repo.CaseFilter, after: str | None
) -> tuple[list[Case], str | None]:
    """One page of cases and the cursor of the next one (None on the last page)."""
    position = cursor_after(after, datetime, "after")
    rows = list(await repo.list_cases(session, where, after=position, limit=PAGE_SIZE + 1))
    page = rows[:PAGE_SIZE]
    return page, repo.case_cursor(page[-1]) if len(rows) > PAGE_SIZE else None


async def _tenants(session: AsyncSession, principal: Principal) -> list[Tenant]:
    ids = list(principal.scope.tenant_ids)
    rows = await session.execute(select(Tenant).where(Tenant.id.in_(ids)).order_by(Tenant.name))
    return list(rows.scalars())


async def _user_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(User.id, User.display_name, User.email).where(User.id.in_(list(ids)))
    )
    return {r.id: r.display_name or r.email for r in rows}


async def _operators(
    session: AsyncSession, tenant_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, str]]:
    """Active operators assigned to any of the tenants (the assignee choices)."""
    if not tenant_ids:
        return []
    rows = await session.execute(
        select(User.id, User.display_name, User.email)
        .join(OperatorAssignment, OperatorAssignment.user_id == User.id)
        .where(OperatorAssignment.tenant_id.in_(list(tenant_ids)), User.is_active.is_(True))
        .distinct()
        .order_by(User.display_name, User.id)
    )
    return [(r.id, r.display_name or r.email) for r in rows]


async def _case_or_404(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, *, for_update: bool = False
) -> Case:
    case = await repo.get_case(session, case_id, for_update=for_update)
    if case is None or case.tenant_id not in principal.scope:
        raise NotFound("no such case")
    authorize(principal, Action.CASES_READ, case.tenant_id)
    return case


async def _case_form(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    case_id: uuid.UUID,
    anchor: str = "",
    *,
    for_update: bool = False,
) -> tuple[Principal, Case, Any, Redirect]:
    """What every form post on a case page starts with: who, the case (404 across
    tenants), the form, and the redirect back to the case page (303, at `anchor`)."""
    principal = require_principal(request)
    case = await _case_or_404(session, principal, case_id, for_update=for_update)
    form = await request.form()
    return principal, case, form, Redirect(f"/cases/{case.id}{anchor}", status_code=303)


def _form_value(form: Any, name: str) -> str | None:
    value = form.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _error_text(exc: DaikoError) -> str:
    """What the page says when the service refuses a change."""
    if isinstance(exc, service.PreconditionFailed | service.PreconditionRequired):
        return gettext("Someone else changed this case; reload it and try again.")
    if isinstance(exc, service.IllegalTransition):
        return gettext("This status change is not possible from the case's current status.")
    if isinstance(exc, service.FourEyesViolation):
        return gettext("You sent this case to review; another lead must approve and deliver it.")
    if isinstance(exc, Forbidden):
        return gettext("You may not do this.")
    detail = exc.detail or exc.title
    if isinstance(exc, InvalidInput):
        return gettext("The input is not valid: %(detail)s", detail=detail)
    return gettext("The change was not made: %(detail)s", detail=detail)


async def _attempt(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    response: Redirect,
    change: Callable[[], Awaitable[str]],
) -> Redirect:
    """Run `change` in a savepoint; flash its success message or the readable refusal."""
    try:
        async with session.begin_nested():
            message = await change()
    except DaikoError as exc:
        flash(request, response, "error", _error_text(exc))
    else:
        flash(request, response, "success", message)
    return response


def _check_version(case: Case, version: str | None) -> None:
    """The form's hidden version, read as If-Match."""
    if version is None:
        raise service.PreconditionRequired()
    service.check_if_match(case, f'"{version}"', required=True)


# --------------------------------------------------------------------------- portal


def _requestable(principal: Principal, tenants: list[Tenant]) -> list[dict[str, Any]]:
    """Per tenant the client may submit for: the case types of its subscribed services."""
    out = []
    for tenant in tenants:
        if not allows(principal, Action.CASES_SUBMIT, tenant.id):
            continue
        subscribed = set(tenant.services or []) | {"general"}
        types = [t for t, s in CASE_TYPES.items() if s in subscribed]
        out.append({"tenant": tenant, "types": types})
    return out


@get("/portal/cases", include_in_schema=False, opt={"action": Action.CASES_READ, "page": True})
async def portal_cases(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    status: str | None = None,
    type_: Annotated[str | None, QueryParameter(name="type")] = None,
    period: str | None = None,
    after: str | None = None,
) -> Template | Redirect:
    """The client's cases, nearest due time first, and the new request form."""
    principal = require_principal(request)
    if _operator(principal):
        return Redirect("/console/cases")
    period = (period or "").strip() or None
    if period is not None and not re.match(PERIOD_PATTERN, period):
        raise InvalidInput.field("period", "must be like 2026-11 or 2026")
    rows, next_after = await _page(
        db_session,
        repo.CaseFilter(
            type=_choice(type_, tuple(CASE_TYPES), "type"),
            statuses=[s] if (s := _choice(status, STATUSES, "status")) else (),
            period=period,
        ),
        after,
    )
    tenants = await _tenants(db_session, principal)
    return render(
        request,
        "cases/portal_list.html",
        {
            "cases": rows,
            "tenant_names": {t.id: t.name for t in tenants},
            "requestable": _requestable(principal, tenants),
            "statuses": STATUSES,
            "types": tuple(CASE_TYPES),
            "filters": {"status": status or "", "type": type_ or "", "period": period or ""},
            "next_after": next_after,
            "type_label": type_label,
            "due_badge": due_badge,
        },
    )


@post("/portal/cases", include_in_schema=False, opt={"action": Action.CASES_SUBMIT, "page": True})
async def submit_request(request: Request[Any, Any, Any], db_session: AsyncSession) -> Redirect:
    """A new request from the client: opens a submitted case."""
    principal = require_principal(request)
    form = await request.form()
    response = Redirect("/portal/cases", status_code=303)
    created: list[Case] = []

    async def change() -> str:
        tenant_id = _uuid(_form_value(form, "tenant_id"), "tenant_id")
        if tenant_id is None or tenant_id not in principal.scope:
            raise InvalidInput.field("tenant_id", "choose your company")
        case_type = _choice(_form_value(form, "type"), tuple(CASE_TYPES), "type")
        title = _form_value(form, "title")
        if case_type is None:
            raise InvalidInput.field("type", "choose what you need")
        if title is None or len(title) > 200:
            raise InvalidInput.field("title", "between 1 and 200 characters")
        pay_group = _form_value(form, "pay_group")
        if case_type == "payroll" and pay_group is None:
            raise InvalidInput.field("pay_group", "a payroll case names its pay group")
        period = _form_value(form, "period")
        if period is not None and not re.match(PERIOD_PATTERN, period):
            raise InvalidInput.field("period", "must be like 2026-11 or 2026")
        case = await service.open_case(
            db_session,
            principal,
            service.NewCase(
                tenant_id=tenant_id,
                type=case_type,
                title=title,
                description=_form_value(form, "description"),
                period=period,
                pay_group=pay_group,
                status="submitted",
            ),
        )
        created.append(case)
        return gettext("Your request was sent.")

    await _attempt(request, db_session, response, change)
    if created:
        response = _moved(response, f"/cases/{created[0].id}")
    return response


def _moved(response: Redirect, target: str) -> Redirect:
    """The same redirect (and its flash cookie) to another place."""
    moved = Redirect(target, status_code=303)
    moved.cookies.extend(response.cookies)
    return moved


# --------------------------------------------------------------------------- console


@get("/console/cases", include_in_schema=False, opt={"action": Action.CASES_WORK, "page": True})
async def console_cases(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    tenant: str | None = None,
    service_: Annotated[str | None, QueryParameter(name="service")] = None,
    status: str | None = None,
    assignee: str | None = None,
    priority: str | None = None,
    sla: str | None = None,
    after: str | None = None,
) -> Template:
    """The queue across the operator's tenants, nearest due time first."""
    principal = require_principal(request)
    if not _operator(principal):
        raise Forbidden("the console is for operators")
    tenant_id = _uuid(tenant, "tenant")
    assignee_id: uuid.UUID | None = None
    unassigned = False
    if assignee == "mine":
        assignee_id = principal.user_id
    elif assignee == "unassigned":
        unassigned = True
    else:
        assignee_id = _uuid(assignee, "assignee")
    s = _choice(status, STATUSES, "status")
    rows, next_after = await _page(
        db_session,
        repo.CaseFilter(
            tenant_id=tenant_id,
            service=_choice(service_, SERVICES, "service"),
            statuses=[s] if s else (),
            assignee_id=assignee_id,
            unassigned=unassigned,
            priority=_choice(priority, PRIORITIES, "priority"),
            sla_state=_choice(sla, SLA_FILTER_STATES, "sla"),
        ),
        after,
    )
    tenants = await _tenants(db_session, principal)
    assignable = [t.id for t in tenants if allows(principal, Action.CASES_ASSIGN, t.id)]
    operators = await _operators(db_session, [t.id for t in tenants])
    names = dict(operators) | await _user_names(
        db_session, {c.assignee_id for c in rows if c.assignee_id}
    )
    now = datetime.now(UTC)
    return render(
        request,
        "cases/console_queue.html",
        {
            "cases": rows,
            "tenants": tenants,
            "tenant_names": {t.id: t.name for t in tenants},
            "may_assign": bool(assignable),
            "operators": operators,
            "names": names,
            "statuses": STATUSES,
            "services": SERVICES,
            "priorities": PRIORITIES,
            "filters": {
                "tenant": tenant or "",
                "service": service_ or "",
                "status": status or "",
                "assignee": assignee or "",
                "priority": priority or "",
                "sla": sla or "",
            },
            "sla_states": [(s, gettext(SLA_STATE_LABELS[s])) for s in SLA_FILTER_STATES],
            "sla_of": await dashboard.sla_states(db_session, [c.id for c in rows]),
            "sla_label": lambda s: gettext(SLA_STATE_LABELS[s]) if s in SLA_STATE_LABELS else "",
            "countdown": _countdown_texts(),
            "next_after": next_after,
            "type_label": type_label,
            "due_badge": lambda c: due_badge(c, now),
        },
    )


@post(
    "/console/cases/assign",
    include_in_schema=False,
    opt={"action": Action.CASES_ASSIGN, "page": True},
)
async def bulk_assign(request: Request[Any, Any, Any], db_session: AsyncSession) -> Redirect:
    """Assign the ticked cases to one operator, each automatically, or to no one."""
    principal = require_principal(request)
    form = await request.form()
    back = _form_value(form, "next") or "/console/cases"
    if not back.startswith("/console/cases"):
        back = "/console/cases"
    response = Redirect(back, status_code=303)
    raw_ids = form.getall("case_ids") if hasattr(form, "getall") else []

    async def change() -> str:
        ids = [i for i in (_uuid(str(v), "case_ids") for v in raw_ids) if i is not None]
        if not ids:
            raise InvalidInput.field("case_ids", "tick at least one case")
        choice = _form_value(form, "assignee") or ""
        auto = choice == "auto"
        assignee_id = None if auto or choice == "none" else _uuid(choice, "assignee")
        if not auto and choice != "none" and assignee_id is None:
            raise InvalidInput.field("assignee", "choose an operator")
        for case_id in dict.fromkeys(ids):
            case = await _case_or_404(db_session, principal, case_id, for_update=True)
            authorize(principal, Action.CASES_ASSIGN, case.tenant_id)
            await service.assign(db_session, principal, case, assignee_id, auto=auto)
        return gettext("%(n)s cases were assigned.", n=len(dict.fromkeys(ids)))

    return await _attempt(request, db_session, response, change)


@get(
    "/console/review",
    include_in_schema=False,
    opt={"action": Action.CASES_APPROVE, "page": True},
)
async def review_queue(request: Request[Any, Any, Any], db_session: AsyncSession) -> Template:
    """Cases in review in the tenants this lead approves for, oldest due first. Four
    eyes: a case the lead sent to review themselves waits for another lead."""
    principal = require_principal(request)
    tenants = [
        t
        for t in await _tenants(db_session, principal)
        if allows(principal, Action.CASES_APPROVE, t.id)
    ]
    rows: list[Case] = []
    for tenant in tenants:
        found, _ = await _page(
            db_session, repo.CaseFilter(tenant_id=tenant.id, statuses=["in_review"]), None
        )
        rows.extend(found)
    rows.sort(key=lambda c: (c.due_at or repo.FAR_FUTURE, c.id))
    names = await _user_names(db_session, {c.prepared_by for c in rows if c.prepared_by})
    now = datetime.now(UTC)
    return render(
        request,
        "cases/review_queue.html",
        {
            "cases": rows,
            "tenant_names": {t.id: t.name for t in tenants},
            "names": names,
            "type_label": type_label,
            "due_badge": lambda c: due_badge(c, now),
            "countdown": _countdown_texts(),
        },
    )


# --------------------------------------------------------------------------- one case


@get(
    "/cases/{case_id:uuid}",
    include_in_schema=False,
    opt={"action": Action.CASES_READ, "page": True},
)
async def case_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, case_id: uuid.UUID
) -> Template:
    """A case: timeline, messages, checklist, deliverables and the allowed status changes."""
    principal = require_principal(request)
    case = await _case_or_404(db_session, principal, case_id)
    operator_side = service.is_operator_side(principal, case.tenant_id)
    # Clients never get internal notes, whatever the repository is asked.
    messages = [
        m
        for m in await repo.messages(db_session, case, include_internal=operator_side)
        if operator_side or m.visibility == "public"
    ]
    deliverables = list(await repo.deliverables(db_session, case))
    titles: dict[uuid.UUID, str] = {}
    if deliverables:
        rows = await db_session.execute(
            select(Document.id, Document.title).where(
                Document.tenant_id == case.tenant_id,
                Document.id.in_([d.document_id for d in deliverables]),
            )
        )
        titles = {r.id: r.title for r in rows}
    tenant = await db_session.get(Tenant, case.tenant_id)
    names = await _user_names(
        db_session, {u for u in (case.assignee_id, case.requester_id) if u is not None}
    )
    may_provide = allows(principal, Action.CASES_SUBMIT, case.tenant_id) or operator_side
    checklist = list(await repo.checklist(db_session, case))
    # The tenant's recent documents, to pick for a document item still missing.
    choices: list[Document] = []
    needs_documents = operator_side or any(
        i.kind == "document" and i.provided_at is None for i in checklist
    )
    if may_provide and needs_documents:
        found = await documents.search(
            db_session, documents.DocumentFilter(tenant_ids=[case.tenant_id], limit=50)
        )
        choices = [d for d, _ in found]
    return render(
        request,
        "cases/detail.html",
        {
            "area": "console" if _operator(principal) else "portal",
            "case": case,
            "tenant": tenant,
            "history": await repo.history(db_session, case),
            "messages": messages,
            "checklist": checklist,
            "document_choices": choices,
            "deliverables": deliverables,
            "document_titles": titles,
            "transitions": service.allowed_transitions(principal, case),
            "operator_side": operator_side,
            "may_write": may_provide,
            "open": case.status not in ("closed", "rejected", "cancelled"),
            "names": names,
            "type_label": type_label,
            "transition_label": transition_label,
            "due_badge": due_badge,
            "may_assign": allows(principal, Action.CASES_ASSIGN, case.tenant_id),
            "assignees": await _operators(db_session, [case.tenant_id])
            if allows(principal, Action.CASES_ASSIGN, case.tenant_id)
            else [],
            "checklist_kinds": CHECKLIST_KINDS,
            "may_run_payroll": case.type == "payroll"
            and operator_side
            and allows(principal, Action.PAYROLL_RUN, case.tenant_id),
        },
    )


@post(
    "/cases/{case_id:uuid}/transition",
    include_in_schema=False,
    opt={"action": Action.CASES_READ, "page": True},
)
async def transition_from_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, case_id: uuid.UUID
) -> Redirect:
    """A status change button (with its reason where one is owed)."""
    principal, case, form, response = await _case_form(
        request, db_session, case_id, for_update=True
    )

    async def change() -> str:
        _check_version(case, _form_value(form, "version"))
        to = _form_value(form, "to") or ""
        await service.transition(db_session, principal, case, to, _form_value(form, "reason"))
        return gettext("The case is now: %(status)s", status=gettext(case.status))

    return await _attempt(request, db_session, response, change)


@post(
    "/cases/{case_id:uuid}/messages",
    include_in_schema=False,
    opt={"action": Action.CASES_READ, "page": True},
)
async def message_from_page(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    runtime: Runtime,
    case_id: uuid.UUID,
) -> Redirect:
    """Post a message, or an internal note (operators)."""
    principal, case, form, response = await _case_form(request, db_session, case_id, "#messages")

    async def change() -> str:
        body = _form_value(form, "body")
        if body is None or len(body) > 20000:
            raise InvalidInput.field("body", "write a message (at most 20000 characters)")
        visibility = "internal" if _form_value(form, "visibility") == "internal" else "public"
        await service.post_message(
            db_session,
            principal,
            case,
            body=body,
            visibility=visibility,
            mentions=[],
            document_id=None,
            base_url=runtime.settings.base_url,
        )
        if visibility == "internal":
            return gettext("Your internal note was saved.")
        return gettext("Your message was posted.")

    return await _attempt(request, db_session, response, change)


@post(
    "/cases/{case_id:uuid}/checklist/{checklist_item_id:uuid}/provide",
    include_in_schema=False,
    opt={"action": Action.CASES_READ, "page": True},
)
async def provide_from_page(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    case_id: uuid.UUID,
    checklist_item_id: uuid.UUID,
) -> Redirect:
    """Provide a checklist input: a value, or the id of an uploaded document."""
    principal = require_principal(request)
    case = await _case_or_404(db_session, principal, case_id)
    item = await repo.checklist_item(db_session, case, checklist_item_id)
    if item is None:
        raise NotFound("no such checklist item")
    form = await request.form()
    response = Redirect(f"/cases/{case.id}#checklist", status_code=303)

    async def change() -> str:
        await service.provide_checklist_item(
            db_session,
            principal,
            case,
            item,
            document_id=_uuid(_form_value(form, "document_id"), "document_id"),
            value=_form_value(form, "value"),
        )
        return gettext("Thank you: “%(label)s” was provided.", label=item.label)

    return await _attempt(request, db_session, response, change)


@post(
    "/cases/{case_id:uuid}/checklist",
    include_in_schema=False,
    opt={"action": Action.CASES_WORK, "page": True},
)
async def add_checklist_from_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, case_id: uuid.UUID
) -> Redirect:
    """An operator lists one more input the client must provide."""
    principal, case, form, response = await _case_form(request, db_session, case_id, "#checklist")

    async def change() -> str:
        label = _form_value(form, "label")
        if label is None or len(label) > 200:
            raise InvalidInput.field("label", "name what is needed (at most 200 characters)")
        kind = _choice(_form_value(form, "kind"), CHECKLIST_KINDS, "kind") or "document"
        item = service.NewChecklistItem(label, kind, _form_value(form, "required") == "on")
        await service.add_checklist_item(db_session, principal, case, item)
        return gettext("“%(label)s” was added to the checklist.", label=label)

    return await _attempt(request, db_session, response, change)


@post(
    "/cases/{case_id:uuid}/deliverables",
    include_in_schema=False,
    opt={"action": Action.CASES_WORK, "page": True},
)
async def deliver_from_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, case_id: uuid.UUID
) -> Redirect:
    """An operator links one of the tenant's documents as a deliverable of the case."""
    principal, case, form, response = await _case_form(
        request, db_session, case_id, "#deliverables"
    )

    async def change() -> str:
        document_id = _uuid(_form_value(form, "document_id"), "document_id")
        if document_id is None:
            raise InvalidInput.field("document_id", "choose a document")
        await service.add_deliverable(
            db_session, principal, case, document_id, _form_value(form, "title")
        )
        return gettext("The deliverable was linked to the case.")

    return await _attempt(request, db_session, response, change)


@post(
    "/cases/{case_id:uuid}/assignment",
    include_in_schema=False,
    opt={"action": Action.CASES_WORK, "page": True},
)
async def assign_from_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, case_id: uuid.UUID
) -> Redirect:
    """An operator takes the case; a lead assigns it to anyone serving the tenant, or
    automatically to the one with the fewest open cases."""
    principal, case, form, response = await _case_form(
        request, db_session, case_id, for_update=True
    )

    async def change() -> str:
        _check_version(case, _form_value(form, "version"))
        choice = _form_value(form, "assignee")
        if choice == "auto":
            await service.assign(db_session, principal, case, None, auto=True)
        elif choice == "me":
            await service.assign(db_session, principal, case, principal.user_id)
        else:
            await service.assign(db_session, principal, case, _uuid(choice, "assignee"))
        return gettext("The case's assignee was changed.")

    return await _attempt(request, db_session, response, change)


routes = [
    add_checklist_from_page,
    deliver_from_page,
    assign_from_page,
    portal_cases,
    submit_request,
    console_cases,
    bulk_assign,
    review_queue,
    case_page,
    transition_from_page,
    message_from_page,
    provide_from_page,
]
