"""Employee pages, the same for client staff (`/portal/employees…`) and operators
(`/console/employees…`): the list with search and filters, an employee's page (grades,
resident tax, bank accounts and My Number masked, the reveal form with its purpose),
the add/edit form with each error next to its field, file imports (drop a file, every
row's problems in a table, confirm, the job's progress) and the month's inputs grid.

Edits carry the employee's version (read as If-Match): a form left open while someone
else saved is refused, never applied over their change. A refused form comes back as
the same page (422) with what was typed; nothing is written.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import record
from daiko.auth.policy import Action, allows, authorize, require_principal
from daiko.auth.principal import Principal
from daiko.employees import imports, rules, service
from daiko.employees import repository as repo
from daiko.employees.models import (
    EI_INDUSTRIES,
    EMPLOYMENT_TYPES,
    GENDERS,
    PAY_BASES,
    Employee,
    EmployeeImport,
)
from daiko.employees.schemas import REVEAL_PURPOSES
from daiko.errors import DaikoError, InvalidInput, NotFound
from daiko.jobs import repository as jobs_repo
from daiko.pagination import cursor_after, encode_cursor
from daiko.tenancy.models import Tenant
from daiko.tenancy.prefectures import PREFECTURES
from daiko.web.flash import flash
from daiko.web.i18n import current_locale, gettext
from daiko.web.shell import render

PAGE_SIZE = 50
SIDES = ("portal", "console")
READ = {"action": Action.EMPLOYEES_READ, "page": True}
WRITE = {"action": Action.EMPLOYEES_WRITE, "page": True}
REVEAL = {"action": Action.SENSITIVE_REVEAL, "page": True}
PURPOSE_LABELS = {
    "social_insurance_filing": "Social insurance filing",
    "withholding_slip": "Withholding slip (源泉徴収票)",
    "employment_insurance": "Employment insurance",
    "other": "Other (explain)",
}
INPUT_COLUMNS = (
    ("worked_days", "Worked days"),
    ("absence_days", "Absence days"),
    ("paid_leave_days", "Paid leave days"),
    ("overtime_hours", "Overtime (≤60 h)"),
    ("overtime_over60_hours", "Overtime over 60 h"),
    ("rest_day_hours", "Rest-day hours"),
    ("late_night_hours", "Late-night hours"),
    ("lateness_hours", "Late/early-leave hours"),
)


def _paths(tail: str) -> list[str]:
    return [f"/{side}/employees{tail}" for side in SIDES]


def _side(request: Request[Any, Any, Any]) -> str:
    return "console" if request.url.path.startswith("/console/") else "portal"


def _base(request: Request[Any, Any, Any]) -> str:
    return f"/{_side(request)}/employees"


def _tr(reason: str) -> str:
    return gettext(reason)


async def _tenants(session: AsyncSession, principal: Principal, action: Action) -> list[Tenant]:
    ids = [t for t in principal.scope.tenant_ids if allows(principal, action, t)]
    if not ids:
        return []
    rows = await session.execute(select(Tenant).where(Tenant.id.in_(ids)).order_by(Tenant.name))
    return list(rows.scalars())


def _context(request: Request[Any, Any, Any], **extra: Any) -> dict[str, Any]:
    ja = current_locale() == "ja"
    return {
        "base": _base(request),
        "side": _side(request),
        "prefectures": [(p.code, p.kanji if ja else p.romaji) for p in PREFECTURES],
        "employment_types": EMPLOYMENT_TYPES,
        "pay_bases": PAY_BASES,
        "genders": GENDERS,
        "industries": EI_INDUSTRIES,
        "purposes": [(p, PURPOSE_LABELS[p]) for p in REVEAL_PURPOSES],
        "input_columns": INPUT_COLUMNS,
        **extra,
    }


async def _employee(
    session: AsyncSession, principal: Principal, employee_id: uuid.UUID, action: Action
) -> Employee:
    return await service.load_employee(session, principal, employee_id, action)


# --------------------------------------------------------------------------- list


@get(_paths(""), include_in_schema=False, opt=READ)
async def employee_list(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    q: str | None = None,
    department: str | None = None,
    active_on: str | None = None,
    tenant_id: str | None = None,
    after: str | None = None,
) -> Template:
    """Employees by code, with search (code, name, kana) and filters."""
    principal = require_principal(request)
    tenants = await _tenants(db_session, principal, Action.EMPLOYEES_READ)
    tid = None
    if tenant_id:
        try:
            tid = uuid.UUID(tenant_id)
        except ValueError:
            raise InvalidInput.field("tenant_id", "not an id") from None
        if tid not in principal.scope:
            raise NotFound("no such tenant")
    day = None
    if active_on:
        try:
            day = dt.date.fromisoformat(active_on)
        except ValueError:
            raise InvalidInput.field("active_on", "a date like 2026-11-30") from None
    position = cursor_after(after, str, "after")
    where = repo.EmployeeFilter(
        tenant_id=tid,
        active_on=day,
        department=department or None,
        q=(q or "").strip() or None,
    )
    rows = list(await repo.list_employees(db_session, where, after=position, limit=PAGE_SIZE + 1))
    page = rows[:PAGE_SIZE]
    departments: set[str] = set()
    for t in tenants:
        departments |= set(await repo.departments(db_session, t.id))
    filters = {
        "q": q or "",
        "department": department or "",
        "active_on": active_on or "",
        "tenant_id": tenant_id or "",
    }
    return render(
        request,
        "employees/list.html",
        _context(
            request,
            employees=page,
            next_after=encode_cursor(page[-1].code, page[-1].id) if len(rows) > PAGE_SIZE else None,
            filters=filters,
            departments=sorted(departments),
            tenants=tenants,
            tenant_names={t.id: t.name for t in tenants},
            writable=allows(principal, Action.EMPLOYEES_WRITE),
        ),
    )


# --------------------------------------------------------------------------- form


def _form_raw(form: Any) -> dict[str, Any]:
    """The employee fields of a posted form, in the shape `clean_employee` takes."""
    raw: dict[str, Any] = {}
    for name in (
        "code",
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "birth_date",
        "hire_date",
        "gender",
        "email",
        "employment_type",
        "pay_group",
        "department",
        "pay_basis",
        "base_amount",
        "scheduled_monthly_hours",
        "scheduled_days",
        "withholding_column",
        "dependents",
        "prefecture",
        "employment_insurance_industry",
    ):
        value = form.get(name)
        if value is not None:
            raw[name] = str(value).strip()
    for name in ("social_insurance_enrolled", "employment_insurance_enrolled"):
        raw[name] = form.get(name) == "on"
    allowances = []
    for kind in ("commuting", "position", "family", "housing"):
        value = str(form.get(f"{kind}_allowance") or "").strip()
        if value:
            try:
                amount = rules.parse_yen(value)
            except ValueError:
                amount = -1
            allowances.append({"kind": kind, "amount": amount, "field": f"{kind}_allowance"})
    raw["allowances"] = allowances
    return raw


def _form_values(employee: Employee | None) -> dict[str, str]:
    if employee is None:
        return {
            "employment_type": "regular",
            "pay_basis": "monthly",
            "withholding_column": "kou",
            "dependents": "0",
            "prefecture": "13",
            "employment_insurance_industry": "general",
            "social_insurance_enrolled": "on",
            "employment_insurance_enrolled": "on",
        }
    values = {
        name: "" if getattr(employee, name) is None else str(getattr(employee, name))
        for name in service.FIELDS
        if name not in ("allowances", "social_insurance_enrolled", "employment_insurance_enrolled")
    }
    for a in employee.allowances:
        if a.get("kind") in ("commuting", "position", "family", "housing"):
            values[f"{a['kind']}_allowance"] = str(a.get("amount", ""))
    for name in ("social_insurance_enrolled", "employment_insurance_enrolled"):
        values[name] = "on" if getattr(employee, name) else ""
    values["version"] = str(employee.version)
    return values


def _check_allowances(raw: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    kept = []
    for item in raw["allowances"]:
        if item["amount"] < 0:
            errors[item["field"]] = _tr("a whole number of yen")
        elif item["amount"] > 0:
            kept.append({"kind": item["kind"], "amount": item["amount"]})
    raw["allowances"] = kept
    return errors


def _form_page(
    request: Request[Any, Any, Any],
    *,
    employee: Employee | None,
    values: dict[str, str],
    errors: dict[str, str],
    tenants: list[Tenant],
    status_code: int = 200,
) -> Template:
    return render(
        request,
        "employees/form.html",
        _context(request, employee=employee, values=values, errors=errors, tenants=tenants),
        status_code=status_code,
    )


@get(_paths("/new"), include_in_schema=False, opt=WRITE)
async def new_employee(request: Request[Any, Any, Any], db_session: AsyncSession) -> Template:
    """The form to add an employee."""
    principal = require_principal(request)
    tenants = await _tenants(db_session, principal, Action.EMPLOYEES_WRITE)
    return _form_page(request, employee=None, values=_form_values(None), errors={}, tenants=tenants)


@post(_paths("/new"), include_in_schema=False, opt=WRITE)
async def create_from_form(
    request: Request[Any, Any, Any], db_session: AsyncSession
) -> Template | Redirect:
    """Add an employee; a refused form comes back with each error next to its field."""
    principal = require_principal(request)
    tenants = await _tenants(db_session, principal, Action.EMPLOYEES_WRITE)
    form = await request.form()
    raw = _form_raw(form)
    errors = _check_allowances(raw)
    tenant_text = str(form.get("tenant_id") or "")
    try:
        tenant_id = service.resolve_tenant(
            principal, uuid.UUID(tenant_text) if tenant_text else None, Action.EMPLOYEES_WRITE
        )
    except (ValueError, DaikoError):
        errors["tenant_id"] = gettext("Choose the company.")
        tenant_id = None
    if tenant_id is not None and not errors:
        try:
            async with db_session.begin_nested():
                employee = await service.create_employee(db_session, principal, tenant_id, raw)
        except InvalidInput as exc:
            errors |= {e["field"]: _tr(e["reason"]) for e in exc.errors}
        else:
            response = Redirect(f"{_base(request)}/{employee.id}", status_code=303)
            flash(request, response, "success", gettext("The employee was added."))
            return response
    values = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    return _form_page(
        request, employee=None, values=values, errors=errors, tenants=tenants, status_code=422
    )


@get(_paths("/{employee_id:uuid}/edit"), include_in_schema=False, opt=WRITE)
async def edit_employee(
    request: Request[Any, Any, Any], db_session: AsyncSession, employee_id: uuid.UUID
) -> Template:
    """The form to change an employee."""
    principal = require_principal(request)
    employee = await _employee(db_session, principal, employee_id, Action.EMPLOYEES_WRITE)
    return _form_page(
        request, employee=employee, values=_form_values(employee), errors={}, tenants=[]
    )


@post(_paths("/{employee_id:uuid}/edit"), include_in_schema=False, opt=WRITE)
async def update_from_form(
    request: Request[Any, Any, Any], db_session: AsyncSession, employee_id: uuid.UUID
) -> Template | Redirect:
    """Save the changes, if nobody else saved the employee meanwhile."""
    principal = require_principal(request)
    employee = await service.load_employee(
        db_session, principal, employee_id, Action.EMPLOYEES_WRITE, for_update=True
    )
    form = await request.form()
    raw = _form_raw(form)
    errors = _check_allowances(raw)
    version = str(form.get("version") or "")
    if not errors:
        try:
            async with db_session.begin_nested():
                service.check_if_match(employee.version, f'"{version}"', required=True)
                await service.update_employee(db_session, principal, employee, raw)
        except (service.PreconditionFailed, service.PreconditionRequired):
            errors["version"] = gettext(
                "Someone else changed this employee; reload the page and try again."
            )
        except InvalidInput as exc:
            errors |= {e["field"]: _tr(e["reason"]) for e in exc.errors}
        else:
            response = Redirect(f"{_base(request)}/{employee.id}", status_code=303)
            flash(request, response, "success", gettext("The changes were saved."))
            return response
    values = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    return _form_page(
        request, employee=employee, values=values, errors=errors, tenants=[], status_code=422
    )


# --------------------------------------------------------------------------- detail


async def _detail(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    principal: Principal,
    employee: Employee,
    *,
    revealed: str | None = None,
    reveal_error: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    vault = await repo.my_number(session, employee)
    return render(
        request,
        "employees/detail.html",
        _context(
            request,
            employee=employee,
            bank_name=service.bank_name_of(employee),
            grades=await repo.grades(session, employee),
            notices=await repo.resident_tax_notices(session, employee),
            accounts=await repo.bank_accounts(session, employee),
            my_number=vault.masked if vault else None,
            revealed=revealed,
            reveal_error=reveal_error,
            can_reveal=allows(principal, Action.SENSITIVE_REVEAL, employee.tenant_id),
            writable=allows(principal, Action.EMPLOYEES_WRITE, employee.tenant_id),
            errors=errors or {},
            values=values or {},
        ),
        status_code=status_code,
    )


@get(_paths("/{employee_id:uuid}"), include_in_schema=False, opt=READ)
async def employee_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, employee_id: uuid.UUID
) -> Template:
    """An employee: master data, grades, resident tax, bank account, My Number (masked)."""
    principal = require_principal(request)
    employee = await _employee(db_session, principal, employee_id, Action.EMPLOYEES_READ)
    return await _detail(request, db_session, principal, employee)


@post(_paths("/{employee_id:uuid}/my-number/reveal"), include_in_schema=False, opt=REVEAL)
async def reveal_from_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, employee_id: uuid.UUID
) -> Template:
    """Show the My Number once, on this response only, for the stated purpose (audited)."""
    principal = require_principal(request)
    employee = await _employee(db_session, principal, employee_id, Action.SENSITIVE_REVEAL)
    form = await request.form()
    try:
        async with db_session.begin_nested():
            number = await service.reveal_my_number(
                db_session,
                principal,
                employee,
                str(form.get("purpose") or ""),
                str(form.get("purpose_text") or "") or None,
            )
    except (InvalidInput, NotFound) as exc:
        reason = exc.errors[0]["reason"] if exc.errors else exc.detail
        page = await _detail(
            request, db_session, principal, employee, reveal_error=_tr(reason), status_code=422
        )
        page.headers["Cache-Control"] = "no-store"
        return page
    page = await _detail(request, db_session, principal, employee, revealed=number)
    page.headers["Cache-Control"] = "no-store"
    return page


async def _sub_form(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    employee_id: uuid.UUID,
    anchor: str,
    change: Any,
) -> Template | Redirect:
    """A small form on the employee page: applied, or the page again with its errors."""
    principal = require_principal(request)
    employee = await _employee(session, principal, employee_id, Action.EMPLOYEES_WRITE)
    form = await request.form()
    try:
        async with session.begin_nested():
            message = await change(principal, employee, form)
    except DaikoError as exc:
        errors = {e["field"]: _tr(e["reason"]) for e in exc.errors} or {
            anchor: _tr(exc.detail or exc.title)
        }
        values = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        values.pop("my_number", None)
        values.pop("account_number", None)
        return await _detail(
            request, session, principal, employee, errors=errors, values=values, status_code=422
        )
    response = Redirect(f"{_base(request)}/{employee.id}#{anchor}", status_code=303)
    flash(request, response, "success", message)
    return response


@post(_paths("/{employee_id:uuid}/my-number"), include_in_schema=False, opt=WRITE)
async def my_number_from_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, employee_id: uuid.UUID
) -> Template | Redirect:
    """Register or replace the My Number."""

    async def change(principal: Principal, employee: Employee, form: Any) -> str:
        await service.set_my_number(
            db_session, principal, employee, str(form.get("my_number") or "")
        )
        return gettext("The My Number was saved.")

    return await _sub_form(request, db_session, employee_id, "my-number", change)


@post(_paths("/{employee_id:uuid}/bank-account"), include_in_schema=False, opt=WRITE)
async def bank_account_from_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, employee_id: uuid.UUID
) -> Template | Redirect:
    """Set the main salary account."""

    async def change(principal: Principal, employee: Employee, form: Any) -> str:
        raw = {
            k: str(form.get(k) or "").strip()
            for k in ("bank_code", "branch_code", "account_type", "account_number", "holder_name")
        }
        await service.set_bank_account(db_session, principal, employee, raw)
        return gettext("The bank account was saved.")

    return await _sub_form(request, db_session, employee_id, "bank", change)


@post(_paths("/{employee_id:uuid}/grades"), include_in_schema=False, opt=WRITE)
async def grade_from_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, employee_id: uuid.UUID
) -> Template | Redirect:
    """Record a 標準報酬月額 decision."""

    async def change(principal: Principal, employee: Employee, form: Any) -> str:
        errors: list[rules.FieldError] = []
        parsed: dict[str, Any] = {}
        for name, parse in (
            ("effective_month", rules.parse_month),
            ("health_standard", rules.parse_yen),
            ("pension_standard", rules.parse_yen),
        ):
            try:
                parsed[name] = parse(str(form.get(name) or ""))
            except ValueError as exc:
                errors.append(rules.FieldError(name, str(exc)))
        reason = str(form.get("reason") or "manual")
        if reason not in ("acquisition", "annual", "change", "manual"):
            errors.append(rules.FieldError("reason", "choose a reason"))
        if errors:
            raise service.invalid(errors)
        await service.add_grade(db_session, principal, employee, reason=reason, **parsed)
        return gettext("The grade was recorded.")

    return await _sub_form(request, db_session, employee_id, "grades", change)


@post(_paths("/{employee_id:uuid}/resident-tax"), include_in_schema=False, opt=WRITE)
async def resident_tax_from_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, employee_id: uuid.UUID
) -> Template | Redirect:
    """Record a resident-tax notice."""

    async def change(principal: Principal, employee: Employee, form: Any) -> str:
        errors: list[rules.FieldError] = []
        parsed: dict[str, Any] = {}
        for name, parse in (
            ("fiscal_year", lambda v: rules.parse_int(v, low=2000, high=2100)),
            ("june_amount", rules.parse_yen),
            ("monthly_amount", rules.parse_yen),
            ("municipality_code", rules.municipality_code),
            ("municipality_name", lambda v: rules.text(v, max_length=100)),
        ):
            try:
                parsed[name] = parse(str(form.get(name) or ""))
            except ValueError as exc:
                errors.append(rules.FieldError(name, str(exc)))
        if errors:
            raise service.invalid(errors)
        await service.set_resident_tax(db_session, principal, employee, **parsed)
        return gettext("The resident tax notice was recorded.")

    return await _sub_form(request, db_session, employee_id, "resident-tax", change)


# --------------------------------------------------------------------------- imports


@get(_paths("/import"), include_in_schema=False, opt=WRITE)
async def import_page(request: Request[Any, Any, Any], db_session: AsyncSession) -> Template:
    """Drop an employees or attendance file; the preview follows."""
    principal = require_principal(request)
    tenants = await _tenants(db_session, principal, Action.EMPLOYEES_WRITE)
    return render(
        request,
        "employees/import.html",
        _context(
            request,
            tenants=tenants,
            employee_columns=imports.EMPLOYEE_COLUMNS,
            attendance_columns=imports.ATTENDANCE_COLUMNS,
            this_month=rules.today_jst().strftime("%Y-%m"),
        ),
    )


async def _import(
    session: AsyncSession, principal: Principal, import_id: uuid.UUID, action: Action
) -> EmployeeImport:
    imp = await repo.get_import(session, import_id)
    if imp is None or imp.tenant_id not in principal.scope:
        raise NotFound("no such import")
    authorize(principal, action, imp.tenant_id)
    return imp


async def _import_context(session: AsyncSession, imp: EmployeeImport) -> dict[str, Any]:
    job = await jobs_repo.get_job(session, imp.job_id) if imp.job_id else None
    return {"imp": imp, "job": job, "sync_limit": imports.SYNC_LIMIT}


@get(_paths("/imports/{employee_import_id:uuid}"), include_in_schema=False, opt=READ)
async def import_preview(
    request: Request[Any, Any, Any], db_session: AsyncSession, employee_import_id: uuid.UUID
) -> Template:
    """An upload's preview: every problem by line and column, or what will be written."""
    principal = require_principal(request)
    imp = await _import(db_session, principal, employee_import_id, Action.EMPLOYEES_READ)
    return render(
        request,
        "employees/import_preview.html",
        _context(
            request,
            writable=allows(principal, Action.EMPLOYEES_WRITE, imp.tenant_id),
            **await _import_context(db_session, imp),
        ),
    )


@get(_paths("/imports/{employee_import_id:uuid}/progress"), include_in_schema=False, opt=READ)
async def import_progress(
    request: Request[Any, Any, Any], db_session: AsyncSession, employee_import_id: uuid.UUID
) -> Template:
    """The progress fragment the preview page polls while the job runs."""
    principal = require_principal(request)
    imp = await _import(db_session, principal, employee_import_id, Action.EMPLOYEES_READ)
    return Template(
        template_name="employees/_import_progress.html",
        context={"base": _base(request), **await _import_context(db_session, imp)},
    )


@post(_paths("/imports/{employee_import_id:uuid}/confirm"), include_in_schema=False, opt=WRITE)
async def confirm_from_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, employee_import_id: uuid.UUID
) -> Redirect:
    """Write a clean upload (at once when small, else by the import job)."""
    principal = require_principal(request)
    imp = await _import(db_session, principal, employee_import_id, Action.EMPLOYEES_WRITE)
    response = Redirect(f"{_base(request)}/imports/{imp.id}", status_code=303)
    try:
        async with db_session.begin_nested():
            await imports.confirm(db_session, principal, imp, created_by=principal.user_id)
    except DaikoError as exc:
        flash(request, response, "error", _tr(exc.detail or exc.title))
        return response
    if imp.status == "done":
        flash(request, response, "success", gettext("The import was written."))
    return response


# --------------------------------------------------------------------------- monthly inputs


def _month_arg(month: str | None) -> dt.date:
    if not month:
        return rules.today_jst().replace(day=1)
    try:
        return rules.parse_month(month)
    except ValueError:
        raise InvalidInput.field("month", "a month like 2026-11") from None


async def _grid(
    session: AsyncSession, tenant_id: uuid.UUID | None, month: dt.date
) -> tuple[list[Employee], dict[uuid.UUID, Any]]:
    last = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    employees = list(
        await repo.list_employees(
            session,
            repo.EmployeeFilter(tenant_id=tenant_id, employed_in=(month, last)),
            limit=2000,
        )
    )
    inputs = await repo.monthly_inputs_for_month(
        session, month, employee_ids=[e.id for e in employees]
    )
    return employees, inputs


def _grid_values(employees: list[Employee], inputs: dict[uuid.UUID, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for e in employees:
        row = inputs.get(e.id)
        for name, _label in INPUT_COLUMNS:
            value = getattr(row, name) if row is not None else None
            values[f"{e.id}.{name}"] = "" if value is None or value == 0 else f"{Decimal(value):f}"
    return values


@get(_paths("/monthly"), include_in_schema=False, opt=READ)
async def monthly_grid(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    month: str | None = None,
    tenant_id: str | None = None,
) -> Template:
    """The month's attendance and variable pay for every employee, as one grid."""
    principal = require_principal(request)
    first = _month_arg(month)
    tid = uuid.UUID(tenant_id) if tenant_id else None
    if tid is not None and tid not in principal.scope:
        raise NotFound("no such tenant")
    employees, inputs = await _grid(db_session, tid, first)
    return render(
        request,
        "employees/monthly.html",
        _context(
            request,
            month=first.strftime("%Y-%m"),
            tenant_id=tenant_id or "",
            employees=employees,
            values=_grid_values(employees, inputs),
            errors={},
            writable=allows(principal, Action.EMPLOYEES_WRITE),
        ),
    )


@post(_paths("/monthly"), include_in_schema=False, opt=WRITE)
async def save_monthly_grid(
    request: Request[Any, Any, Any], db_session: AsyncSession
) -> Template | Redirect:
    """Save the whole grid, or nothing when any cell is wrong (shown next to the cell)."""
    principal = require_principal(request)
    form = await request.form()
    first = _month_arg(str(form.get("month") or ""))
    tenant_id = str(form.get("tenant_id") or "")
    tid = uuid.UUID(tenant_id) if tenant_id else None
    if tid is not None and tid not in principal.scope:
        raise NotFound("no such tenant")
    employees, _ = await _grid(db_session, tid, first)
    errors: dict[str, str] = {}
    cleaned: list[tuple[Employee, dict[str, Any]]] = []
    for e in employees:
        if not allows(principal, Action.EMPLOYEES_WRITE, e.tenant_id):
            continue
        raw = {name: str(form.get(f"{e.id}.{name}") or "").strip() for name, _ in INPUT_COLUMNS}
        if not any(raw.values()):
            continue
        data, errs = service.clean_monthly_input(raw)
        for err in errs:
            errors[f"{e.id}.{err.field}"] = _tr(err.reason)
        cleaned.append((e, data))
    if not errors:
        for e, data in cleaned:
            await service.put_monthly_input(db_session, principal, e, first, data, audit=False)
        for t in {e.tenant_id for e, _ in cleaned}:
            await record(
                db_session,
                tenant_id=t,
                actor=principal,
                action="employee.monthly_inputs_saved",
                resource_type="employee",
                resource_id=None,
                details={"pay_month": first.strftime("%Y-%m"), "rows": len(cleaned)},
            )
        query = f"?month={first:%Y-%m}" + (f"&tenant_id={tenant_id}" if tenant_id else "")
        response = Redirect(f"{_base(request)}/monthly{query}", status_code=303)
        flash(request, response, "success", gettext("The month's inputs were saved."))
        return response
    values = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    return render(
        request,
        "employees/monthly.html",
        _context(
            request,
            month=first.strftime("%Y-%m"),
            tenant_id=tenant_id,
            employees=employees,
            values=values,
            errors=errors,
            writable=True,
        ),
        status_code=422,
    )


routes = [
    employee_list,
    new_employee,
    create_from_form,
    import_page,
    monthly_grid,
    save_monthly_grid,
    employee_page,
    edit_employee,
    update_from_form,
    reveal_from_page,
    my_number_from_page,
    bank_account_from_page,
    grade_from_page,
    resident_tax_from_page,
    import_preview,
    import_progress,
    confirm_from_page,
]
