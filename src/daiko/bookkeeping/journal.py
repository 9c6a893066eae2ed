"""Journal entries (仕訳): create, edit drafts, post, reverse. Services only flush.

Lines come in as `JournalLineDraft`s (one side each, integer yen). Taxable lines are
split with the tenant's settings: under 税抜経理 the tax goes to a generated line on
仮払消費税等 (purchases) or 仮受消費税等 (sales) on the same side, under 税込経理 it stays
inside the line's amount. Debits must equal credits after that, or nothing is written —
and the database checks the same at commit (a deferred constraint trigger).

Posted entries never change (a trigger refuses it); a correction is a reversing entry
(反対仕訳) that swaps every line's side. Nothing dated in a closed period is written.

Other domains call `record_entry` (payroll runs when approved, a line booked by hand),
or `record_entries` for many at once (statement imports).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.bookkeeping import repository as repo
from daiko.bookkeeping import tax
from daiko.bookkeeping.accounts import ensure_chart
from daiko.bookkeeping.models import (
    Account,
    BookkeepingSettings,
    Counterparty,
    Department,
    JournalEntry,
    JournalEntryDocument,
    JournalLine,
)
from daiko.errors import Conflict, DaikoError, InvalidInput, NotFound
from daiko.ids import new_id

__all__ = [
    "EntryDraft",
    "JournalLineDraft",
    "add_document",
    "create_entry",
    "delete_draft",
    "post_entry",
    "record_entries",
    "record_entry",
    "remove_document",
    "reverse_entry",
    "update_draft",
]

MAX_LINES = 500
MAX_AMOUNT = 10**15  # a trillion yen, well inside bigint; catches typos and overflow


@dataclass(frozen=True)
class JournalLineDraft:
    """One side of a 仕訳 as a caller states it. `tax_amount` overrides the computed tax
    (e.g. the figure printed on a qualified invoice)."""

    account_code: str
    debit: int = 0
    credit: int = 0
    tax_category: str = "out_of_scope"
    description: str = ""
    department_code: str | None = None
    counterparty_id: uuid.UUID | None = None
    tax_amount: int | None = None


@dataclass
class _Line:
    account: Account
    debit: int
    credit: int
    tax_category: str
    tax_rate: int
    tax_amount: int
    tax_included: bool
    description: str
    department_id: uuid.UUID | None
    counterparty_id: uuid.UUID | None
    tax_parent: int | None = None  # index of the line whose tax this is


def _now() -> datetime:
    return datetime.now(UTC)


async def _check_open(session: AsyncSession, tenant_id: uuid.UUID, day: date) -> None:
    closed = await repo.closed_period_on(session, tenant_id, day)
    if closed is not None:
        raise Conflict(
            f"the period {closed.start_date:%Y-%m} is closed: nothing dated {day} can change",
            extra={"code": "period_closed"},
        )


# SQLSTATEs raised by the ledger's triggers (migration 0013).
POSTED_SQLSTATE, CLOSED_SQLSTATE, UNBALANCED_SQLSTATE = "BK001", "BK002", "BK003"


def sqlstate_of(exc: DBAPIError) -> str | None:
    for candidate in (exc.orig, getattr(exc.orig, "__cause__", None)):
        state = getattr(candidate, "sqlstate", None)
        if isinstance(state, str):
            return state
    return None


async def _flush(session: AsyncSession) -> None:
    """Flush; a refusal by the ledger's triggers (a period closed or an entry posted by a
    concurrent request after our checks) becomes the same Conflict the checks raise."""
    try:
        await session.flush()
    except DBAPIError as exc:
        _raise_ledger_refusal(exc)
        raise


def _raise_ledger_refusal(exc: DBAPIError) -> None:
    """Raise the Conflict matching a refusal by the ledger's triggers, if it is one."""
    state = sqlstate_of(exc)
    if state == CLOSED_SQLSTATE:
        raise Conflict(
            "the period is closed: nothing dated in it can change",
            extra={"code": "period_closed"},
        ) from exc
    if state == POSTED_SQLSTATE:
        raise Conflict(
            "a posted entry cannot change: reverse it instead", extra={"code": "posted"}
        ) from exc


def _amount(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput.field(name, "must be an integer number of yen")
    if value < 0:
        raise InvalidInput.field(name, "must not be negative")
    if value > MAX_AMOUNT:
        raise InvalidInput.field(name, "is too large")
    return value


@dataclass(frozen=True)
class _Refs:
    """What the drafts name, looked up once: accounts by code, departments by code,
    counterparties by id, and the active 仮払/仮受消費税等 accounts by tax role."""

    accounts: dict[str, Account]
    departments: dict[str, Department]
    counterparties: dict[uuid.UUID, Counterparty]
    by_role: dict[str, Account]


async def _resolve(
    session: AsyncSession, tenant_id: uuid.UUID, drafts: Iterable[JournalLineDraft]
) -> _Refs:
    drafts = list(drafts)
    accounts = await repo.accounts_by_code(session, tenant_id, (d.account_code for d in drafts))
    departments = await repo.departments_by_code(
        session, tenant_id, (d.department_code for d in drafts if d.department_code)
    )
    counterparties = await repo.counterparties_by_id(
        session, tenant_id, (d.counterparty_id for d in drafts if d.counterparty_id)
    )
    by_role = {
        a.tax_role: a
        for a in (await repo.list_accounts(session, tenant_id, include_inactive=False))
        if a.tax_role
    }
    return _Refs(accounts, departments, counterparties, by_role)


async def _build_lines(
    session: AsyncSession,
    settings: BookkeepingSettings,
    drafts: Sequence[JournalLineDraft],
    amount_basis: tax.Basis | None = None,
) -> list[_Line]:
    _check_count(drafts)
    refs = await _resolve(session, settings.tenant_id, drafts)
    return _lines_from(settings, refs, drafts, amount_basis)


def _check_count(drafts: Sequence[JournalLineDraft]) -> None:
    if len(drafts) < 2:
        raise InvalidInput.field("lines", "an entry needs at least two lines")
    if len(drafts) > MAX_LINES:
        raise InvalidInput.field("lines", f"at most {MAX_LINES} lines per entry")


def _lines_from(
    settings: BookkeepingSettings,
    refs: _Refs,
    drafts: Sequence[JournalLineDraft],
    amount_basis: tax.Basis | None = None,
) -> list[_Line]:
    """The lines to write for `drafts` (tax split off per the tenant's settings), checked
    to balance; pure, so many entries can be built from one lookup."""
    _check_count(drafts)
    accounts, departments = refs.accounts, refs.departments
    counterparties, by_role = refs.counterparties, refs.by_role
    basis: tax.Basis = amount_basis or (
        "exclusive" if settings.amount_basis == "exclusive" else "inclusive"
    )
    rounding: tax.Rounding = settings.tax_rounding  # type: ignore[assignment]
    out: list[_Line] = []
    for i, d in enumerate(drafts):
        where = f"lines[{i}]"
        account = accounts.get(d.account_code)
        if account is None:
            raise InvalidInput.field(f"{where}.account_code", f"no account {d.account_code!r}")
        if not account.active:
            raise InvalidInput.field(f"{where}.account_code", "the account is inactive")
        debit = _amount(d.debit, f"{where}.debit")
        credit = _amount(d.credit, f"{where}.credit")
        if (debit > 0) == (credit > 0):
            raise InvalidInput.field(where, "exactly one of debit and credit must be positive")
        cat = tax.BY_CODE.get(d.tax_category)
        if cat is None:
            raise InvalidInput.field(f"{where}.tax_category", f"unknown {d.tax_category!r}")
        department_id = None
        if d.department_code:
            dept = departments.get(d.department_code)
            if dept is None:
                raise InvalidInput.field(
                    f"{where}.department_code", f"no department {d.department_code!r}"
                )
            department_id = dept.id
        if d.counterparty_id is not None and d.counterparty_id not in counterparties:
            raise InvalidInput.field(f"{where}.counterparty_id", "no such counterparty")
        amount = debit or credit
        if cat.rate == 0:
            if d.tax_amount:
                raise InvalidInput.field(f"{where}.tax_amount", "this tax category has no tax")
            split = tax.TaxSplit(amount, 0, amount)
        elif d.tax_amount is not None:
            override = _amount(d.tax_amount, f"{where}.tax_amount")
            if basis == "inclusive":
                if override > amount:
                    raise InvalidInput.field(f"{where}.tax_amount", "exceeds the amount")
                split = tax.TaxSplit(amount - override, override, amount)
            else:
                split = tax.TaxSplit(amount, override, amount + override)
        else:
            split = tax.split(amount, cat.rate, basis, rounding)
        exclusive = settings.tax_accounting == "exclusive" and split.tax > 0
        booked = split.net if exclusive else split.gross
        if booked <= 0:
            raise InvalidInput.field(where, "the amount net of tax must be positive")
        is_debit = debit > 0
        out.append(
            _Line(
                account=account,
                debit=booked if is_debit else 0,
                credit=0 if is_debit else booked,
                tax_category=cat.code,
                tax_rate=cat.rate,
                tax_amount=split.tax,
                tax_included=not exclusive and split.tax > 0,
                description=d.description,
                department_id=department_id,
                counterparty_id=d.counterparty_id,
            )
        )
        if exclusive:
            role = "output" if cat.side == "sales" else "input"
            tax_account = by_role.get(role)
            if tax_account is None:
                raise InvalidInput.field(
                    f"{where}.tax_category",
                    f"the chart has no active {role}-tax (仮受/仮払消費税等) account",
                )
            out.append(
                _Line(
                    account=tax_account,
                    debit=split.tax if is_debit else 0,
                    credit=0 if is_debit else split.tax,
                    tax_category="out_of_scope",
                    tax_rate=0,
                    tax_amount=0,
                    tax_included=False,
                    description=d.description,
                    department_id=department_id,
                    counterparty_id=d.counterparty_id,
                    tax_parent=len(out) - 1,
                )
            )
    debits = sum(x.debit for x in out)
    credits = sum(x.credit for x in out)
    if debits != credits:
        raise InvalidInput.field(
            "lines", f"debits ({debits:,} yen) and credits ({credits:,} yen) must be equal"
        )
    return out


def _persist_lines(session: AsyncSession, entry: JournalEntry, lines: Sequence[_Line]) -> None:
    for n, x in enumerate(lines, start=1):
        session.add(
            JournalLine(
                tenant_id=entry.tenant_id,
                entry_id=entry.id,
                line_no=n,
                account_id=x.account.id,
                debit=x.debit,
                credit=x.credit,
                tax_category=x.tax_category,
                tax_rate=x.tax_rate,
                tax_amount=x.tax_amount,
                tax_included=x.tax_included,
                tax_parent_line_no=None if x.tax_parent is None else x.tax_parent + 1,
                description=x.description,
                department_id=x.department_id,
                counterparty_id=x.counterparty_id,
            )
        )


def _text(value: str, name: str, limit: int = 2000) -> str:
    if len(value) > limit:
        raise InvalidInput.field(name, f"at most {limit} characters")
    return value


async def create_entry(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    entry_date: date,
    description: str,
    lines: Sequence[JournalLineDraft],
    source_kind: str = "manual",
    source_id: uuid.UUID | None = None,
    created_by: uuid.UUID | None = None,
    post: bool = False,
    is_closing: bool = False,
    amount_basis: tax.Basis | None = None,
) -> JournalEntry:
    """A new entry (draft, or posted when `post`); the chart is seeded on first use.
    `amount_basis` says whether taxable amounts include the tax (default: the tenant's
    setting for amounts people type)."""
    await ensure_chart(session, tenant_id)
    settings = await repo.settings_of(session, tenant_id)
    assert settings is not None
    _text(description, "description")
    if not source_kind or len(source_kind) > 32:
        raise InvalidInput.field("source_kind", "1 to 32 characters")
    await _check_open(session, tenant_id, entry_date)
    built = await _build_lines(session, settings, lines, amount_basis)
    entry = JournalEntry(
        tenant_id=tenant_id,
        number=await repo.take_entry_number(session, tenant_id),
        entry_date=entry_date,
        description=description,
        status="draft",
        is_closing=is_closing,
        source_kind=source_kind,
        source_id=source_id,
        created_by=created_by,
        updated_by=created_by,
    )
    session.add(entry)
    await _flush(session)
    _persist_lines(session, entry, built)
    await _flush(session)
    if post:
        await _mark_posted(session, entry, created_by)
    return entry


async def record_entry(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    entry_date: date,
    description: str,
    lines: Sequence[JournalLineDraft],
    source_kind: str,
    source_id: uuid.UUID | None,
    created_by: uuid.UUID | None,
    post: bool = True,
    amount_basis: tax.Basis = "inclusive",
) -> uuid.UUID:
    """Write one balanced entry for another domain (payroll, imports) and return its id.
    Amounts are what moved, so taxable ones include the tax (whatever the tenant's input
    setting), and the tax is split off per the tenant's 税抜/税込経理 and rounding.
    Raises `InvalidInput` (unknown account, unbalanced) or `Conflict` (closed period)."""
    entry = await create_entry(
        session,
        tenant_id=tenant_id,
        entry_date=entry_date,
        description=description,
        lines=lines,
        source_kind=source_kind,
        source_id=source_id,
        created_by=created_by,
        post=post,
        amount_basis=amount_basis,
    )
    return entry.id


@dataclass(frozen=True)
class EntryDraft:
    """One entry of a `record_entries` batch; `document_id` is evidence to link to it."""

    entry_date: date
    description: str
    lines: Sequence[JournalLineDraft]
    source_id: uuid.UUID | None = None
    document_id: uuid.UUID | None = None


def _within(error: DaikoError, index: int) -> DaikoError:
    """`error` about `entries[index]` (field names prefixed), same class and status."""
    where = f"entries[{index}]"
    errors = [{**e, "field": f"{where}.{e.get('field', '')}".rstrip(".")} for e in error.errors]
    return type(error)(f"{where}: {error.detail}", errors=errors, extra=error.extra)


async def record_entries(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    entries: Sequence[EntryDraft],
    source_kind: str,
    created_by: uuid.UUID | None,
    post: bool = True,
    amount_basis: tax.Basis = "inclusive",
    skip_refused: bool = False,
) -> list[uuid.UUID | None]:
    """`record_entry` for many entries at once: the same checks and tax split, with the
    chart, settings, closed periods, accounts, departments, counterparties and documents
    looked up once for the whole batch and every row written set-wise (COPY into
    temporary tables, then INSERT … SELECT in this tenant-scoped session: RLS, foreign
    keys, the posted/closed-period guards and the balance triggers all apply, the balance
    checked before this returns). Voucher numbers are consecutive in `entries` order.

    Returns the new entry ids in `entries` order. An entry the ledger refuses (unknown
    or inactive account, closed period, unbalanced, unknown document) raises
    `InvalidInput`/`Conflict` naming `entries[i]` and nothing is written — or, with
    `skip_refused`, is left out and answered None."""
    await ensure_chart(session, tenant_id)
    settings = await repo.settings_of(session, tenant_id)
    assert settings is not None
    if not source_kind or len(source_kind) > 32:
        raise InvalidInput.field("source_kind", "1 to 32 characters")
    closed = await repo.closed_periods(session, tenant_id)
    refs = await _resolve(session, tenant_id, (d for e in entries for d in e.lines))
    documents = await repo.live_document_ids(
        session, tenant_id, (e.document_id for e in entries if e.document_id)
    )
    built: list[tuple[int, EntryDraft, list[_Line]]] = []
    for i, e in enumerate(entries):
        try:
            _text(e.description, "description")
            for start, end in closed:
                if start <= e.entry_date <= end:
                    raise Conflict(
                        f"the period {start:%Y-%m} is closed: nothing dated {e.entry_date} "
                        "can change",
                        extra={"code": "period_closed"},
                    )
            if e.document_id is not None and e.document_id not in documents:
                raise InvalidInput.field("document_id", "no such document")
            built.append((i, e, _lines_from(settings, refs, e.lines, amount_basis)))
        except DaikoError as exc:
            if not skip_refused:
                raise _within(exc, i) from exc
    ids: list[uuid.UUID | None] = [None] * len(entries)
    if not built:
        return ids
    first = await repo.take_entry_numbers(session, tenant_id, len(built))
    entry_rows: list[tuple[object, ...]] = []
    line_rows: list[tuple[object, ...]] = []
    for number, (i, e, lines) in enumerate(built, start=first):
        entry_id = ids[i] = new_id()
        link_id = new_id() if e.document_id is not None else None
        entry_rows.append(
            (entry_id, number, e.entry_date, e.description, e.source_id, e.document_id, link_id)
        )
        for n, x in enumerate(lines, start=1):
            line_rows.append(
                (
                    new_id(), entry_id, n, x.account.id, x.debit, x.credit, x.tax_category,
                    x.tax_rate, x.tax_amount, x.tax_included,
                    None if x.tax_parent is None else x.tax_parent + 1, x.description,
                    x.department_id, x.counterparty_id,
                )
            )  # fmt: skip
    try:
        await repo.insert_entries(
            session,
            tenant_id,
            entries=entry_rows,
            lines=line_rows,
            source_kind=source_kind,
            user_id=created_by,
            post=post,
        )
    except DBAPIError as exc:
        _raise_ledger_refusal(exc)
        raise
    return ids


async def _mark_posted(
    session: AsyncSession, entry: JournalEntry, user_id: uuid.UUID | None
) -> None:
    entry.status = "posted"
    entry.posted_at = _now()
    entry.posted_by = user_id
    entry.updated_by = user_id
    entry.version += 1
    await _flush(session)


async def _draft_for_change(
    session: AsyncSession, entry_id: uuid.UUID, expected_version: int | None
) -> JournalEntry:
    entry = await repo.get_entry(session, entry_id, for_update=True)
    if entry is None:
        raise NotFound("no such journal entry")
    if entry.status != "draft":
        raise Conflict("a posted entry cannot change: reverse it instead", extra={"code": "posted"})
    if expected_version is not None and entry.version != expected_version:
        raise Conflict(
            f"the entry changed meanwhile (version {entry.version}, you had {expected_version})",
            extra={"code": "stale"},
        )
    await _check_open(session, entry.tenant_id, entry.entry_date)
    return entry


async def update_draft(
    session: AsyncSession,
    entry_id: uuid.UUID,
    *,
    entry_date: date,
    description: str,
    lines: Sequence[JournalLineDraft],
    updated_by: uuid.UUID | None,
    expected_version: int | None = None,
) -> JournalEntry:
    """Replace a draft's date, description and lines."""
    entry = await _draft_for_change(session, entry_id, expected_version)
    settings = await repo.settings_of(session, entry.tenant_id)
    assert settings is not None
    _text(description, "description")
    await _check_open(session, entry.tenant_id, entry_date)
    built = await _build_lines(session, settings, lines)
    await repo.delete_lines(session, entry)
    entry.entry_date = entry_date
    entry.description = description
    entry.updated_by = updated_by
    entry.version += 1
    _persist_lines(session, entry, built)
    await _flush(session)
    return entry


async def delete_draft(
    session: AsyncSession, entry_id: uuid.UUID, expected_version: int | None = None
) -> JournalEntry:
    entry = await _draft_for_change(session, entry_id, expected_version)
    await session.delete(entry)
    await _flush(session)
    return entry


async def post_entry(
    session: AsyncSession,
    entry_id: uuid.UUID,
    *,
    posted_by: uuid.UUID | None,
    expected_version: int | None = None,
) -> JournalEntry:
    """draft → posted (記帳確定); from then on the entry is immutable."""
    entry = await _draft_for_change(session, entry_id, expected_version)
    await _mark_posted(session, entry, posted_by)
    return entry


async def reverse_entry(
    session: AsyncSession,
    entry_id: uuid.UUID,
    *,
    entry_date: date | None,
    created_by: uuid.UUID | None,
    description: str | None = None,
) -> JournalEntry:
    """A posted reversing entry (反対仕訳): every line of `entry_id` with its side swapped,
    dated `entry_date` (default: the original's date). One reversal per entry."""
    original = await repo.get_entry(session, entry_id, for_update=True)
    if original is None:
        raise NotFound("no such journal entry")
    if original.status != "posted":
        raise Conflict("only a posted entry can be reversed; edit or delete the draft")
    if original.reverses_id is not None:
        raise Conflict("a reversing entry is not itself reversed: post a new entry")
    if await repo.reversal_of(session, original) is not None:
        raise Conflict("this entry is already reversed", extra={"code": "already_reversed"})
    day = entry_date or original.entry_date
    await _check_open(session, original.tenant_id, day)
    text = description if description is not None else f"取消: {original.description}"
    _text(text, "description")
    entry = JournalEntry(
        tenant_id=original.tenant_id,
        number=await repo.take_entry_number(session, original.tenant_id),
        entry_date=day,
        description=text,
        status="draft",
        is_closing=original.is_closing,
        source_kind="reversal",
        source_id=original.id,
        reverses_id=original.id,
        created_by=created_by,
        updated_by=created_by,
    )
    session.add(entry)
    await _flush(session)
    for line in await repo.lines_of(session, [original.id]):
        session.add(
            JournalLine(
                tenant_id=entry.tenant_id,
                entry_id=entry.id,
                line_no=line.line_no,
                account_id=line.account_id,
                debit=line.credit,
                credit=line.debit,
                tax_category=line.tax_category,
                tax_rate=line.tax_rate,
                tax_amount=line.tax_amount,
                tax_included=line.tax_included,
                tax_parent_line_no=line.tax_parent_line_no,
                description=line.description,
                department_id=line.department_id,
                counterparty_id=line.counterparty_id,
            )
        )
    await _flush(session)
    await _mark_posted(session, entry, created_by)
    return entry


async def add_document(
    session: AsyncSession,
    entry_id: uuid.UUID,
    document_id: uuid.UUID,
    *,
    created_by: uuid.UUID | None,
) -> JournalEntryDocument:
    """Link evidence (証憑) to an entry — allowed after posting too (電帳法 相互関連性)."""
    entry = await repo.get_entry(session, entry_id)
    if entry is None:
        raise NotFound("no such journal entry")
    doc = await repo.get_document(session, document_id)
    if doc is None or doc.tenant_id != entry.tenant_id:
        raise InvalidInput.field("document_id", "no such document")
    linked = [d.id for d in await repo.documents_of(session, entry)]
    if document_id in linked:
        raise Conflict("the document is already linked to this entry")
    link = JournalEntryDocument(
        tenant_id=entry.tenant_id, entry_id=entry.id, document_id=doc.id, created_by=created_by
    )
    session.add(link)
    await _flush(session)
    return link


async def remove_document(
    session: AsyncSession, entry_id: uuid.UUID, document_id: uuid.UUID
) -> None:
    """Unlink evidence from a draft (a posted entry keeps its evidence)."""
    entry = await _draft_for_change(session, entry_id, None)
    if await repo.unlink_document(session, entry, document_id) == 0:
        raise NotFound("the document is not linked to this entry")
