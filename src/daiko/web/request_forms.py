"""Request forms per case type in the portal: payroll inputs, a new hire, a leaver,
receipts for the month. Each is a typed form (dates, months, yen) whose post opens a
submitted case with the facts in its description and a checklist of what is still to
upload; bad input comes back as the same form with a message at each field.

The new hire's and the leaver's date goes into the case's date field, from which the SLA
work computes the statutory deadlines (資格取得届 within 5 days, …).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, allows, require_principal
from daiko.auth.principal import Principal
from daiko.cases import service
from daiko.errors import DaikoError, InvalidInput, NotFound
from daiko.tenancy.models import Tenant
from daiko.tenancy.spec import PayGroup, PayrollSpec
from daiko.web import forms
from daiko.web.flash import flash
from daiko.web.forms import FieldErrors
from daiko.web.i18n import gettext
from daiko.web.shell import render
from daiko.web.vocabulary import N_


@dataclass(frozen=True)
class RequestKind:
    slug: str
    case_type: str
    service: str
    title: str  # msgid
    summary: str  # msgid


KINDS: dict[str, RequestKind] = {
    k.slug: k
    for k in (
        RequestKind(
            "payroll-inputs",
            "payroll",
            "payroll",
            N_("Payroll inputs"),
            N_("Hours, allowances and changes for a pay period."),
        ),
        RequestKind(
            "new-hire",
            "si_hire",
            "social_insurance",
            N_("New hire"),
            N_("Someone joins: we enrol them in social and employment insurance."),
        ),
        RequestKind(
            "leaver",
            "si_leave",
            "social_insurance",
            N_("Leaver"),
            N_("Someone leaves: we end their coverage and prepare the papers."),
        ),
        RequestKind(
            "receipts",
            "bookkeeping_close",
            "bookkeeping",
            N_("Receipts"),
            N_("Receipts and invoices of a month for the books."),
        ),
    )
}
# What the error summary calls each field (msgids of the forms' labels).
FIELD_LABELS = {
    "tenant_id": "Company",
    "pay_group": "Pay group",
    "period": "Month",
    "changes": "Changes this period",
    "overtime_note": "Overtime and absences",
    "employee_name": "Name",
    "employee_kana": "Name (kana)",
    "hire_date": "Hire date",
    "birth_date": "Date of birth",
    "monthly_pay": "Monthly pay (yen)",
    "weekly_hours": "Weekly hours",
    "last_day": "Last working day",
    "reason": "Reason",
    "count": "Number of receipts",
    "total": "Total (yen)",
    "notes": "Notes",
}
LEAVE_REASONS = ("resignation", "retirement", "contract_end", "dismissal", "other")
LEAVE_REASON_LABELS = {
    "resignation": N_("Resignation"),
    "retirement": N_("Retirement"),
    "contract_end": N_("End of contract"),
    "dismissal": N_("Dismissal"),
    "other": N_("Other"),
}


def _tenants_for(
    principal: Principal, tenants: Sequence[Tenant], kind: RequestKind
) -> list[Tenant]:
    return [
        t
        for t in tenants
        if allows(principal, Action.CASES_SUBMIT, t.id) and kind.service in (t.services or [])
    ]


async def _tenants(session: AsyncSession, principal: Principal) -> list[Tenant]:
    ids = list(principal.scope.tenant_ids)
    rows = await session.execute(select(Tenant).where(Tenant.id.in_(ids)).order_by(Tenant.name))
    return list(rows.scalars())


def _payroll_spec(tenant: Tenant) -> PayrollSpec | None:
    raw = (tenant.settings or {}).get("payroll")
    if not raw:
        return None
    try:
        return msgspec.convert(raw, PayrollSpec, strict=False)
    except msgspec.ValidationError:
        return None


def pay_groups(tenant: Tenant) -> list[tuple[str, str]]:
    spec = _payroll_spec(tenant)
    return [(g.code, g.name) for g in spec.pay_groups] if spec else []


def _pay_group(tenant: Tenant, code: str) -> PayGroup | None:
    spec = _payroll_spec(tenant)
    return next((g for g in spec.pay_groups if g.code == code), None) if spec else None


def _this_month() -> str:
    return dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=9))).strftime("%Y-%m")


@get("/portal/requests", include_in_schema=False, opt={"action": Action.CASES_SUBMIT, "page": True})
async def request_menu(
    request: Request[Any, Any, Any], db_session: AsyncSession, kind: str | None = None
) -> Template:
    """What the client can ask for, one form per kind; `?kind=new-hire` shows that form."""
    principal = require_principal(request)
    if kind:
        _, chosen, tenants = await _kind_and_tenants(request, db_session, kind)
        values = {"tenant_id": str(tenants[0].id), "period": _this_month()}
        return _form_page(request, chosen, tenants, values, FieldErrors())
    tenants = await _tenants(db_session, principal)
    offers = [k for k in KINDS.values() if _tenants_for(principal, tenants, k)]
    return render(request, "portal/requests.html", {"kinds": offers})


def _form_page(
    request: Request[Any, Any, Any],
    kind: RequestKind,
    tenants: list[Tenant],
    values: dict[str, str],
    errors: FieldErrors,
    *,
    status: int = 200,
) -> Template:
    return render(
        request,
        f"portal/request_{kind.case_type}.html",
        {
            "kind": kind,
            "tenants": tenants,
            "tenant_options": [(str(t.id), t.name) for t in tenants],
            "pay_groups": {str(t.id): pay_groups(t) for t in tenants},
            "values": values,
            "errors": errors,
            "labels": {name: gettext(label) for name, label in FIELD_LABELS.items()},
            "leave_reasons": [(r, gettext(LEAVE_REASON_LABELS[r])) for r in LEAVE_REASONS],
        },
        status_code=status,
    )


async def _kind_and_tenants(
    request: Request[Any, Any, Any], session: AsyncSession, slug: str
) -> tuple[Principal, RequestKind, list[Tenant]]:
    principal = require_principal(request)
    kind = KINDS.get(slug)
    tenants = _tenants_for(principal, await _tenants(session, principal), kind) if kind else []
    if kind is None or not tenants:
        raise NotFound("no such request form")
    return principal, kind, tenants


# --------------------------------------------------------------------------- reading


@dataclass
class Parsed:
    title: str
    description: str
    period: str | None = None
    pay_group: str | None = None
    fact_date: dt.date | None = None
    checklist: tuple[service.NewChecklistItem, ...] = ()


def _lines(*pairs: tuple[str, object | None]) -> str:
    return "\n".join(f"{label}: {value}" for label, value in pairs if value not in (None, ""))


def _payroll(form: Any, errors: FieldErrors, tenant: Tenant) -> Parsed:
    period = forms.month(errors, form, "period")
    groups = dict(pay_groups(tenant))
    group = forms.text(form, "pay_group")
    if groups and group not in groups:
        errors.add("pay_group", gettext("Choose one of the options."))
    elif not groups and not group:
        errors.add("pay_group", gettext("This field is required."))
    changes = forms.optional(errors, form, "changes", max_length=10000)
    overtime = forms.optional(errors, form, "overtime_note", max_length=2000)
    name = groups.get(group, group)
    payday = None
    found = _pay_group(tenant, group)
    if found is not None and period is not None:
        payday = found.pay_date(int(period[:4]), int(period[5:]))
    return Parsed(
        title=gettext("Payroll inputs %(period)s %(group)s", period=period or "", group=name),
        description=_lines(
            (gettext("Pay group"), name),
            (gettext("Period"), period),
            (gettext("Changes this period"), changes),
            (gettext("Overtime and absences"), overtime),
        ),
        period=period,
        pay_group=group or None,
        fact_date=payday,
        checklist=(service.NewChecklistItem(gettext("Attendance records"), "document", True),),
    )


def _person(form: Any, errors: FieldErrors) -> tuple[str, str | None]:
    name = forms.required(errors, form, "employee_name", max_length=100)
    kana = forms.optional(errors, form, "employee_kana", max_length=100)
    return name, kana


def _new_hire(form: Any, errors: FieldErrors, tenant: Tenant) -> Parsed:
    name, kana = _person(form, errors)
    hired = forms.date(errors, form, "hire_date")
    birth = forms.date(errors, form, "birth_date")
    if hired and birth and birth >= hired:
        errors.add("birth_date", gettext("The date of birth must be before the hire date."))
    salary = forms.yen(errors, form, "monthly_pay", needed=True)
    hours = forms.text(form, "weekly_hours")
    if hours and (not hours.isdigit() or not 1 <= int(hours) <= 80):
        errors.add("weekly_hours", gettext("Enter hours between 1 and 80."))
    dependants = forms.text(form, "dependants") == "on"
    return Parsed(
        title=gettext("New hire: %(name)s", name=name),
        description=_lines(
            (gettext("Name"), name),
            (gettext("Name (kana)"), kana),
            (gettext("Hire date"), hired.isoformat() if hired else None),
            (gettext("Date of birth"), birth.isoformat() if birth else None),
            (gettext("Monthly pay (yen)"), f"{salary:,}" if salary is not None else None),
            (gettext("Weekly hours"), hours),
            (gettext("Dependants to enrol"), gettext("yes") if dependants else gettext("no")),
            (gettext("Notes"), forms.optional(errors, form, "notes", max_length=5000)),
        ),
        period=hired.strftime("%Y-%m") if hired else None,
        fact_date=hired,
        checklist=(
            service.NewChecklistItem(gettext("Employment contract"), "document", True),
            *(
                (service.NewChecklistItem(gettext("Dependants' details"), "document", True),)
                if dependants
                else ()
            ),
        ),
    )


def _leaver(form: Any, errors: FieldErrors, tenant: Tenant) -> Parsed:
    name, kana = _person(form, errors)
    last_day = forms.date(errors, form, "last_day")
    reason = forms.choice(errors, form, "reason", LEAVE_REASONS)
    card = forms.text(form, "card_returned") == "on"
    return Parsed(
        title=gettext("Leaver: %(name)s", name=name),
        description=_lines(
            (gettext("Name"), name),
            (gettext("Name (kana)"), kana),
            (gettext("Last working day"), last_day.isoformat() if last_day else None),
            (
                gettext("Reason"),
                gettext(LEAVE_REASON_LABELS[reason]) if reason in LEAVE_REASON_LABELS else None,
            ),
            (gettext("Health insurance card returned"), gettext("yes") if card else gettext("no")),
            (gettext("Notes"), forms.optional(errors, form, "notes", max_length=5000)),
        ),
        period=last_day.strftime("%Y-%m") if last_day else None,
        fact_date=last_day,
        checklist=(
            ()
            if card
            else (service.NewChecklistItem(gettext("Health insurance card"), "document", True),)
        ),
    )


def _receipts(form: Any, errors: FieldErrors, tenant: Tenant) -> Parsed:
    period = forms.month(errors, form, "period")
    count = forms.text(form, "count")
    if count and (not count.isdigit() or int(count) > 100000):
        errors.add("count", gettext("Enter a whole number."))
    total = forms.yen(errors, form, "total")
    return Parsed(
        title=gettext("Receipts %(period)s", period=period or ""),
        description=_lines(
            (gettext("Month"), period),
            (gettext("Number of receipts"), count),
            (gettext("Total (yen)"), f"{total:,}" if total is not None else None),
            (gettext("Notes"), forms.optional(errors, form, "notes", max_length=5000)),
        ),
        period=period,
        checklist=(
            service.NewChecklistItem(gettext("Receipts (scans or photos)"), "document", True),
        ),
    )


READERS: dict[str, Callable[[Any, FieldErrors, Tenant], Parsed]] = {
    "payroll": _payroll,
    "si_hire": _new_hire,
    "si_leave": _leaver,
    "bookkeeping_close": _receipts,
}


@post(
    "/portal/requests", include_in_schema=False, opt={"action": Action.CASES_SUBMIT, "page": True}
)
async def submit_request_form(
    request: Request[Any, Any, Any], db_session: AsyncSession
) -> Template | Redirect:
    """Open a submitted case from the form, or show the form again with its errors."""
    form = await request.form()
    principal, kind, tenants = await _kind_and_tenants(
        request, db_session, forms.text(form, "kind")
    )
    values = forms.values(form)
    errors = FieldErrors()
    by_id = {str(t.id): t for t in tenants}
    tenant = by_id.get(forms.text(form, "tenant_id"))
    if tenant is None:
        errors.add("tenant_id", gettext("Choose one of the options."))
        tenant = tenants[0]
    parsed = READERS[kind.case_type](form, errors, tenant)
    if errors:
        return _form_page(request, kind, tenants, values, errors, status=422)
    try:
        async with db_session.begin_nested():
            case = await service.open_case(
                db_session,
                principal,
                service.NewCase(
                    tenant_id=tenant.id,
                    type=kind.case_type,
                    title=parsed.title[:200],
                    description=parsed.description,
                    period=parsed.period,
                    pay_group=parsed.pay_group,
                    pay_date=parsed.fact_date,
                    status="submitted",
                    checklist=parsed.checklist,
                ),
            )
    except InvalidInput as exc:
        for e in exc.errors or [{"field": "tenant_id", "reason": exc.detail}]:
            errors.add(str(e.get("field", "tenant_id")), str(e.get("reason", "")))
        return _form_page(request, kind, tenants, values, errors, status=422)
    except DaikoError as exc:
        errors.add("tenant_id", exc.detail)
        return _form_page(request, kind, tenants, values, errors, status=exc.status)
    response = Redirect(f"/cases/{case.id}", status_code=303)
    flash(request, response, "success", gettext("Your request was sent."))
    return response


routes = [request_menu, submit_request_form]
