"""Bookkeeping API (`/api/v1/bookkeeping`): the chart of accounts, departments,
counterparties, fiscal years and period close, journal entries (draft → posted →
reversed), reports (JSON, CSV, XLSX) and exports for 弥生, freee and MF.

Tenant-level routes take `tenant_id` (optional when you act for one tenant); an entry,
account or period is loaded through the request's tenant-scoped session, so another
tenant's is a 404 before any permission is checked. Reading is `bookkeeping:read`
(client staff and operators), writing `bookkeeping:write` (operators and leads).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import record
from daiko.auth.policy import Action, allows, authorize, require_principal
from daiko.auth.principal import Principal
from daiko.bookkeeping import accounts as chart
from daiko.bookkeeping import exports, journal, periods, reports
from daiko.bookkeeping import repository as repo
from daiko.bookkeeping.models import JournalEntry
from daiko.bookkeeping.schemas import (
    AccountCreate,
    AccountOut,
    AccountUpdate,
    BalanceSheetOut,
    CounterpartyCreate,
    CounterpartyOut,
    DepartmentCreate,
    DepartmentOut,
    DocumentLink,
    EntryCreate,
    EntryOut,
    EntryPage,
    FiscalYearCreate,
    FiscalYearOut,
    GeneralLedgerOut,
    LineIn,
    PeriodOut,
    PostIn,
    ProfitAndLossOut,
    ReverseIn,
    SettingsOut,
    SettingsUpdate,
    TaxSummaryOut,
    TrialBalanceOut,
)
from daiko.errors import InvalidInput, NotFound
from daiko.pagination import cursor_after, encode_cursor

MAX_PAGE = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Format = Literal["csv", "xlsx"]


def tenant_for(principal: Principal, tenant_id: uuid.UUID | None, action: Action) -> uuid.UUID:
    """The tenant a tenant-level request is about: the one named (404 outside your scope,
    403 without the permission there), else your only tenant allowing `action`."""
    if tenant_id is not None:
        if tenant_id not in principal.scope:
            raise NotFound("no such tenant")
        authorize(principal, action, tenant_id)
        return tenant_id
    able = [t for t in principal.scope.tenant_ids if allows(principal, action, t)]
    if len(able) == 1:
        return able[0]
    if not able:
        authorize(principal, action, None)
        raise NotFound("no such tenant")
    raise InvalidInput.field("tenant_id", "required: you act for several tenants")


def user_id(principal: Principal) -> uuid.UUID | None:
    return principal.user_id


async def entry_for(
    session: AsyncSession,
    principal: Principal,
    entry_id: uuid.UUID,
    action: Action,
    *,
    for_update: bool = False,
) -> JournalEntry:
    entry = await repo.get_entry(session, entry_id, for_update=for_update)
    if entry is None or entry.tenant_id not in principal.scope:
        raise NotFound("no such journal entry")
    authorize(principal, action, entry.tenant_id)
    return entry


async def entry_out(session: AsyncSession, entry: JournalEntry) -> EntryOut:
    lines = await repo.lines_of(session, [entry.id])
    accounts = {a.id: a for a in await repo.list_accounts(session, entry.tenant_id)}
    docs = list(await repo.documents_of(session, entry))
    return EntryOut.of(entry, lines, accounts, docs)


async def drafts_from(
    session: AsyncSession, tenant_id: uuid.UUID, lines: list[LineIn]
) -> list[journal.JournalLineDraft]:
    """Line inputs as drafts; an omitted tax category is the account's default."""
    await chart.ensure_chart(session, tenant_id)
    defaults = await repo.accounts_by_code(session, tenant_id, (x.account_code for x in lines))
    return [
        journal.JournalLineDraft(
            account_code=x.account_code,
            debit=x.debit,
            credit=x.credit,
            tax_category=x.tax_category
            or (
                defaults[x.account_code].default_tax_category
                if x.account_code in defaults
                else "out_of_scope"
            ),
            description=x.description,
            department_code=x.department_code,
            counterparty_id=x.counterparty_id,
            tax_amount=x.tax_amount,
        )
        for x in lines
    ]


def download(content: bytes, filename: str, media_type: str) -> Response[bytes]:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def table_download(fmt: Format, name: str, header: Any, rows: list[list[Any]]) -> Response[bytes]:
    if fmt == "xlsx":
        return download(reports.table_xlsx(name, header, rows), f"{name}.xlsx", XLSX)
    return download(reports.table_csv(header, rows), f"{name}.csv", "text/csv; charset=utf-8")


async def audit(
    session: AsyncSession,
    principal: Principal,
    tenant_id: uuid.UUID,
    action: str,
    resource_type: str,
    resource_id: uuid.UUID,
    details: dict[str, Any] | None = None,
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


R = Action.BOOKKEEPING_READ
W = Action.BOOKKEEPING_WRITE


class BookkeepingController(Controller):
    path = "/api/v1/bookkeeping"
    tags = ["bookkeeping"]

    # ------------------------------------------------------------------ settings

    @get("/settings", opt={"action": R})
    async def get_settings(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
    ) -> SettingsOut:
        """税抜/税込経理, how amounts are entered, the tax rounding and the fiscal year start."""
        tid = tenant_for(require_principal(request), tenant_id, R)
        return SettingsOut.of(await chart.ensure_settings(db_session, tid))

    @patch("/settings", opt={"action": W})
    async def update_settings(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        data: SettingsUpdate,
        tenant_id: uuid.UUID | None = None,
    ) -> SettingsOut:
        """Change the ledger settings (they apply to entries written from now on)."""
        principal = require_principal(request)
        tid = tenant_for(principal, tenant_id, W)
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        s = await chart.update_settings(db_session, tid, changes)
        await audit(
            db_session,
            principal,
            tid,
            "bookkeeping_settings.updated",
            "bookkeeping_settings",
            s.id,
            changes,
        )
        return SettingsOut.of(s)

    # ------------------------------------------------------------------ chart of accounts

    @get("/accounts", opt={"action": R})
    async def list_accounts(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
    ) -> list[AccountOut]:
        """The tenant's chart of accounts by code (the default chart on first use)."""
        tid = tenant_for(require_principal(request), tenant_id, R)
        await chart.ensure_chart(db_session, tid)
        return [AccountOut.of(a) for a in await repo.list_accounts(db_session, tid)]

    @post("/accounts", opt={"action": W}, status_code=HTTP_201_CREATED)
    async def create_account(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        data: AccountCreate,
        tenant_id: uuid.UUID | None = None,
    ) -> AccountOut:
        """Add an account (勘定科目, or a 補助科目 with `sub_name`)."""
        principal = require_principal(request)
        tid = tenant_for(principal, tenant_id, W)
        a = await chart.create_account(
            db_session,
            tid,
            code=data.code,
            name=data.name,
            section=data.section,
            sub_name=data.sub_name,
            default_tax_category=data.default_tax_category,
        )
        await audit(
            db_session, principal, tid, "account.created", "account", a.id, {"code": a.code}
        )
        return AccountOut.of(a)

    @patch("/accounts/{account_id:uuid}", opt={"action": W})
    async def update_account(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        account_id: uuid.UUID,
        data: AccountUpdate,
    ) -> AccountOut:
        """Rename an account, change its default tax category, or (de)activate it."""
        principal = require_principal(request)
        a = await repo.get_account(db_session, account_id)
        if a is None or a.tenant_id not in principal.scope:
            raise NotFound("no such account")
        authorize(principal, W, a.tenant_id)
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        await chart.update_account(db_session, a, changes)
        await audit(db_session, principal, a.tenant_id, "account.updated", "account", a.id, changes)
        return AccountOut.of(a)

    # ------------------------------------------------------------------ departments, counterparties

    @get("/departments", opt={"action": R})
    async def list_departments(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
    ) -> list[DepartmentOut]:
        """部門 by code."""
        tid = tenant_for(require_principal(request), tenant_id, R)
        return [DepartmentOut.of(d) for d in await repo.list_departments(db_session, tid)]

    @post("/departments", opt={"action": W}, status_code=HTTP_201_CREATED)
    async def create_department(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        data: DepartmentCreate,
        tenant_id: uuid.UUID | None = None,
    ) -> DepartmentOut:
        """Add a department."""
        tid = tenant_for(require_principal(request), tenant_id, W)
        return DepartmentOut.of(
            await chart.create_department(db_session, tid, code=data.code, name=data.name)
        )

    @get("/counterparties", opt={"action": R})
    async def list_counterparties(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
    ) -> list[CounterpartyOut]:
        """取引先 by name, with their インボイス registration numbers."""
        tid = tenant_for(require_principal(request), tenant_id, R)
        return [CounterpartyOut.of(c) for c in await repo.list_counterparties(db_session, tid)]

    @post("/counterparties", opt={"action": W}, status_code=HTTP_201_CREATED)
    async def create_counterparty(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        data: CounterpartyCreate,
        tenant_id: uuid.UUID | None = None,
    ) -> CounterpartyOut:
        """Add a counterparty; a registration number is "T" + 13 digits with a valid check digit."""
        tid = tenant_for(require_principal(request), tenant_id, W)
        return CounterpartyOut.of(
            await chart.create_counterparty(
                db_session,
                tid,
                name=data.name,
                code=data.code,
                registration_number=data.registration_number,
            )
        )

    # ------------------------------------------------------------------ fiscal years, periods

    @get("/fiscal-years", opt={"action": R})
    async def list_fiscal_years(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
    ) -> list[FiscalYearOut]:
        """Fiscal years with their monthly periods and whether each is closed."""
        tid = tenant_for(require_principal(request), tenant_id, R)
        ps = list(await repo.periods_of(db_session, tid))
        return [FiscalYearOut.of(y, ps) for y in await repo.list_fiscal_years(db_session, tid)]

    @post("/fiscal-years", opt={"action": W}, status_code=HTTP_201_CREATED)
    async def create_fiscal_year(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        data: FiscalYearCreate,
        tenant_id: uuid.UUID | None = None,
    ) -> FiscalYearOut:
        """Open a fiscal year of twelve months from `start_date` (the 1st of a month)."""
        tid = tenant_for(require_principal(request), tenant_id, W)
        y = await periods.create_fiscal_year(db_session, tid, data.start_date)
        return FiscalYearOut.of(y, list(await repo.periods_of(db_session, tid, y.id)))

    @post("/periods/{period_id:uuid}/close", opt={"action": W}, status_code=HTTP_200_OK)
    async def close_period(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, period_id: uuid.UUID
    ) -> PeriodOut:
        """Close a month (月次締め): refused while drafts remain or an earlier month is open;
        afterwards nothing dated in it can be written."""
        principal = require_principal(request)
        p = await repo.get_period(db_session, period_id)
        if p is None or p.tenant_id not in principal.scope:
            raise NotFound("no such accounting period")
        authorize(principal, W, p.tenant_id)
        p = await periods.close_period(db_session, period_id, closed_by=user_id(principal))
        await audit(
            db_session, principal, p.tenant_id, "accounting_period.closed", "accounting_period",
            p.id, {"month": f"{p.start_date:%Y-%m}"},
        )  # fmt: skip
        return PeriodOut.of(p)

    # ------------------------------------------------------------------ journal entries

    @get("/entries", opt={"action": R})
    async def list_entries(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
        status: Literal["draft", "posted"] | None = None,
        date_from: Annotated[date | None, Parameter(query="from")] = None,
        date_to: Annotated[date | None, Parameter(query="to")] = None,
        account: Annotated[str | None, Parameter(max_length=16)] = None,
        source_kind: Annotated[str | None, Parameter(max_length=32)] = None,
        updated_since: datetime | None = None,
        cursor: Annotated[str | None, Parameter(max_length=200)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> EntryPage:
        """Journal entries by date (or by update time with `updated_since`, for sync),
        with their lines; keyset pages via `next_cursor`."""
        tid = tenant_for(require_principal(request), tenant_id, R)
        account_id = None
        if account is not None:
            found = (await repo.accounts_by_code(db_session, tid, [account])).get(account)
            if found is None:
                raise InvalidInput.field("account", f"no account {account!r}")
            account_id = found.id
        where = repo.EntryFilter(
            tenant_id=tid,
            status=status,
            date_from=date_from,
            date_to=date_to,
            account_id=account_id,
            source_kind=source_kind,
        )
        rows: list[JournalEntry]
        if updated_since is not None:
            after_t = cursor_after(cursor, datetime)
            rows = list(
                await repo.list_entries_updated_since(
                    db_session, where, updated_since, after=after_t, limit=limit + 1
                )
            )
        else:
            after_d = cursor_after(cursor, date)
            rows = list(await repo.list_entries(db_session, where, after=after_d, limit=limit + 1))
        page, more = rows[:limit], len(rows) > limit
        lines = await repo.lines_of(db_session, [e.id for e in page])
        accounts = {a.id: a for a in await repo.list_accounts(db_session, tid)}
        next_cursor = None
        if more and page:
            last = page[-1]
            next_cursor = encode_cursor(
                last.updated_at if updated_since is not None else last.entry_date, last.id
            )
        return EntryPage(
            items=[EntryOut.of(e, lines, accounts) for e in page], next_cursor=next_cursor
        )

    @post("/entries", opt={"action": W}, status_code=HTTP_201_CREATED)
    async def create_entry(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        data: EntryCreate,
        tenant_id: uuid.UUID | None = None,
    ) -> EntryOut:
        """Write a draft entry (or post it at once with `post: true`). Debits must equal
        credits after the consumption tax is split off."""
        principal = require_principal(request)
        tid = tenant_for(principal, tenant_id, W)
        entry = await journal.create_entry(
            db_session,
            tenant_id=tid,
            entry_date=data.entry_date,
            description=data.description,
            lines=await drafts_from(db_session, tid, data.lines),
            created_by=user_id(principal),
            post=data.post,
            is_closing=data.is_closing,
        )
        if data.post:
            await audit(
                db_session,
                principal,
                tid,
                "journal_entry.posted",
                "journal_entry",
                entry.id,
                {"number": entry.number},
            )
        return await entry_out(db_session, entry)

    @get("/entries/{entry_id:uuid}", opt={"action": R})
    async def get_entry(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, entry_id: uuid.UUID
    ) -> EntryOut:
        """One entry with its lines and linked evidence (電帳法 search fields)."""
        entry = await entry_for(db_session, require_principal(request), entry_id, R)
        return await entry_out(db_session, entry)

    @put("/entries/{entry_id:uuid}", opt={"action": W})
    async def replace_entry(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        entry_id: uuid.UUID,
        data: EntryCreate,
    ) -> EntryOut:
        """Replace a draft's date, description and lines (`version`: the one you read)."""
        principal = require_principal(request)
        entry = await entry_for(db_session, principal, entry_id, W)
        entry = await journal.update_draft(
            db_session,
            entry.id,
            entry_date=data.entry_date,
            description=data.description,
            lines=await drafts_from(db_session, entry.tenant_id, data.lines),
            updated_by=user_id(principal),
            expected_version=data.version,
        )
        if data.post:
            entry = await journal.post_entry(db_session, entry.id, posted_by=user_id(principal))
            await audit(
                db_session,
                principal,
                entry.tenant_id,
                "journal_entry.posted",
                "journal_entry",
                entry.id,
                {"number": entry.number},
            )
        return await entry_out(db_session, entry)

    @delete("/entries/{entry_id:uuid}", opt={"action": W}, status_code=HTTP_204_NO_CONTENT)
    async def delete_entry(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, entry_id: uuid.UUID
    ) -> None:
        """Delete a draft (a posted entry is reversed instead)."""
        entry = await entry_for(db_session, require_principal(request), entry_id, W)
        await journal.delete_draft(db_session, entry.id)

    @post("/entries/{entry_id:uuid}/post", opt={"action": W}, status_code=HTTP_200_OK)
    async def post_entry(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        entry_id: uuid.UUID,
        data: PostIn | None = None,
    ) -> EntryOut:
        """Post a draft (記帳確定): from then on it never changes."""
        principal = require_principal(request)
        entry = await entry_for(db_session, principal, entry_id, W)
        entry = await journal.post_entry(
            db_session,
            entry.id,
            posted_by=user_id(principal),
            expected_version=data.version if data else None,
        )
        await audit(
            db_session,
            principal,
            entry.tenant_id,
            "journal_entry.posted",
            "journal_entry",
            entry.id,
            {"number": entry.number},
        )
        return await entry_out(db_session, entry)

    @post("/entries/{entry_id:uuid}/reverse", opt={"action": W}, status_code=HTTP_201_CREATED)
    async def reverse_entry(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        entry_id: uuid.UUID,
        data: ReverseIn | None = None,
    ) -> EntryOut:
        """Post the reversing entry (反対仕訳) of a posted entry; returns the reversal."""
        principal = require_principal(request)
        entry = await entry_for(db_session, principal, entry_id, W)
        rev = await journal.reverse_entry(
            db_session,
            entry.id,
            entry_date=data.entry_date if data else None,
            created_by=user_id(principal),
            description=data.description if data else None,
        )
        await audit(
            db_session, principal, rev.tenant_id, "journal_entry.reversed", "journal_entry",
            entry.id, {"number": entry.number, "reversal": rev.number},
        )  # fmt: skip
        return await entry_out(db_session, rev)

    @post("/entries/{entry_id:uuid}/documents", opt={"action": W}, status_code=HTTP_201_CREATED)
    async def link_document(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        entry_id: uuid.UUID,
        data: DocumentLink,
    ) -> EntryOut:
        """Link evidence (証憑) from the tenant's documents."""
        principal = require_principal(request)
        entry = await entry_for(db_session, principal, entry_id, W)
        await journal.add_document(
            db_session, entry.id, data.document_id, created_by=user_id(principal)
        )
        return await entry_out(db_session, entry)

    @delete(
        "/entries/{entry_id:uuid}/documents/{document_id:uuid}",
        opt={"action": W},
        status_code=HTTP_204_NO_CONTENT,
    )
    async def unlink_document(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        entry_id: uuid.UUID,
        document_id: uuid.UUID,
    ) -> None:
        """Unlink evidence from a draft."""
        entry = await entry_for(db_session, require_principal(request), entry_id, W)
        await journal.remove_document(db_session, entry.id, document_id)

    # ------------------------------------------------------------------ reports

    @get("/reports/trial-balance", opt={"action": R})
    async def trial_balance(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        month: Annotated[str, Parameter(pattern=r"^[0-9]{4}-[0-9]{2}$")],
        tenant_id: uuid.UUID | None = None,
        fmt: Annotated[Format | None, Parameter(query="format")] = None,
    ) -> Any:
        """残高試算表 of a month (`format=csv|xlsx` to download)."""
        tid = tenant_for(require_principal(request), tenant_id, R)
        tb = await reports.trial_balance(db_session, tid, month)
        if fmt is not None:
            return table_download(
                fmt, f"trial-balance-{month}", reports.TRIAL_BALANCE_HEADER,
                reports.trial_balance_table(tb),
            )  # fmt: skip
        return TrialBalanceOut.of(tb)

    @get("/reports/general-ledger", opt={"action": R})
    async def general_ledger(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        account: Annotated[str, Parameter(max_length=16)],
        date_from: Annotated[date, Parameter(query="from")],
        date_to: Annotated[date, Parameter(query="to")],
        tenant_id: uuid.UUID | None = None,
        fmt: Annotated[Format | None, Parameter(query="format")] = None,
    ) -> Any:
        """総勘定元帳 of one account with the running balance."""
        tid = tenant_for(require_principal(request), tenant_id, R)
        gl = await reports.general_ledger(db_session, tid, account, date_from, date_to)
        if fmt is not None:
            return table_download(
                fmt, f"general-ledger-{account}-{date_from}-{date_to}", reports.LEDGER_HEADER,
                reports.ledger_table(gl),
            )  # fmt: skip
        return GeneralLedgerOut.of(gl)

    @get("/reports/profit-and-loss", opt={"action": R})
    async def profit_and_loss(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        date_from: Annotated[date, Parameter(query="from")],
        date_to: Annotated[date, Parameter(query="to")],
        tenant_id: uuid.UUID | None = None,
    ) -> ProfitAndLossOut:
        """損益計算書 summary between two dates."""
        tid = tenant_for(require_principal(request), tenant_id, R)
        return ProfitAndLossOut.of(
            await reports.profit_and_loss(db_session, tid, date_from, date_to)
        )

    @get("/reports/balance-sheet", opt={"action": R})
    async def balance_sheet(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        as_of: date,
        tenant_id: uuid.UUID | None = None,
    ) -> BalanceSheetOut:
        """貸借対照表 summary at a date."""
        tid = tenant_for(require_principal(request), tenant_id, R)
        return BalanceSheetOut.of(await reports.balance_sheet(db_session, tid, as_of))

    @get("/reports/tax-summary", opt={"action": R})
    async def tax_summary(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        date_from: Annotated[date, Parameter(query="from")],
        date_to: Annotated[date, Parameter(query="to")],
        tenant_id: uuid.UUID | None = None,
        fmt: Annotated[Format | None, Parameter(query="format")] = None,
    ) -> Any:
        """消費税集計 by tax category: tax-exclusive base, tax, deductible tax."""
        tid = tenant_for(require_principal(request), tenant_id, R)
        rows = await reports.tax_summary(db_session, tid, date_from, date_to)
        if fmt is not None:
            return table_download(
                fmt, f"tax-summary-{date_from}-{date_to}", reports.TAX_HEADER,
                reports.tax_table(rows),
            )  # fmt: skip
        return TaxSummaryOut.of(date_from, date_to, rows)

    @get("/exports", opt={"action": R})
    async def export(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        layout: Literal["yayoi", "freee", "mf"],
        date_from: Annotated[date, Parameter(query="from")],
        date_to: Annotated[date, Parameter(query="to")],
        tenant_id: uuid.UUID | None = None,
        encoding: Literal["utf-8", "cp932"] | None = None,
    ) -> Response[bytes]:
        """Posted entries as a journal-import file for `yayoi` (cp932), `freee` or `mf`."""
        tid = tenant_for(require_principal(request), tenant_id, R)
        entries = await exports.load_entries(db_session, tid, date_from, date_to)
        body = exports.render(layout, entries, encoding)
        charset = "shift_jis" if layout == "yayoi" or encoding == "cp932" else "utf-8"
        return download(
            body, f"journal-{layout}-{date_from}-{date_to}.csv", f"text/csv; charset={charset}"
        )


routes = [BookkeepingController]
