"""Pages of statement imports: upload with a layout choice (portal and console), the
preview with every bad row and the confirm / skip-invalid form, the job's live progress,
the operators' unmatched queue with its categorise form ("remember as a rule"), and the
rules list.

Every change runs in a savepoint and redirects (303) with a flash message, so a refused
change leaves nothing behind and says why.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from itertools import islice
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, allows, authorize, require_principal
from daiko.auth.principal import Principal
from daiko.bookkeeping import tax
from daiko.bookkeeping.imports import api, service
from daiko.bookkeeping.imports import repository as repo
from daiko.bookkeeping.imports.layouts import CUSTOM, LAYOUTS
from daiko.bookkeeping.imports.models import ImportBatch
from daiko.bookkeeping.imports.parsers import FileRejected, ParsedLine, parse
from daiko.bookkeeping.imports.rules import suggest
from daiko.bookkeeping.imports.schemas import CategoriseIn, RuleIn
from daiko.bookkeeping.models import Account
from daiko.errors import DaikoError, Forbidden, InvalidInput
from daiko.jobs import repository as jobs_repo
from daiko.jobs.models import FINISHED
from daiko.tenancy.models import Tenant
from daiko.web.flash import flash
from daiko.web.i18n import gettext
from daiko.web.shell import render

PAGE = 100
PREVIEW = 50
ERRORS_SHOWN = 500


def _page(action: Action) -> dict[str, Any]:
    return {"action": action, "page": True}


def _console(principal: Principal) -> bool:
    return principal.user_kind == "operator"


def _home(principal: Principal) -> str:
    return "/console/bookkeeping/imports" if _console(principal) else "/portal/bookkeeping/imports"


async def _tenants(session: AsyncSession, principal: Principal, action: Action) -> list[Tenant]:
    ids = [t for t in principal.scope.tenant_ids if allows(principal, action, t)]
    if not ids:
        return []
    rows = await session.execute(select(Tenant).where(Tenant.id.in_(ids)).order_by(Tenant.name))
    return list(rows.scalars())


def _error_text(exc: DaikoError) -> str:
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
    try:
        async with session.begin_nested():
            message = await change()
    except DaikoError as exc:
        flash(request, response, "error", _error_text(exc))
    else:
        flash(request, response, "success", message)
    return response


def _value(form: Any, name: str) -> str | None:
    raw = form.get(name)
    if raw is None or not isinstance(raw, str):
        return None
    return raw.strip() or None


# --------------------------------------------------------------------------- imports


async def _imports_page(request: Request[Any, Any, Any], session: AsyncSession) -> Template:
    principal = require_principal(request)
    batches = await repo.list_batches(session, tenant_id=None, after=None, limit=PAGE)
    uploadable = await _tenants(session, principal, Action.DOCUMENTS_WRITE)
    mappings = await repo.list_mappings(session, tenant_id=None, after=None, limit=PAGE)
    names = {t.id: t.name for t in await _tenants(session, principal, Action.BOOKKEEPING_READ)}
    return render(
        request,
        "bookkeeping/imports/list.html",
        {
            "batches": batches,
            "tenants": uploadable,
            "tenant_names": names,
            "layouts": list(LAYOUTS.values()),
            "custom": CUSTOM,
            "mappings": mappings,
            "console": _console(principal),
        },
    )


@get(
    "/console/bookkeeping/imports",
    include_in_schema=False,
    opt=_page(Action.BOOKKEEPING_READ),
)
async def console_imports(request: Request[Any, Any, Any], db_session: AsyncSession) -> Template:
    """Statement imports across the operator's tenants and the upload form."""
    return await _imports_page(request, db_session)


@get(
    "/portal/bookkeeping/imports",
    include_in_schema=False,
    opt=_page(Action.BOOKKEEPING_READ),
)
async def portal_imports(request: Request[Any, Any, Any], db_session: AsyncSession) -> Template:
    """The client's uploaded statements and receipts, and the upload form."""
    return await _imports_page(request, db_session)


@post(
    "/bookkeeping/imports",
    include_in_schema=False,
    opt=_page(Action.DOCUMENTS_WRITE),
    request_max_body_size=api.MAX_UPLOAD,
)
async def upload(request: Request[Any, Any, Any], db_session: AsyncSession) -> Redirect:
    """Upload a statement: parsed at once; the preview page shows every bad row."""
    principal = require_principal(request)
    form = await request.form()
    try:
        async with db_session.begin_nested():
            file = form.get("file")
            if file is None or isinstance(file, str):
                raise InvalidInput.field("file", "choose a file")
            data = api.UploadForm(
                file=file,
                layout=_value(form, "layout") or "",
                account_code=_value(form, "account_code") or "",
                tenant_id=_value(form, "tenant_id"),
                kind=_value(form, "kind"),
                mapping=_value(form, "mapping"),
                mapping_id=_value(form, "mapping_id"),
            )
            preview = await api.upload_statement(db_session, principal, data)
    except DaikoError as exc:
        response = Redirect(_home(principal), status_code=303)
        flash(request, response, "error", _error_text(exc))
        return response
    response = Redirect(f"/bookkeeping/imports/{preview.batch.id}", status_code=303)
    if preview.batch.error_count:
        message = gettext(
            "Read %(lines)s lines; %(errors)s rows have errors.",
            lines=preview.batch.line_count,
            errors=preview.batch.error_count,
        )
        flash(request, response, "error", message)
    else:
        flash(
            request,
            response,
            "success",
            gettext("Read %(lines)s lines.", lines=preview.batch.line_count),
        )
    return response


async def _batch(session: AsyncSession, principal: Principal, batch_id: uuid.UUID) -> ImportBatch:
    return await api.load_batch(session, principal, batch_id, Action.BOOKKEEPING_READ)


def _sample(data: bytes, batch: ImportBatch) -> list[ParsedLine]:
    mapping = LAYOUTS[batch.layout].mapping if batch.layout in LAYOUTS else None
    if batch.layout not in LAYOUTS and batch.mapping is not None:
        mapping = service.mapping_from_json(batch.mapping)
    try:
        good = (p for p in parse(data, mapping) if isinstance(p, ParsedLine))
        return list(islice(good, PREVIEW))
    except FileRejected:
        return []


async def _progress_context(session: AsyncSession, batch: ImportBatch) -> dict[str, Any]:
    job = await jobs_repo.get_job(session, batch.job_id) if batch.job_id else None
    return {"batch": batch, "job": job, "finished": FINISHED}


@get(
    "/bookkeeping/imports/{batch_id:uuid}",
    include_in_schema=False,
    opt=_page(Action.BOOKKEEPING_READ),
)
async def import_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, batch_id: uuid.UUID
) -> Template:
    """One import: counts, every bad row, the first lines, confirm, progress."""
    principal = require_principal(request)
    batch = await _batch(db_session, principal, batch_id)
    sample: list[ParsedLine] = []
    if batch.status in ("previewed", "invalid") and batch.layout != "manual":
        sample = _sample(await repo.file_content(db_session, batch), batch)
    lines = []
    if batch.status == "imported":
        lines = list(
            await repo.list_lines(
                db_session,
                tenant_id=batch.tenant_id,
                status=None,
                batch_id=batch.id,
                after=None,
                limit=PAGE,
            )
        )
    return render(
        request,
        "bookkeeping/imports/detail.html",
        {
            **(await _progress_context(db_session, batch)),
            "errors": batch.errors[:ERRORS_SHOWN],
            "sample": sample,
            "lines": lines,
            "may_confirm": allows(principal, Action.BOOKKEEPING_WRITE, batch.tenant_id),
            "home": _home(principal),
        },
    )


@get(
    "/bookkeeping/imports/{batch_id:uuid}/progress",
    include_in_schema=False,
    opt=_page(Action.BOOKKEEPING_READ),
)
async def import_progress(
    request: Request[Any, Any, Any], db_session: AsyncSession, batch_id: uuid.UUID
) -> Template:
    """The import's progress bar (HTMX polls it while the job runs)."""
    batch = await _batch(db_session, require_principal(request), batch_id)
    return Template(
        template_name="bookkeeping/imports/_progress.html",
        context=await _progress_context(db_session, batch),
    )


@post(
    "/bookkeeping/imports/{batch_id:uuid}/confirm",
    include_in_schema=False,
    opt=_page(Action.BOOKKEEPING_WRITE),
)
async def confirm(
    request: Request[Any, Any, Any], db_session: AsyncSession, batch_id: uuid.UUID
) -> Redirect:
    """Import the previewed file (skipping bad rows only when asked)."""
    principal = require_principal(request)
    batch = await api.load_batch(db_session, principal, batch_id, Action.BOOKKEEPING_WRITE)
    form = await request.form()
    response = Redirect(f"/bookkeeping/imports/{batch.id}", status_code=303)

    async def change() -> str:
        await api.confirm_batch(
            db_session, principal, batch, skip_invalid=_value(form, "skip_invalid") == "on"
        )
        return gettext("The import has started.")

    return await _attempt(request, db_session, response, change)


# --------------------------------------------------------------------------- queue


async def _accounts(session: AsyncSession) -> dict[uuid.UUID, list[Account]]:
    rows = await session.execute(
        select(Account).where(Account.active.is_(True)).order_by(Account.code)
    )
    out: dict[uuid.UUID, list[Account]] = {}
    for account in rows.scalars():
        out.setdefault(account.tenant_id, []).append(account)
    return out


@get(
    "/console/bookkeeping/unmatched",
    include_in_schema=False,
    opt=_page(Action.BOOKKEEPING_WRITE),
)
async def unmatched_page(request: Request[Any, Any, Any], db_session: AsyncSession) -> Template:
    """Lines no rule matched, oldest first, each with a categorise form."""
    principal = require_principal(request)
    lines = await repo.list_lines(
        db_session, tenant_id=None, status="unmatched", batch_id=None, after=None, limit=PAGE
    )
    names = {t.id: t.name for t in await _tenants(db_session, principal, Action.BOOKKEEPING_READ)}
    return render(
        request,
        "bookkeeping/imports/unmatched.html",
        {
            "lines": [x for x in lines if allows(principal, Action.BOOKKEEPING_WRITE, x.tenant_id)],
            "tenant_names": names,
            "accounts": await _accounts(db_session),
            "tax_categories": tax.CATEGORIES,
            "suggest": suggest,
        },
    )


@post(
    "/bookkeeping/unmatched/{line_id:uuid}/categorise",
    include_in_schema=False,
    opt=_page(Action.BOOKKEEPING_WRITE),
)
async def categorise(
    request: Request[Any, Any, Any], db_session: AsyncSession, line_id: uuid.UUID
) -> Redirect:
    """Book a queued line to the chosen account; optionally remember it as a rule."""
    principal = require_principal(request)
    line = await api.load_line(db_session, principal, line_id)
    form = await request.form()
    response = Redirect("/console/bookkeeping/unmatched", status_code=303)

    async def change() -> str:
        data = CategoriseIn(
            account_code=_value(form, "account_code") or "",
            tax_category=_value(form, "tax_category") or "",
            learn=_value(form, "learn") == "on",
            pattern=_value(form, "pattern"),
        )
        out = await api.categorise_line(db_session, principal, line, data)
        if out.rule_id:
            return gettext("Booked, and remembered as a rule.")
        return gettext("Booked.")

    return await _attempt(request, db_session, response, change)


# --------------------------------------------------------------------------- rules


@get(
    "/console/bookkeeping/rules",
    include_in_schema=False,
    opt=_page(Action.BOOKKEEPING_READ),
)
async def rules_page(request: Request[Any, Any, Any], db_session: AsyncSession) -> Template:
    """Rules in the order they are tried, with hit counts, and a form for a new one."""
    principal = require_principal(request)
    rules = await repo.list_rules(db_session, tenant_id=None, after=None, limit=500)
    return render(
        request,
        "bookkeeping/imports/rules.html",
        {
            "rules": rules,
            "tenants": await _tenants(db_session, principal, Action.BOOKKEEPING_WRITE),
            "tenant_names": {
                t.id: t.name for t in await _tenants(db_session, principal, Action.BOOKKEEPING_READ)
            },
            "tax_categories": tax.CATEGORIES,
        },
    )


@post(
    "/console/bookkeeping/rules",
    include_in_schema=False,
    opt=_page(Action.BOOKKEEPING_WRITE),
)
async def add_rule(request: Request[Any, Any, Any], db_session: AsyncSession) -> Redirect:
    principal = require_principal(request)
    form = await request.form()
    response = Redirect("/console/bookkeeping/rules", status_code=303)

    async def change() -> str:
        priority = _value(form, "priority") or "100"
        if not priority.isdigit():
            raise InvalidInput.field("priority", "a whole number")
        field = _value(form, "match_field") or "any"
        direction = _value(form, "direction") or "any"
        if field not in ("any", "counterparty", "description"):
            raise InvalidInput.field("match_field", "counterparty, description or any")
        if direction not in ("any", "in", "out"):
            raise InvalidInput.field("direction", "in, out or any")
        tenant = _value(form, "tenant_id")
        data = RuleIn(
            pattern=_value(form, "pattern") or "",
            account_code=_value(form, "account_code") or "",
            tax_category=_value(form, "tax_category") or "",
            match_field=field,  # type: ignore[arg-type]
            direction=direction,  # type: ignore[arg-type]
            priority=int(priority),
            tenant_id=api._uuid(tenant, "tenant_id"),
        )
        await api.create_rule(db_session, principal, data)
        return gettext("The rule was added.")

    return await _attempt(request, db_session, response, change)


@post(
    "/console/bookkeeping/rules/{rule_id:uuid}/delete",
    include_in_schema=False,
    opt=_page(Action.BOOKKEEPING_WRITE),
)
async def remove_rule(
    request: Request[Any, Any, Any], db_session: AsyncSession, rule_id: uuid.UUID
) -> Redirect:
    principal = require_principal(request)
    rule = await api.load_rule(db_session, principal, rule_id)
    authorize(principal, Action.BOOKKEEPING_WRITE, rule.tenant_id)
    response = Redirect("/console/bookkeeping/rules", status_code=303)

    async def change() -> str:
        await db_session.delete(rule)
        await db_session.flush()
        return gettext("The rule was removed.")

    return await _attempt(request, db_session, response, change)


routes = [
    console_imports,
    portal_imports,
    upload,
    import_page,
    import_progress,
    confirm,
    unmatched_page,
    categorise,
    rules_page,
    add_rule,
    remove_rule,
]
