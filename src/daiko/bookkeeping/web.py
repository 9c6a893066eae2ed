"""Bookkeeping pages.

Portal (client staff): the month's trial balance with a revenue/expense chart and the
consumption-tax summary, the journal, downloads (CSV/XLSX, 弥生/freee/MF files).
Console (operators): the journal of a tenant with the months to close, the entry editor
(line rows added with HTMX), post and reverse, and the chart of accounts.
`/bookkeeping/entries/{id}` is one entry for both sides.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import record
from daiko.auth.policy import Action, allows, authorize, require_principal
from daiko.auth.principal import Principal
from daiko.bookkeeping import accounts as chart
from daiko.bookkeeping import journal, periods, reports, tax
from daiko.bookkeeping import repository as repo
from daiko.bookkeeping.accounts import SECTION_CATEGORY, display_name
from daiko.bookkeeping.models import Account, JournalEntry
from daiko.errors import DaikoError, Forbidden, InvalidInput, NotFound
from daiko.tenancy.models import Tenant
from daiko.web.flash import flash
from daiko.web.i18n import gettext
from daiko.web.shell import render

R = Action.BOOKKEEPING_READ
W = Action.BOOKKEEPING_WRITE
PAGE = 50
MIN_LINES = 4
JST = dt.timezone(dt.timedelta(hours=9))


def this_month() -> str:
    return dt.datetime.now(JST).strftime("%Y-%m")


def _month(value: str | None) -> str:
    month = value or this_month()
    try:
        reports.parse_month(month)
    except InvalidInput:
        raise NotFound("no such month") from None
    return month


async def _tenants(session: AsyncSession, principal: Principal, action: Action) -> list[Tenant]:
    ids = [t for t in principal.scope.tenant_ids if allows(principal, action, t)]
    rows = await session.execute(select(Tenant).where(Tenant.id.in_(ids)).order_by(Tenant.name))
    return list(rows.scalars())


def _chosen(tenants: list[Tenant], tenant_id: uuid.UUID | None) -> Tenant:
    if tenant_id is None and tenants:
        return tenants[0]
    for t in tenants:
        if t.id == tenant_id:
            return t
    raise NotFound("no such company")


def _operator(principal: Principal) -> None:
    if principal.user_kind != "operator":
        raise Forbidden("the console is for operators")


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
    """Run `change` in a savepoint; flash its success message or the readable refusal."""
    try:
        async with session.begin_nested():
            message = await change()
    except DaikoError as exc:
        flash(request, response, "error", _error_text(exc))
    else:
        flash(request, response, "success", message)
    return response


async def _audit(
    session: AsyncSession,
    principal: Principal,
    tenant_id: uuid.UUID,
    action: str,
    resource_type: str,
    resource_id: uuid.UUID,
    details: dict[str, Any],
) -> None:
    await record(
        session,
        tenant_id=tenant_id,
        actor=principal,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        details=details,
    )


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return "" if value is None else str(value).strip()


def _yen(raw: str, name: str) -> int:
    text = raw.replace(",", "").replace("¥", "").strip()
    if not text:
        return 0
    if not text.isascii() or not text.isdigit():
        raise InvalidInput.field(name, "a whole number of yen")
    return int(text)


def _date(raw: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput.field(name, "a date like 2026-04-30") from None


def tax_options() -> list[tuple[str, str]]:
    return [(c.code, c.label) for c in tax.CATEGORIES]


# --------------------------------------------------------------------------- portal


@get("/portal/bookkeeping", include_in_schema=False, opt={"action": R, "page": True})
async def portal_bookkeeping(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    tenant_id: uuid.UUID | None = None,
    month: str | None = None,
) -> Template:
    """The month's trial balance, a chart of twelve months and the tax summary."""
    principal = require_principal(request)
    tenants = await _tenants(db_session, principal, R)
    tenant = _chosen(tenants, tenant_id)
    month = _month(month)
    start = reports.parse_month(month)
    end = periods.month_end(start)
    await chart.ensure_settings(db_session, tenant.id)
    tb = await reports.trial_balance(db_session, tenant.id, month)
    figures = await reports.monthly_figures(db_session, tenant.id, month, 12)
    return render(
        request,
        "bookkeeping/portal.html",
        {
            "tenants": tenants,
            "tenant": tenant,
            "month": month,
            "prev_month": f"{periods.add_months(start, -1):%Y-%m}",
            "next_month": f"{periods.add_months(start, 1):%Y-%m}",
            "start": start,
            "end": end,
            "tb": tb,
            "figures": figures,
            "chart": reports.month_chart(figures),
            "tax_rows": await reports.tax_summary(db_session, tenant.id, start, end),
        },
    )


async def _entry_rows(
    session: AsyncSession, tenant_id: uuid.UUID, start: dt.date, end: dt.date, cursor: str | None
) -> tuple[list[JournalEntry], dict[uuid.UUID, int], str | None]:
    from daiko.pagination import decode_cursor, encode_cursor

    after = None
    if cursor:
        key, rid = decode_cursor(cursor)
        if isinstance(key, dt.date) and not isinstance(key, dt.datetime):
            after = (key, rid)
    rows = list(
        await repo.list_entries(
            session,
            repo.EntryFilter(tenant_id=tenant_id, date_from=start, date_to=end),
            after=after,
            limit=PAGE + 1,
        )
    )
    page, more = rows[:PAGE], len(rows) > PAGE
    lines = await repo.lines_of(session, [e.id for e in page])
    totals: dict[uuid.UUID, int] = {}
    for x in lines:
        totals[x.entry_id] = totals.get(x.entry_id, 0) + x.debit
    nxt = encode_cursor(page[-1].entry_date, page[-1].id) if more and page else None
    return page, totals, nxt


@get("/portal/bookkeeping/entries", include_in_schema=False, opt={"action": R, "page": True})
async def portal_entries(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    tenant_id: uuid.UUID | None = None,
    month: str | None = None,
    cursor: str | None = None,
) -> Template:
    """The journal (仕訳帳) of a month."""
    principal = require_principal(request)
    tenants = await _tenants(db_session, principal, R)
    tenant = _chosen(tenants, tenant_id)
    month = _month(month)
    start = reports.parse_month(month)
    entries, totals, nxt = await _entry_rows(
        db_session, tenant.id, start, periods.month_end(start), cursor
    )
    return render(
        request,
        "bookkeeping/entries.html",
        {
            "tenants": tenants,
            "tenant": tenant,
            "month": month,
            "entries": entries,
            "totals": totals,
            "next_cursor": nxt,
            "console": False,
            "base": "/portal/bookkeeping/entries",
        },
    )


# --------------------------------------------------------------------------- shared entry page


async def _entry_or_404(
    session: AsyncSession, principal: Principal, entry_id: uuid.UUID, action: Action = R
) -> JournalEntry:
    entry = await repo.get_entry(session, entry_id)
    if entry is None or entry.tenant_id not in principal.scope:
        raise NotFound("no such journal entry")
    authorize(principal, action, entry.tenant_id)
    return entry


@get(
    "/bookkeeping/entries/{entry_id:uuid}", include_in_schema=False, opt={"action": R, "page": True}
)
async def entry_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, entry_id: uuid.UUID
) -> Template:
    """One entry: its lines, tax, evidence; operators post, reverse or edit from here."""
    principal = require_principal(request)
    entry = await _entry_or_404(db_session, principal, entry_id)
    lines = await repo.lines_of(db_session, [entry.id])
    accounts = {a.id: a for a in await repo.list_accounts(db_session, entry.tenant_id)}
    departments = {d.id: d for d in await repo.list_departments(db_session, entry.tenant_id)}
    parties = {c.id: c for c in await repo.list_counterparties(db_session, entry.tenant_id)}
    reversal = await repo.reversal_of(db_session, entry)
    can_write = allows(principal, W, entry.tenant_id)
    candidates = (
        await repo.evidence_candidates(db_session, entry.tenant_id, entry.entry_date)
        if can_write
        else []
    )
    return render(
        request,
        "bookkeeping/entry.html",
        {
            "entry": entry,
            "lines": lines,
            "accounts": accounts,
            "departments": departments,
            "parties": parties,
            "documents": await repo.documents_of(db_session, entry),
            "reversal": reversal,
            "can_write": can_write,
            "candidates": candidates,
            "tax_labels": {c.code: c.label for c in tax.CATEGORIES},
            "display_name": display_name,
            "total_debit": sum(x.debit for x in lines),
            "total_credit": sum(x.credit for x in lines),
        },
    )


# --------------------------------------------------------------------------- console


@get("/console/bookkeeping", include_in_schema=False, opt={"action": W, "page": True})
async def console_bookkeeping(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    tenant_id: uuid.UUID | None = None,
    month: str | None = None,
    cursor: str | None = None,
) -> Template:
    """A tenant's journal for a month, and its fiscal-year months to close."""
    principal = require_principal(request)
    _operator(principal)
    tenants = await _tenants(db_session, principal, W)
    tenant = _chosen(tenants, tenant_id)
    month = _month(month)
    start = reports.parse_month(month)
    entries, totals, nxt = await _entry_rows(
        db_session, tenant.id, start, periods.month_end(start), cursor
    )
    year = await repo.fiscal_year_containing(db_session, tenant.id, start)
    months = list(await repo.periods_of(db_session, tenant.id, year.id)) if year else []
    return render(
        request,
        "bookkeeping/console.html",
        {
            "tenants": tenants,
            "tenant": tenant,
            "month": month,
            "entries": entries,
            "totals": totals,
            "next_cursor": nxt,
            "year": year,
            "periods": months,
            "console": True,
            "base": "/console/bookkeeping",
        },
    )


@post("/console/bookkeeping/fiscal-years", include_in_schema=False, opt={"action": W, "page": True})
async def open_fiscal_year(request: Request[Any, Any, Any], db_session: AsyncSession) -> Redirect:
    """Open the fiscal year containing a month (from the tenant's start month)."""
    principal = require_principal(request)
    form = await request.form()
    month = _text(form, "month") or this_month()
    tenants = await _tenants(db_session, principal, W)
    try:
        tenant_id = uuid.UUID(_text(form, "tenant_id"))
    except ValueError:
        raise NotFound("no such company") from None
    tenant = _chosen(tenants, tenant_id)
    response = Redirect(
        f"/console/bookkeeping?tenant_id={tenant.id}&month={month}", status_code=303
    )

    async def change() -> str:
        year = await periods.ensure_fiscal_year(db_session, tenant.id, reports.parse_month(month))
        return gettext(
            "Fiscal year %(start)s to %(end)s is open.", start=year.start_date, end=year.end_date
        )

    return await _attempt(request, db_session, response, change)


@post(
    "/console/bookkeeping/periods/{period_id:uuid}/close",
    include_in_schema=False,
    opt={"action": W, "page": True},
)
async def close_period_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, period_id: uuid.UUID
) -> Redirect:
    """Close a month."""
    principal = require_principal(request)
    period = await repo.get_period(db_session, period_id)
    if period is None or period.tenant_id not in principal.scope:
        raise NotFound("no such accounting period")
    authorize(principal, W, period.tenant_id)
    response = Redirect(
        f"/console/bookkeeping?tenant_id={period.tenant_id}&month={period.start_date:%Y-%m}",
        status_code=303,
    )

    async def change() -> str:
        closed = await periods.close_period(db_session, period_id, closed_by=principal.user_id)
        await _audit(
            db_session, principal, closed.tenant_id, "accounting_period.closed",
            "accounting_period", closed.id, {"month": f"{closed.start_date:%Y-%m}"},
        )  # fmt: skip
        return gettext("%(month)s is closed.", month=f"{closed.start_date:%Y-%m}")

    return await _attempt(request, db_session, response, change)


# --- the entry editor -------------------------------------------------------------------


def _blank_lines(n: int) -> list[dict[str, str]]:
    return [{} for _ in range(n)]


async def _editor_context(
    session: AsyncSession, tenant: Tenant, values: dict[str, Any], lines: list[dict[str, str]]
) -> dict[str, Any]:
    await chart.ensure_chart(session, tenant.id)
    accounts = [a for a in await repo.list_accounts(session, tenant.id) if a.active]
    return {
        "tenant": tenant,
        "values": values,
        "lines": lines,
        "accounts": accounts,
        "departments": await repo.list_departments(session, tenant.id),
        "counterparties": await repo.list_counterparties(session, tenant.id),
        "tax_options": tax_options(),
        "display_name": display_name,
    }


@get("/console/bookkeeping/entries/new", include_in_schema=False, opt={"action": W, "page": True})
async def new_entry(
    request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: uuid.UUID | None = None
) -> Template:
    """The entry editor for a new entry."""
    principal = require_principal(request)
    _operator(principal)
    tenant = _chosen(await _tenants(db_session, principal, W), tenant_id)
    values = {"entry_date": dt.datetime.now(JST).date().isoformat(), "description": ""}
    ctx = await _editor_context(db_session, tenant, values, _blank_lines(MIN_LINES))
    return render(request, "bookkeeping/editor.html", {**ctx, "entry": None, "errors": {}})


@get(
    "/console/bookkeeping/entries/{entry_id:uuid}/edit",
    include_in_schema=False,
    opt={"action": W, "page": True},
)
async def edit_entry(
    request: Request[Any, Any, Any], db_session: AsyncSession, entry_id: uuid.UUID
) -> Template:
    """The entry editor for a draft (posted entries are reversed, never edited)."""
    principal = require_principal(request)
    entry = await _entry_or_404(db_session, principal, entry_id, W)
    tenant = await db_session.get(Tenant, entry.tenant_id)
    assert tenant is not None
    accounts = {a.id: a for a in await repo.list_accounts(db_session, entry.tenant_id)}
    departments = {d.id: d for d in await repo.list_departments(db_session, entry.tenant_id)}
    lines = []
    for x in await repo.lines_of(db_session, [entry.id]):
        if x.tax_parent_line_no is not None:
            continue  # re-derived from the taxable line on save
        amount = x.debit + x.credit + (0 if x.tax_included else x.tax_amount)
        lines.append(
            {
                "account": accounts[x.account_id].code,
                "debit": str(amount) if x.debit else "",
                "credit": str(amount) if x.credit else "",
                "tax": x.tax_category,
                "description": x.description,
                "department": departments[x.department_id].code if x.department_id else "",
                "party": str(x.counterparty_id) if x.counterparty_id else "",
            }
        )
    values = {
        "entry_date": entry.entry_date.isoformat(),
        "description": entry.description,
        "version": str(entry.version),
    }
    ctx = await _editor_context(db_session, tenant, values, lines)
    return render(request, "bookkeeping/editor.html", {**ctx, "entry": entry, "errors": {}})


@get("/console/bookkeeping/line-row", include_in_schema=False, opt={"action": W, "page": True})
async def line_row(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    i: int = 0,
    tenant_id: uuid.UUID | None = None,
) -> Template:
    """One more empty line row for the editor (HTMX), and the next "add line" button."""
    principal = require_principal(request)
    tenant = _chosen(await _tenants(db_session, principal, W), tenant_id)
    ctx = await _editor_context(db_session, tenant, {}, [])
    return Template(
        template_name="bookkeeping/_line_row.html",
        context={
            **ctx,
            "i": max(0, min(i, journal.MAX_LINES)),
            "line": {},
            "errors": {},
            "oob": True,
        },
    )


def _parse_lines(form: Any) -> list[dict[str, str]]:
    indices = sorted(
        {int(k.split("-")[1]) for k in form if k.startswith("line-") and k.split("-")[1].isdigit()}
    )
    out = []
    for i in indices:
        row = {
            f: _text(form, f"line-{i}-{f}")
            for f in ("account", "debit", "credit", "tax", "description", "department", "party")
        }
        if row["account"] or row["debit"] or row["credit"]:
            out.append(row)
    return out


def _drafts(
    rows: list[dict[str, str]], defaults: dict[str, Account]
) -> list[journal.JournalLineDraft]:
    drafts = []
    for i, row in enumerate(rows):
        code = row["account"]
        if not code:
            raise InvalidInput.field(f"lines[{i}].account_code", "choose an account")
        account = defaults.get(code)
        drafts.append(
            journal.JournalLineDraft(
                account_code=code,
                debit=_yen(row["debit"], f"lines[{i}].debit"),
                credit=_yen(row["credit"], f"lines[{i}].credit"),
                tax_category=row["tax"]
                or (account.default_tax_category if account else "out_of_scope"),
                description=row["description"][:2000],
                department_code=row["department"] or None,
                counterparty_id=_party(row["party"], f"lines[{i}].counterparty_id"),
            )
        )
    return drafts


def _party(raw: str, name: str) -> uuid.UUID | None:
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidInput.field(name, "no such counterparty") from None


async def _save_entry(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    principal: Principal,
    tenant: Tenant,
    entry: JournalEntry | None,
) -> Template | Redirect:
    form = await request.form()
    rows = _parse_lines(form)
    values = {
        "entry_date": _text(form, "entry_date"),
        "description": _text(form, "description"),
        "version": _text(form, "version"),
    }
    post_it = _text(form, "intent") == "post"
    saved: list[JournalEntry] = []
    try:
        async with db_session.begin_nested():
            day = _date(values["entry_date"], "entry_date")
            defaults = await repo.accounts_by_code(
                db_session, tenant.id, (r["account"] for r in rows)
            )
            drafts = _drafts(rows, defaults)
            if entry is None:
                saved.append(
                    await journal.create_entry(
                        db_session,
                        tenant_id=tenant.id,
                        entry_date=day,
                        description=values["description"],
                        lines=drafts,
                        created_by=principal.user_id,
                        post=post_it,
                    )
                )
            else:
                version = int(values["version"]) if values["version"].isdigit() else None
                updated = await journal.update_draft(
                    db_session,
                    entry.id,
                    entry_date=day,
                    description=values["description"],
                    lines=drafts,
                    updated_by=principal.user_id,
                    expected_version=version,
                )
                if post_it:
                    updated = await journal.post_entry(
                        db_session, updated.id, posted_by=principal.user_id
                    )
                saved.append(updated)
    except DaikoError as exc:
        errors = {e.get("field", "form"): e.get("reason", "") for e in exc.errors} or {
            "form": _error_text(exc)
        }
        ctx = await _editor_context(
            db_session, tenant, values, rows + _blank_lines(max(0, MIN_LINES - len(rows)))
        )
        return render(
            request,
            "bookkeeping/editor.html",
            {**ctx, "entry": entry, "errors": errors, "error_text": _error_text(exc)},
            status_code=422,
        )
    done = saved[0]
    if done.status == "posted":
        await _audit(
            db_session, principal, done.tenant_id, "journal_entry.posted", "journal_entry",
            done.id, {"number": done.number},
        )  # fmt: skip
    response = Redirect(f"/bookkeeping/entries/{done.id}", status_code=303)
    flash(
        request,
        response,
        "success",
        gettext("Entry %(number)s is posted.", number=done.number)
        if done.status == "posted"
        else gettext("Entry %(number)s is saved as a draft.", number=done.number),
    )
    return response


@post("/console/bookkeeping/entries", include_in_schema=False, opt={"action": W, "page": True})
async def create_entry_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: uuid.UUID | None = None
) -> Template | Redirect:
    """Save a new entry as a draft, or post it."""
    principal = require_principal(request)
    tenant = _chosen(await _tenants(db_session, principal, W), tenant_id)
    return await _save_entry(request, db_session, principal, tenant, None)


@post(
    "/console/bookkeeping/entries/{entry_id:uuid}",
    include_in_schema=False,
    opt={"action": W, "page": True},
)
async def update_entry_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, entry_id: uuid.UUID
) -> Template | Redirect:
    """Save a draft's changes, or post it."""
    principal = require_principal(request)
    entry = await _entry_or_404(db_session, principal, entry_id, W)
    tenant = await db_session.get(Tenant, entry.tenant_id)
    assert tenant is not None
    return await _save_entry(request, db_session, principal, tenant, entry)


@post(
    "/console/bookkeeping/entries/{entry_id:uuid}/post",
    include_in_schema=False,
    opt={"action": W, "page": True},
)
async def post_entry_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, entry_id: uuid.UUID
) -> Redirect:
    """Post a draft from its page."""
    principal = require_principal(request)
    entry = await _entry_or_404(db_session, principal, entry_id, W)
    response = Redirect(f"/bookkeeping/entries/{entry.id}", status_code=303)

    async def change() -> str:
        done = await journal.post_entry(db_session, entry.id, posted_by=principal.user_id)
        await _audit(
            db_session, principal, done.tenant_id, "journal_entry.posted", "journal_entry",
            done.id, {"number": done.number},
        )  # fmt: skip
        return gettext("Entry %(number)s is posted.", number=done.number)

    return await _attempt(request, db_session, response, change)


@post(
    "/console/bookkeeping/entries/{entry_id:uuid}/reverse",
    include_in_schema=False,
    opt={"action": W, "page": True},
)
async def reverse_entry_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, entry_id: uuid.UUID
) -> Redirect:
    """Post the reversing entry of a posted entry."""
    principal = require_principal(request)
    entry = await _entry_or_404(db_session, principal, entry_id, W)
    form = await request.form()
    response = Redirect(f"/bookkeeping/entries/{entry.id}", status_code=303)
    made: list[JournalEntry] = []

    async def change() -> str:
        raw = _text(form, "entry_date")
        rev = await journal.reverse_entry(
            db_session,
            entry.id,
            entry_date=_date(raw, "entry_date") if raw else None,
            created_by=principal.user_id,
        )
        made.append(rev)
        await _audit(
            db_session, principal, rev.tenant_id, "journal_entry.reversed", "journal_entry",
            entry.id, {"number": entry.number, "reversal": rev.number},
        )  # fmt: skip
        return gettext("Reversing entry %(number)s is posted.", number=rev.number)

    response = await _attempt(request, db_session, response, change)
    if made:
        moved = Redirect(f"/bookkeeping/entries/{made[0].id}", status_code=303)
        moved.cookies.extend(response.cookies)
        return moved
    return response


@post(
    "/console/bookkeeping/entries/{entry_id:uuid}/documents",
    include_in_schema=False,
    opt={"action": W, "page": True},
)
async def link_document_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, entry_id: uuid.UUID
) -> Redirect:
    """Link a document of the tenant to the entry as its evidence (証憑)."""
    principal = require_principal(request)
    entry = await _entry_or_404(db_session, principal, entry_id, W)
    form = await request.form()
    response = Redirect(f"/bookkeeping/entries/{entry.id}", status_code=303)

    async def change() -> str:
        try:
            document_id = uuid.UUID(_text(form, "document_id"))
        except ValueError:
            raise InvalidInput.field("document_id", "choose a document") from None
        await journal.add_document(db_session, entry.id, document_id, created_by=principal.user_id)
        return gettext("The document is linked as evidence.")

    return await _attempt(request, db_session, response, change)


@post(
    "/console/bookkeeping/entries/{entry_id:uuid}/delete",
    include_in_schema=False,
    opt={"action": W, "page": True},
)
async def delete_entry_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, entry_id: uuid.UUID
) -> Redirect:
    """Delete a draft."""
    principal = require_principal(request)
    entry = await _entry_or_404(db_session, principal, entry_id, W)
    response = Redirect(
        f"/console/bookkeeping?tenant_id={entry.tenant_id}&month={entry.entry_date:%Y-%m}",
        status_code=303,
    )

    async def change() -> str:
        await journal.delete_draft(db_session, entry.id)
        return gettext("The draft is deleted.")

    return await _attempt(request, db_session, response, change)


# --- counterparties ---------------------------------------------------------------------


@get(
    "/console/bookkeeping/counterparties", include_in_schema=False, opt={"action": W, "page": True}
)
async def counterparties_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: uuid.UUID | None = None
) -> Template:
    """The tenant's counterparties (取引先) with their インボイス registration numbers."""
    principal = require_principal(request)
    _operator(principal)
    tenants = await _tenants(db_session, principal, W)
    tenant = _chosen(tenants, tenant_id)
    return render(
        request,
        "bookkeeping/counterparties.html",
        {
            "tenants": tenants,
            "tenant": tenant,
            "month": None,
            "counterparties": await repo.list_counterparties(db_session, tenant.id),
            "departments": await repo.list_departments(db_session, tenant.id),
        },
    )


@post(
    "/console/bookkeeping/counterparties", include_in_schema=False, opt={"action": W, "page": True}
)
async def create_counterparty_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: uuid.UUID | None = None
) -> Redirect:
    """Add a counterparty; a registration number is checked (T + 13 digits, check digit)."""
    principal = require_principal(request)
    tenant = _chosen(await _tenants(db_session, principal, W), tenant_id)
    form = await request.form()
    response = Redirect(
        f"/console/bookkeeping/counterparties?tenant_id={tenant.id}", status_code=303
    )

    async def change() -> str:
        name = _text(form, "name")
        if not name or len(name) > 200:
            raise InvalidInput.field("name", "1 to 200 characters")
        party = await chart.create_counterparty(
            db_session,
            tenant.id,
            name=name,
            code=_text(form, "code")[:32] or None,
            registration_number=_text(form, "registration_number") or None,
        )
        return gettext("Counterparty %(name)s is added.", name=party.name)

    return await _attempt(request, db_session, response, change)


@post("/console/bookkeeping/departments", include_in_schema=False, opt={"action": W, "page": True})
async def create_department_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: uuid.UUID | None = None
) -> Redirect:
    """Add a department (部門)."""
    principal = require_principal(request)
    tenant = _chosen(await _tenants(db_session, principal, W), tenant_id)
    form = await request.form()
    response = Redirect(
        f"/console/bookkeeping/counterparties?tenant_id={tenant.id}", status_code=303
    )

    async def change() -> str:
        code, name = _text(form, "code"), _text(form, "name")
        if not code or len(code) > 16 or not code.isascii() or not code.replace("-", "").isalnum():
            raise InvalidInput.field("code", "1 to 16 letters or digits")
        if not name or len(name) > 100:
            raise InvalidInput.field("name", "1 to 100 characters")
        dept = await chart.create_department(db_session, tenant.id, code=code, name=name)
        return gettext("Department %(name)s is added.", name=dept.name)

    return await _attempt(request, db_session, response, change)


# --- chart of accounts ------------------------------------------------------------------


@get("/console/bookkeeping/accounts", include_in_schema=False, opt={"action": W, "page": True})
async def accounts_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: uuid.UUID | None = None
) -> Template:
    """The tenant's chart of accounts, editable."""
    principal = require_principal(request)
    _operator(principal)
    tenants = await _tenants(db_session, principal, W)
    tenant = _chosen(tenants, tenant_id)
    await chart.ensure_chart(db_session, tenant.id)
    return render(
        request,
        "bookkeeping/accounts.html",
        {
            "tenants": tenants,
            "tenant": tenant,
            "accounts": await repo.list_accounts(db_session, tenant.id),
            "sections": list(SECTION_CATEGORY),
            "tax_options": tax_options(),
            "tax_labels": dict(tax_options()),
        },
    )


@post("/console/bookkeeping/accounts", include_in_schema=False, opt={"action": W, "page": True})
async def create_account_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: uuid.UUID | None = None
) -> Redirect:
    """Add an account."""
    principal = require_principal(request)
    tenant = _chosen(await _tenants(db_session, principal, W), tenant_id)
    form = await request.form()
    response = Redirect(f"/console/bookkeeping/accounts?tenant_id={tenant.id}", status_code=303)

    async def change() -> str:
        code, name = _text(form, "code"), _text(form, "name")
        if not code or len(code) > 16 or not code.isascii() or not code.isalnum():
            raise InvalidInput.field("code", "1 to 16 letters or digits")
        if not name or len(name) > 100:
            raise InvalidInput.field("name", "1 to 100 characters")
        account = await chart.create_account(
            db_session,
            tenant.id,
            code=code,
            name=name,
            sub_name=_text(form, "sub_name")[:100] or None,
            section=_text(form, "section"),
            default_tax_category=_text(form, "tax") or "out_of_scope",
        )
        await _audit(
            db_session, principal, tenant.id, "account.created", "account", account.id,
            {"code": account.code},
        )  # fmt: skip
        return gettext("Account %(code)s is added.", code=account.code)

    return await _attempt(request, db_session, response, change)


@post(
    "/console/bookkeeping/accounts/{account_id:uuid}",
    include_in_schema=False,
    opt={"action": W, "page": True},
)
async def update_account_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, account_id: uuid.UUID
) -> Redirect:
    """Rename an account, change its default tax category, (de)activate it."""
    principal = require_principal(request)
    account = await repo.get_account(db_session, account_id)
    if account is None or account.tenant_id not in principal.scope:
        raise NotFound("no such account")
    authorize(principal, W, account.tenant_id)
    form = await request.form()
    response = Redirect(
        f"/console/bookkeeping/accounts?tenant_id={account.tenant_id}#a-{account.code}",
        status_code=303,
    )

    async def change() -> str:
        name = _text(form, "name")
        if not name or len(name) > 100:
            raise InvalidInput.field("name", "1 to 100 characters")
        changes = {
            "name": name,
            "sub_name": _text(form, "sub_name")[:100] or None,
            "default_tax_category": _text(form, "tax") or account.default_tax_category,
            "active": _text(form, "active") == "on",
        }
        await chart.update_account(db_session, account, changes)
        await _audit(
            db_session, principal, account.tenant_id, "account.updated", "account", account.id,
            changes,
        )  # fmt: skip
        return gettext("Account %(code)s is saved.", code=account.code)

    return await _attempt(request, db_session, response, change)


routes = [
    portal_bookkeeping,
    portal_entries,
    entry_page,
    console_bookkeeping,
    open_fiscal_year,
    close_period_page,
    new_entry,
    edit_entry,
    line_row,
    create_entry_page,
    update_entry_page,
    post_entry_page,
    reverse_entry_page,
    delete_entry_page,
    link_document_page,
    counterparties_page,
    create_counterparty_page,
    create_department_page,
    accounts_page,
    create_account_page,
    update_account_page,
]
