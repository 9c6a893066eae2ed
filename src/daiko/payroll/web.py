"""Payroll pages: the client's runs with a monthly totals chart (portal), the operators'
runs with the create form and the tenant settings (console), and one run page both
sides share: live job progress, totals, review flags against the previous approved run,
approve/reject (four eyes), and the outputs (payslips, 賃金台帳, bank file) once approved.

Every change runs in a savepoint and redirects (303) with a readable message, so a
refused change leaves nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, allows, require_principal
from daiko.auth.principal import Principal
from daiko.errors import DaikoError, Forbidden, InvalidInput
from daiko.jobs.models import Job
from daiko.payroll import repository as repo
from daiko.payroll import service
from daiko.payroll.api import download_path, load_run
from daiko.payroll.models import PayrollRun
from daiko.payroll.schemas import RunCreate, SettingsIn
from daiko.tenancy.models import Tenant
from daiko.web.flash import flash
from daiko.web.i18n import gettext
from daiko.web.shell import render

TOTAL_LABELS: tuple[tuple[str, str], ...] = (
    ("gross_pay", "Gross pay"),
    ("health_insurance", "Health insurance"),
    ("child_support_levy", "Child-support levy"),
    ("pension", "Pension"),
    ("employment_insurance", "Employment insurance"),
    ("income_tax", "Income tax"),
    ("resident_tax", "Resident tax"),
    ("other_deductions", "Other deductions"),
    ("total_deductions", "Total deductions"),
    ("net_pay", "Net pay"),
    ("employer_total", "Employer costs"),
)
FLAG_LABELS = {
    "joiner": "Joiner",
    "leaver": "Leaver",
    "net_swing": "Net pay changed by more than 20 %",
    "gross_swing": "Gross pay changed by more than 20 %",
}
OUTPUT_LABELS = {
    "ledger_csv": "Wage ledger (CSV, UTF-8)",
    "ledger_csv_cp932": "Wage ledger (CSV, Shift_JIS)",
    "ledger_xlsx": "Wage ledger (Excel)",
    "zengin": "Bank transfer file (Zengin)",
    "payslip": "Payslip",
}
STATUS_LABELS = {
    "draft": "Draft",
    "calculating": "Calculating",
    "review": "In review",
    "approved": "Approved",
    "locked": "Locked",
}


def _operator(principal: Principal) -> bool:
    return principal.user_kind == "operator"


def status_label(status: str) -> str:
    return gettext(STATUS_LABELS.get(status, status))


async def _tenants(session: AsyncSession, principal: Principal) -> list[Tenant]:
    ids = list(principal.scope.tenant_ids)
    if not ids:
        return []
    stmt = select(Tenant).where(Tenant.id.in_(ids)).order_by(Tenant.name)
    return [
        t for t in (await session.execute(stmt)).scalars().all() if "payroll" in (t.services or [])
    ]


# --------------------------------------------------------------------------- chart


@dataclass(frozen=True)
class ChartBar:
    x: int
    y: int
    height: int
    colour: str
    value: str


@dataclass(frozen=True)
class TotalsChart:
    width: int
    height: int
    baseline: int
    bar_width: int
    bars: list[ChartBar]
    labels: list[tuple[int, str]]


def totals_chart(points: Sequence[tuple[str, int, int]]) -> TotalsChart | None:
    """Gross and net pay per month as paired bars (server-side SVG; the figures are
    also in the table beside it)."""
    if not points:
        return None
    width, height, top, bottom, left = 640, 220, 16, 36, 12
    plot_h = height - top - bottom
    slot = (width - 2 * left) // len(points)
    bar_w = max(4, slot * 3 // 10)
    peak = max(max(g, n) for _, g, n in points) or 1
    bars: list[ChartBar] = []
    labels: list[tuple[int, str]] = []
    for i, (period, gross, net) in enumerate(points):
        x0 = left + i * slot + (slot - 2 * bar_w) // 2
        for j, (value, colour) in enumerate(((gross, "#7aa6d8"), (net, "#2f6db3"))):
            h = plot_h * value // peak
            bars.append(ChartBar(x0 + j * bar_w, top + plot_h - h, h, colour, f"{value:,}"))
        labels.append((x0 + bar_w, period))
    return TotalsChart(width, height, top + plot_h, bar_w, bars, labels)


# --------------------------------------------------------------------------- lists


@get("/portal/payroll", include_in_schema=False, opt={"action": Action.PAYROLL_READ, "page": True})
async def portal_payroll(request: Request[Any, Any, Any], db_session: AsyncSession) -> Template:
    principal = require_principal(request)
    tenants = await _tenants(db_session, principal)
    runs = await repo.list_runs(db_session, repo.RunFilter(), limit=100)
    charts = []
    for t in tenants:
        charts.append((t, totals_chart(await repo.monthly_totals(db_session, t.id))))
    return render(
        request,
        "payroll/runs.html",
        {
            "area": "portal",
            "runs": runs,
            "tenant_names": {t.id: t.name for t in tenants},
            "charts": charts,
            "status_label": status_label,
            "creatable": [],
        },
    )


@get("/console/payroll", include_in_schema=False, opt={"action": Action.PAYROLL_READ, "page": True})
async def console_payroll(request: Request[Any, Any, Any], db_session: AsyncSession) -> Template:
    principal = require_principal(request)
    if not _operator(principal):
        raise Forbidden("the console is for operators")
    tenants = await _tenants(db_session, principal)
    runs = await repo.list_runs(db_session, repo.RunFilter(), limit=100)
    creatable = [t for t in tenants if allows(principal, Action.PAYROLL_RUN, t.id)]
    return render(
        request,
        "payroll/runs.html",
        {
            "area": "console",
            "runs": runs,
            "tenant_names": {t.id: t.name for t in tenants},
            "charts": [],
            "status_label": status_label,
            "creatable": creatable,
            "pay_groups": {
                t.id: [
                    g.get("code")
                    for g in ((t.settings or {}).get("payroll") or {}).get("pay_groups", [])
                ]
                for t in creatable
            },
        },
    )


def _form_value(form: Any, name: str) -> str | None:
    value = form.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _error_text(exc: DaikoError) -> str:
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
    try:
        async with session.begin_nested():
            message = await change()
    except DaikoError as exc:
        flash(request, response, "error", _error_text(exc))
    else:
        flash(request, response, "success", message)
    return response


@post(
    "/console/payroll/runs",
    include_in_schema=False,
    opt={"action": Action.PAYROLL_RUN, "page": True},
)
async def create_from_page(request: Request[Any, Any, Any], db_session: AsyncSession) -> Redirect:
    """The console's "new run" form: create and start the calculation at once."""
    principal = require_principal(request)
    form = await request.form()
    # From a case page the refusal goes back to that case.
    back = _form_value(form, "case_id")
    response = Redirect(f"/cases/{back}" if back else "/console/payroll", status_code=303)
    created: list[PayrollRun] = []

    async def change() -> str:
        try:
            tenant_id = uuid.UUID(_form_value(form, "tenant_id") or "")
            pay_date = date.fromisoformat(_form_value(form, "pay_date") or "")
        except ValueError:
            raise InvalidInput.field("pay_date", "choose a company and a pay date") from None
        if tenant_id not in principal.scope:
            raise InvalidInput.field("tenant_id", "no such company")
        kind = _form_value(form, "kind") or "monthly"
        if kind not in ("monthly", "bonus"):
            raise InvalidInput.field("kind", "monthly or bonus")
        case_id: uuid.UUID | None = None
        if raw_case := _form_value(form, "case_id"):
            try:
                case_id = uuid.UUID(raw_case)
            except ValueError:
                raise InvalidInput.field("case_id", "no such case") from None
        data = RunCreate(
            kind=kind,  # type: ignore[arg-type]
            pay_group=_form_value(form, "pay_group") or "monthly",
            pay_date=pay_date,
            tenant_id=tenant_id,
            case_id=case_id,
            calculate=True,
        )
        run = await service.create_run(db_session, principal, tenant_id, data)
        await service.start_calculation(db_session, principal, run)
        created.append(run)
        return gettext("The run was created and is being calculated.")

    try:
        async with db_session.begin_nested():
            message = await change()
    except DaikoError as exc:
        flash(request, response, "error", _error_text(exc))
        return response
    done = Redirect(f"/payroll/runs/{created[0].id}", status_code=303)
    flash(request, done, "success", message)
    return done


# --------------------------------------------------------------------------- run page


async def _job(session: AsyncSession, run: PayrollRun) -> Job | None:
    job_id = run.outputs_job_id or run.calculate_job_id
    return await session.get(Job, (run.tenant_id, job_id)) if job_id else None


@get(
    "/payroll/runs/{run_id:uuid}",
    include_in_schema=False,
    opt={"action": Action.PAYROLL_READ, "page": True},
)
async def run_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, run_id: uuid.UUID
) -> Template:
    principal = require_principal(request)
    run = await load_run(db_session, principal, run_id)
    review = await service.review(db_session, run)
    outputs: list[tuple[Any, str | None]] = []
    if run.status in service.FINAL:
        outputs = await repo.run_documents(db_session, run)
    results = await repo.results_page(db_session, run, limit=200)
    tenant = await db_session.get(Tenant, run.tenant_id)
    preparer = principal.user_id is not None and principal.user_id in (
        run.prepared_by,
        run.created_by,
    )
    return render(
        request,
        "payroll/run.html",
        {
            "area": "console" if _operator(principal) else "portal",
            "run": run,
            "tenant": tenant,
            "review": review,
            "totals": [(k, gettext(label), int(run.totals.get(k, 0))) for k, label in TOTAL_LABELS],
            "previous_totals": (review.previous.totals or {}) if review.previous else None,
            "results": results,
            "outputs": [o for o in outputs if o[0].kind != "payslip"],
            "slip_by": {d.employee_id: d for d, _ in outputs if d.kind == "payslip"},
            "download_path": download_path,
            "job": await _job(db_session, run)
            if run.status in ("calculating", "approved")
            else None,
            "may_run": allows(principal, Action.PAYROLL_RUN, run.tenant_id),
            "may_approve": allows(principal, Action.PAYROLL_APPROVE, run.tenant_id)
            and not preparer,
            "is_preparer": preparer,
            "status_label": status_label,
            "flag_labels": {k: gettext(v) for k, v in FLAG_LABELS.items()},
            "output_labels": {k: gettext(v) for k, v in OUTPUT_LABELS.items()},
        },
    )


@get(
    "/payroll/runs/{run_id:uuid}/progress",
    include_in_schema=False,
    opt={"action": Action.PAYROLL_READ, "page": True},
)
async def run_progress(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    run_id: uuid.UUID,
    status: str | None = None,
) -> Response[Any]:
    """The progress fragment the run page polls; once the run has moved on, it asks the
    page to reload (HX-Refresh)."""
    principal = require_principal(request)
    run = await load_run(db_session, principal, run_id)
    job = await _job(db_session, run)
    headers = {"HX-Refresh": "true"} if status and status != run.status else {}
    return Template(
        template_name="payroll/_progress.html",
        context={"run": run, "job": job, "status_label": status_label},
        headers=headers,
    )


async def _run_form(
    request: Request[Any, Any, Any], session: AsyncSession, run_id: uuid.UUID, action: Action
) -> tuple[Principal, PayrollRun, Any, Redirect]:
    principal = require_principal(request)
    run = await load_run(session, principal, run_id, action)
    form = await request.form()
    return principal, run, form, Redirect(f"/payroll/runs/{run.id}", status_code=303)


@post(
    "/payroll/runs/{run_id:uuid}/calculate",
    include_in_schema=False,
    opt={"action": Action.PAYROLL_RUN, "page": True},
)
async def calculate_from_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, run_id: uuid.UUID
) -> Redirect:
    principal, run, _form, response = await _run_form(
        request, db_session, run_id, Action.PAYROLL_RUN
    )

    async def change() -> str:
        await service.start_calculation(db_session, principal, run)
        return gettext("The calculation has started.")

    return await _attempt(request, db_session, response, change)


@post(
    "/payroll/runs/{run_id:uuid}/approve",
    include_in_schema=False,
    opt={"action": Action.PAYROLL_APPROVE, "page": True},
)
async def approve_from_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, run_id: uuid.UUID
) -> Redirect:
    principal, run, _form, response = await _run_form(
        request, db_session, run_id, Action.PAYROLL_APPROVE
    )

    async def change() -> str:
        await service.approve(db_session, principal, run)
        return gettext("The run is approved; payslips and files are being produced.")

    return await _attempt(request, db_session, response, change)


@post(
    "/payroll/runs/{run_id:uuid}/reject",
    include_in_schema=False,
    opt={"action": Action.PAYROLL_APPROVE, "page": True},
)
async def reject_from_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, run_id: uuid.UUID
) -> Redirect:
    principal, run, form, response = await _run_form(
        request, db_session, run_id, Action.PAYROLL_APPROVE
    )

    async def change() -> str:
        await service.reject(db_session, principal, run, _form_value(form, "reason") or "")
        return gettext("The run was sent back for recalculation.")

    return await _attempt(request, db_session, response, change)


# --------------------------------------------------------------------------- settings


@get(
    "/console/payroll/settings",
    include_in_schema=False,
    opt={"action": Action.PAYROLL_RUN, "page": True},
)
async def settings_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: uuid.UUID | None = None
) -> Template:
    principal = require_principal(request)
    tenants = [
        t
        for t in await _tenants(db_session, principal)
        if allows(principal, Action.PAYROLL_RUN, t.id)
    ]
    if not tenants:
        raise Forbidden("payroll:run is not allowed")
    chosen = next((t for t in tenants if t.id == tenant_id), tenants[0])
    return render(
        request,
        "payroll/settings.html",
        {
            "area": "console",
            "tenants": tenants,
            "tenant": chosen,
            "settings": await service.settings_of(db_session, chosen.id),
        },
    )


@post(
    "/console/payroll/settings",
    include_in_schema=False,
    opt={"action": Action.PAYROLL_RUN, "page": True},
)
async def save_settings_page(request: Request[Any, Any, Any], db_session: AsyncSession) -> Redirect:
    principal = require_principal(request)
    form = await request.form()
    tenant_text = _form_value(form, "tenant_id") or ""
    response = Redirect(f"/console/payroll/settings?tenant_id={tenant_text}", status_code=303)

    async def change() -> str:
        try:
            tenant_id = uuid.UUID(tenant_text)
        except ValueError:
            raise InvalidInput.field("tenant_id", "choose a company") from None
        if tenant_id not in principal.scope:
            raise InvalidInput.field("tenant_id", "no such company")
        values: dict[str, Any] = {}
        for name in service.SETTINGS_FIELDS:
            raw = _form_value(form, name)
            if name == "zengin_line_breaks":
                values[name] = raw == "on"
            elif raw is None:
                continue
            elif name in ("account_type", "pay_day", "closing_day"):
                try:
                    values[name] = int(raw)
                except ValueError:
                    raise InvalidInput.field(name, "a number") from None
            else:
                values[name] = raw
        import msgspec

        try:
            data = msgspec.convert(values, SettingsIn)
        except msgspec.ValidationError as exc:
            raise InvalidInput.field("settings", str(exc)) from None
        await service.update_settings(db_session, principal, tenant_id, data)
        return gettext("The payroll settings were saved.")

    return await _attempt(request, db_session, response, change)


routes = [
    portal_payroll,
    console_payroll,
    create_from_page,
    run_page,
    run_progress,
    calculate_from_page,
    approve_from_page,
    reject_from_page,
    settings_page,
    save_settings_page,
]
