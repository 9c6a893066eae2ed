"""The only place with ledger queries. Every function takes a tenant-scoped session: RLS
limits it to the caller's tenants, so another tenant's rows are simply not found."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.bookkeeping.models import (
    Account,
    AccountingPeriod,
    BookkeepingSettings,
    Counterparty,
    Department,
    FiscalYear,
    JournalEntry,
    JournalEntryDocument,
    JournalLine,
)
from daiko.documents.models import Document


async def settings_of(session: AsyncSession, tenant_id: uuid.UUID) -> BookkeepingSettings | None:
    stmt = select(BookkeepingSettings).where(BookkeepingSettings.tenant_id == tenant_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def take_entry_number(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """The next voucher number (伝票番号); the row lock serialises concurrent writers."""
    stmt = (
        update(BookkeepingSettings)
        .where(BookkeepingSettings.tenant_id == tenant_id)
        .values(next_entry_number=BookkeepingSettings.next_entry_number + 1)
        .returning(BookkeepingSettings.next_entry_number - 1)
    )
    return int((await session.execute(stmt)).scalar_one())


# --- accounts, departments, counterparties -------------------------------------------


async def accounts_by_code(
    session: AsyncSession, tenant_id: uuid.UUID, codes: Iterable[str]
) -> dict[str, Account]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    stmt = select(Account).where(Account.tenant_id == tenant_id, Account.code.in_(wanted))
    return {a.code: a for a in (await session.execute(stmt)).scalars()}


async def list_accounts(
    session: AsyncSession, tenant_id: uuid.UUID, *, include_inactive: bool = True
) -> Sequence[Account]:
    stmt = select(Account).where(Account.tenant_id == tenant_id).order_by(Account.code)
    if not include_inactive:
        stmt = stmt.where(Account.active.is_(True))
    return (await session.execute(stmt)).scalars().all()


async def get_account(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    return (
        await session.execute(select(Account).where(Account.id == account_id))
    ).scalar_one_or_none()


async def account_in_use(session: AsyncSession, account: Account) -> bool:
    stmt = select(JournalLine.id).where(
        JournalLine.tenant_id == account.tenant_id, JournalLine.account_id == account.id
    )
    return (await session.execute(stmt.limit(1))).first() is not None


async def departments_by_code(
    session: AsyncSession, tenant_id: uuid.UUID, codes: Iterable[str]
) -> dict[str, Department]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    stmt = select(Department).where(Department.tenant_id == tenant_id, Department.code.in_(wanted))
    return {d.code: d for d in (await session.execute(stmt)).scalars()}


async def list_departments(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[Department]:
    stmt = select(Department).where(Department.tenant_id == tenant_id).order_by(Department.code)
    return (await session.execute(stmt)).scalars().all()


async def list_counterparties(
    session: AsyncSession, tenant_id: uuid.UUID
) -> Sequence[Counterparty]:
    stmt = (
        select(Counterparty).where(Counterparty.tenant_id == tenant_id).order_by(Counterparty.name)
    )
    return (await session.execute(stmt)).scalars().all()


async def counterparties_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Counterparty]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    stmt = select(Counterparty).where(
        Counterparty.tenant_id == tenant_id, Counterparty.id.in_(wanted)
    )
    return {c.id: c for c in (await session.execute(stmt)).scalars()}


async def counterparty_by_name(
    session: AsyncSession, tenant_id: uuid.UUID, name: str
) -> Counterparty | None:
    stmt = select(Counterparty).where(
        Counterparty.tenant_id == tenant_id, Counterparty.name == name
    )
    return (await session.execute(stmt)).scalar_one_or_none()


# --- fiscal years and periods -------------------------------------------------------


async def list_fiscal_years(session: AsyncSession, tenant_id: uuid.UUID) -> Sequence[FiscalYear]:
    stmt = (
        select(FiscalYear).where(FiscalYear.tenant_id == tenant_id).order_by(FiscalYear.start_date)
    )
    return (await session.execute(stmt)).scalars().all()


async def fiscal_year_containing(
    session: AsyncSession, tenant_id: uuid.UUID, day: date
) -> FiscalYear | None:
    stmt = select(FiscalYear).where(
        FiscalYear.tenant_id == tenant_id,
        FiscalYear.start_date <= day,
        FiscalYear.end_date >= day,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def overlapping_fiscal_year(
    session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> FiscalYear | None:
    stmt = select(FiscalYear).where(
        FiscalYear.tenant_id == tenant_id,
        FiscalYear.start_date <= end,
        FiscalYear.end_date >= start,
    )
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def periods_of(
    session: AsyncSession, tenant_id: uuid.UUID, fiscal_year_id: uuid.UUID | None = None
) -> Sequence[AccountingPeriod]:
    stmt = select(AccountingPeriod).where(AccountingPeriod.tenant_id == tenant_id)
    if fiscal_year_id is not None:
        stmt = stmt.where(AccountingPeriod.fiscal_year_id == fiscal_year_id)
    return (await session.execute(stmt.order_by(AccountingPeriod.start_date))).scalars().all()


async def get_period(
    session: AsyncSession, period_id: uuid.UUID, *, for_update: bool = False
) -> AccountingPeriod | None:
    stmt = select(AccountingPeriod).where(AccountingPeriod.id == period_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def closed_period_on(
    session: AsyncSession, tenant_id: uuid.UUID, day: date
) -> AccountingPeriod | None:
    stmt = select(AccountingPeriod).where(
        AccountingPeriod.tenant_id == tenant_id,
        AccountingPeriod.status == "closed",
        AccountingPeriod.start_date <= day,
        AccountingPeriod.end_date >= day,
    )
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def drafts_between(
    session: AsyncSession, tenant_id: uuid.UUID, start: date, end: date
) -> int:
    stmt = select(func.count()).where(
        JournalEntry.tenant_id == tenant_id,
        JournalEntry.status == "draft",
        JournalEntry.entry_date.between(start, end),
    )
    return int((await session.execute(stmt)).scalar_one())


# --- journal ------------------------------------------------------------------------


async def get_entry(
    session: AsyncSession, entry_id: uuid.UUID, *, for_update: bool = False
) -> JournalEntry | None:
    stmt = select(JournalEntry).where(JournalEntry.id == entry_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def lines_of(session: AsyncSession, entry_ids: Sequence[uuid.UUID]) -> list[JournalLine]:
    if not entry_ids:
        return []
    stmt = (
        select(JournalLine)
        .where(JournalLine.entry_id.in_(list(entry_ids)))
        .order_by(JournalLine.entry_id, JournalLine.line_no)
    )
    return list((await session.execute(stmt)).scalars())


async def delete_lines(session: AsyncSession, entry: JournalEntry) -> None:
    await session.execute(
        delete(JournalLine).where(
            JournalLine.tenant_id == entry.tenant_id, JournalLine.entry_id == entry.id
        )
    )


async def reversal_of(session: AsyncSession, entry: JournalEntry) -> JournalEntry | None:
    stmt = select(JournalEntry).where(
        JournalEntry.tenant_id == entry.tenant_id, JournalEntry.reverses_id == entry.id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


@dataclass(frozen=True)
class EntryFilter:
    tenant_id: uuid.UUID
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    account_id: uuid.UUID | None = None
    source_kind: str | None = None


async def list_entries(
    session: AsyncSession,
    where: EntryFilter,
    *,
    after: tuple[date, uuid.UUID] | None = None,
    limit: int = 50,
) -> Sequence[JournalEntry]:
    """By entry date, then id (creation order); keyset `after` = the previous page's last."""
    stmt = (
        select(JournalEntry)
        .where(JournalEntry.tenant_id == where.tenant_id)
        .order_by(JournalEntry.entry_date, JournalEntry.id)
        .limit(limit)
    )
    stmt = _entry_filters(stmt, where)
    if after is not None:
        stmt = stmt.where(tuple_(JournalEntry.entry_date, JournalEntry.id) > tuple_(*after))
    return (await session.execute(stmt)).scalars().all()


async def list_entries_updated_since(
    session: AsyncSession,
    where: EntryFilter,
    since: datetime,
    *,
    after: tuple[datetime, uuid.UUID] | None = None,
    limit: int = 50,
) -> Sequence[JournalEntry]:
    stmt = (
        select(JournalEntry)
        .where(JournalEntry.tenant_id == where.tenant_id, JournalEntry.updated_at >= since)
        .order_by(JournalEntry.updated_at, JournalEntry.id)
        .limit(limit)
    )
    stmt = _entry_filters(stmt, where)
    if after is not None:
        stmt = stmt.where(tuple_(JournalEntry.updated_at, JournalEntry.id) > tuple_(*after))
    return (await session.execute(stmt)).scalars().all()


def _entry_filters(stmt: Any, where: EntryFilter) -> Any:
    if where.status is not None:
        stmt = stmt.where(JournalEntry.status == where.status)
    if where.date_from is not None:
        stmt = stmt.where(JournalEntry.entry_date >= where.date_from)
    if where.date_to is not None:
        stmt = stmt.where(JournalEntry.entry_date <= where.date_to)
    if where.source_kind is not None:
        stmt = stmt.where(JournalEntry.source_kind == where.source_kind)
    if where.account_id is not None:
        stmt = stmt.where(
            JournalEntry.id.in_(
                select(JournalLine.entry_id).where(
                    JournalLine.tenant_id == where.tenant_id,
                    JournalLine.account_id == where.account_id,
                )
            )
        )
    return stmt


async def documents_of(session: AsyncSession, entry: JournalEntry) -> Sequence[Document]:
    stmt = (
        select(Document)
        .join(
            JournalEntryDocument,
            (JournalEntryDocument.tenant_id == Document.tenant_id)
            & (JournalEntryDocument.document_id == Document.id),
        )
        .where(
            JournalEntryDocument.tenant_id == entry.tenant_id,
            JournalEntryDocument.entry_id == entry.id,
        )
        .order_by(JournalEntryDocument.created_at)
    )
    return (await session.execute(stmt)).scalars().all()


async def get_document(session: AsyncSession, document_id: uuid.UUID) -> Document | None:
    stmt = select(Document).where(Document.id == document_id, Document.deleted_at.is_(None))
    return (await session.execute(stmt)).scalar_one_or_none()


async def unlink_document(
    session: AsyncSession, entry: JournalEntry, document_id: uuid.UUID
) -> int:
    result = await session.execute(
        delete(JournalEntryDocument).where(
            JournalEntryDocument.tenant_id == entry.tenant_id,
            JournalEntryDocument.entry_id == entry.id,
            JournalEntryDocument.document_id == document_id,
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def evidence_candidates(
    session: AsyncSession, tenant_id: uuid.UUID, near: date, limit: int = 50
) -> Sequence[Document]:
    """Documents to offer as evidence: those dated nearest the entry first (電帳法 search
    fields: transaction date, amount, counterparty)."""
    stmt = (
        select(Document)
        .where(Document.tenant_id == tenant_id, Document.deleted_at.is_(None))
        .order_by(
            func.abs(func.coalesce(Document.transaction_date, near) - near), Document.id.desc()
        )
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


# --- many entries at once (record_entries) -------------------------------------------------

BULK_ENTRY_COLUMNS = (
    "id", "number", "entry_date", "description", "source_id", "document_id", "link_id",
)  # fmt: skip
BULK_LINE_COLUMNS = (
    "id", "entry_id", "line_no", "account_id", "debit", "credit", "tax_category", "tax_rate",
    "tax_amount", "tax_included", "tax_parent_line_no", "description", "department_id",
    "counterparty_id",
)  # fmt: skip
_BULK_DDL = (
    "create temporary table if not exists bk_entry_stage ("
    " id uuid, number integer, entry_date date, description text, source_id uuid,"
    " document_id uuid, link_id uuid) on commit drop",
    "create temporary table if not exists bk_line_stage ("
    " id uuid, entry_id uuid, line_no integer, account_id uuid, debit bigint, credit bigint,"
    " tax_category varchar(32), tax_rate integer, tax_amount bigint, tax_included boolean,"
    " tax_parent_line_no integer, description text, department_id uuid,"
    " counterparty_id uuid) on commit drop",
    "truncate bk_entry_stage, bk_line_stage",
)
_BULK_ENTRIES = text(
    "insert into journal_entries (tenant_id, id, number, entry_date, description, status,"
    " is_closing, source_kind, source_id, created_by, updated_by)"
    " select :tenant_id, s.id, s.number, s.entry_date, s.description, 'draft', false,"
    " :source_kind, s.source_id, :user_id, :user_id from bk_entry_stage s"
)
_BULK_LINES = text(
    "insert into journal_lines (tenant_id, id, entry_id, line_no, account_id, debit, credit,"
    " tax_category, tax_rate, tax_amount, tax_included, tax_parent_line_no, description,"
    " department_id, counterparty_id)"
    " select :tenant_id, s.id, s.entry_id, s.line_no, s.account_id, s.debit, s.credit,"
    " s.tax_category, s.tax_rate, s.tax_amount, s.tax_included, s.tax_parent_line_no,"
    " s.description, s.department_id, s.counterparty_id from bk_line_stage s"
)
_BULK_DOCUMENTS = text(
    "insert into journal_entry_documents (tenant_id, id, entry_id, document_id, created_by)"
    " select :tenant_id, s.link_id, s.id, s.document_id, :user_id"
    " from bk_entry_stage s where s.document_id is not null"
)
_BULK_POST = text(
    "update journal_entries e set status = 'posted', posted_at = now(), posted_by = :user_id,"
    " updated_by = :user_id, updated_at = now(), version = e.version + 1"
    " from bk_entry_stage s where e.tenant_id = :tenant_id and e.id = s.id"
)
# What the planner believes the journal tables hold (-1: never analysed), and the
# owner-run ANALYZE of both (migration 0017).
_PLANNER_ROWS = text(
    "select least(max(reltuples) filter (where oid = 'journal_entries'::regclass),"
    " max(reltuples) filter (where oid = 'journal_lines'::regclass)) from pg_class"
    " where oid in ('journal_entries'::regclass, 'journal_lines'::regclass)"
)
_ANALYZE = text("select bk_analyze_ledger()")
# The ledger's deferred balance triggers (migration 0013), fired now rather than at commit.
_CHECK_BALANCES = (
    "set constraints journal_lines_balanced, journal_entries_balanced immediate",
    "set constraints journal_lines_balanced, journal_entries_balanced deferred",
)


async def take_entry_numbers(session: AsyncSession, tenant_id: uuid.UUID, count: int) -> int:
    """The first of `count` consecutive voucher numbers (伝票番号), taken at once."""
    stmt = (
        update(BookkeepingSettings)
        .where(BookkeepingSettings.tenant_id == tenant_id)
        .values(next_entry_number=BookkeepingSettings.next_entry_number + count)
        .returning(BookkeepingSettings.next_entry_number - count)
    )
    return int((await session.execute(stmt)).scalar_one())


async def closed_periods(session: AsyncSession, tenant_id: uuid.UUID) -> list[tuple[date, date]]:
    stmt = select(AccountingPeriod.start_date, AccountingPeriod.end_date).where(
        AccountingPeriod.tenant_id == tenant_id, AccountingPeriod.status == "closed"
    )
    return [(a, b) for a, b in (await session.execute(stmt)).all()]


async def live_document_ids(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    wanted = list(set(ids))
    if not wanted:
        return set()
    stmt = select(Document.id).where(
        Document.tenant_id == tenant_id, Document.id.in_(wanted), Document.deleted_at.is_(None)
    )
    return set((await session.execute(stmt)).scalars())


async def insert_entries(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    entries: Sequence[tuple[Any, ...]],
    lines: Sequence[tuple[Any, ...]],
    source_kind: str,
    user_id: uuid.UUID | None,
    post: bool,
) -> None:
    """Write entries (rows shaped as `BULK_ENTRY_COLUMNS`), their lines
    (`BULK_LINE_COLUMNS`) and evidence links set-wise: COPY into temporary tables (COPY
    cannot write a table under RLS), then INSERT … SELECT in this tenant-scoped session,
    so the policies, foreign keys and the ledger's triggers see every row. Entries are
    written as drafts, their lines added, then posted (the line guard refuses lines of a
    posted entry); the balance of every entry is checked before returning."""
    for ddl in _BULK_DDL:
        await session.execute(text(ddl))
    conn = await session.connection()
    apg: Any = (await conn.get_raw_connection()).driver_connection
    await apg.copy_records_to_table("bk_entry_stage", records=entries, columns=BULK_ENTRY_COLUMNS)
    await apg.copy_records_to_table("bk_line_stage", records=lines, columns=BULK_LINE_COLUMNS)
    params = {"tenant_id": tenant_id, "user_id": user_id, "source_kind": source_kind}
    # Statistics older than this batch make the triggers' lookups walk the tenant's lines
    # (see migration 0017): refresh them once the batch outweighs what they describe.
    stale = float((await session.execute(_PLANNER_ROWS)).scalar_one()) < len(lines)
    await session.execute(_BULK_ENTRIES, params)
    if stale:
        await session.execute(_ANALYZE)
    await session.execute(_BULK_LINES, params)
    if stale:
        await session.execute(_ANALYZE)
    await session.execute(_BULK_DOCUMENTS, params)
    for statement in _CHECK_BALANCES:
        await session.execute(text(statement))
    if post:
        await session.execute(_BULK_POST, params)
