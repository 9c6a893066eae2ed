"""Statement imports: preview, confirm, import (the job), categorise, rules. Services flush
only; the request or the job runner owns the transaction.

The path of a file:

1. `create_batch` parses the whole upload once (streaming) and keeps every bad row with
   its line, column and reason; the batch is `previewed`, or `invalid` when a row is bad.
2. `confirm` enqueues the import job. A file with bad rows is refused unless the operator
   chose `skip_invalid`; a file with no good row is refused outright.
3. `run_import` (the job) parses again, matches the tenant's rules, COPYs the lines in
   batches into a temporary table and moves them with `INSERT … SELECT` into
   `bookkeeping_statement_lines` — in the tenant-scoped transaction, so RLS checks every
   row. Rule-matched lines then become journal entries (`record_entries`, in chunks);
   the rest wait in the unmatched queue. One transaction: the file is imported whole or
   not at all.
4. `categorise` books a queued line and can remember the choice as a rule.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils import uuid7

from daiko.bookkeeping import tax
from daiko.bookkeeping.accounts import ensure_chart
from daiko.bookkeeping.imports import repository as repo
from daiko.bookkeeping.imports.layouts import CUSTOM, LAYOUTS, ColumnMapping, StatementKind
from daiko.bookkeeping.imports.models import (
    CategorisationRule,
    ImportBatch,
    ImportFile,
    ImportMapping,
    StatementLine,
)
from daiko.bookkeeping.imports.parsers import FileRejected, ParsedLine, RowError, decode, parse
from daiko.bookkeeping.imports.rules import Rule, RuleSet, suggest
from daiko.bookkeeping.journal import (
    EntryDraft,
    JournalLineDraft,
    add_document,
    record_entries,
    record_entry,
)
from daiko.errors import Conflict, DaikoError, InvalidInput
from daiko.ids import new_id
from daiko.jobs import service as jobs
from daiko.jobs.kinds import JobKind
from daiko.jobs.models import Job

PREVIEW_ROWS = 50
# The import job books every rule-matched line (`record_entries`, `BOOK_CHUNK` entries
# per statement); a number here would cap it, the rest staying queued, pre-filled, for
# `apply_rules_to_queue`.
POST_LIMIT: int | None = None
BOOK_CHUNK = 5_000
# Every bad row is counted; the first 100,000 are kept with line, column and reason (a
# file with more is in the wrong layout, and the first ones say so).
MAX_STORED_ERRORS = 100_000
COPY_BATCH = 20_000
SOURCE_KINDS: dict[str, str] = {
    "bank": "bank_statement",
    "card": "card_statement",
    "receipt": "receipt",
}
Progress = Callable[[int, int], Awaitable[None]]


# --- layouts and mappings ---------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    layout: str
    kind: StatementKind
    mapping: ColumnMapping | None


def check_mapping(mapping: ColumnMapping) -> ColumnMapping:
    problem = mapping.check()
    if problem:
        raise InvalidInput.field("mapping", problem)
    return mapping


def mapping_from_json(raw: Any) -> ColumnMapping:
    try:
        mapping = msgspec.convert(raw, ColumnMapping)
    except msgspec.ValidationError as exc:
        raise InvalidInput.field("mapping", str(exc)) from None
    return check_mapping(mapping)


async def resolve_layout(
    session: AsyncSession,
    *,
    layout: str,
    kind: StatementKind | None,
    mapping: ColumnMapping | None,
    mapping_id: uuid.UUID | None,
    tenant_id: uuid.UUID,
) -> Resolved:
    if layout in LAYOUTS:
        known = LAYOUTS[layout]
        return Resolved(known.name, known.kind, known.mapping)
    if layout != CUSTOM:
        names = ", ".join([*LAYOUTS, CUSTOM])
        raise InvalidInput.field("layout", f"unknown layout {layout!r} (one of {names})")
    if mapping_id is not None:
        saved = await repo.get_mapping(session, mapping_id)
        if saved is None or saved.tenant_id != tenant_id:
            raise InvalidInput.field("mapping_id", "no such saved mapping")
        return Resolved(CUSTOM, saved.kind, mapping_from_json(saved.mapping))  # type: ignore[arg-type]
    if mapping is None:
        raise InvalidInput.field("mapping", "a custom layout needs a column mapping")
    return Resolved(CUSTOM, kind or "bank", check_mapping(mapping))


async def save_mapping(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    name: str,
    kind: StatementKind,
    mapping: ColumnMapping,
    created_by: uuid.UUID | None,
) -> ImportMapping:
    check_mapping(mapping)
    name = name.strip()
    if not name:
        raise InvalidInput.field("name", "required")
    existing = await repo.list_mappings(session, tenant_id=tenant_id, after=None, limit=1000)
    if any(m.name == name for m in existing):
        raise Conflict(f"a mapping named {name!r} exists already")
    row = ImportMapping(
        tenant_id=tenant_id,
        id=new_id(),
        name=name,
        kind=kind,
        mapping=msgspec.to_builtins(mapping),
        created_by=created_by,
    )
    session.add(row)
    await session.flush()
    return row


# --- preview ----------------------------------------------------------------------------


@dataclass
class Preview:
    line_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    sample: list[ParsedLine] = field(default_factory=list)
    encoding: str | None = None


def preview(data: bytes, mapping: ColumnMapping | None) -> Preview:
    """Read the whole file once: count its lines, keep every error and the first rows."""
    out = Preview()
    try:
        if mapping is not None:
            _, out.encoding = decode(data)
        else:
            out.encoding = "cp932"
        for item in parse(data, mapping):
            if isinstance(item, RowError):
                out.errors.append(item)
                continue
            out.line_count += 1
            if len(out.sample) < PREVIEW_ROWS:
                out.sample.append(item)
    except FileRejected as exc:
        out.errors = [exc.error]
        out.line_count = 0
        out.sample = []
    return out


async def _check_account(session: AsyncSession, tenant_id: uuid.UUID, code: str, name: str) -> None:
    await ensure_chart(session, tenant_id)
    if code not in await repo.account_codes(session, tenant_id):
        raise InvalidInput.field(name, f"no active account with code {code!r}")


async def create_batch(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    data: bytes,
    filename: str,
    resolved: Resolved,
    account_code: str,
    created_by: uuid.UUID | None,
    document_id: uuid.UUID | None = None,
) -> tuple[ImportBatch, Preview]:
    """`document_id`: the evidence behind the whole file (receipts scanned as one PDF),
    linked to every entry the file's lines become."""
    await _check_account(session, tenant_id, account_code, "account_code")
    result = preview(data, resolved.mapping)
    batch = ImportBatch(
        tenant_id=tenant_id,
        id=new_id(),
        kind=resolved.kind,
        layout=resolved.layout,
        mapping=msgspec.to_builtins(resolved.mapping) if resolved.mapping else None,
        filename=(filename or "statement")[:255],
        encoding=result.encoding,
        account_code=account_code,
        status="invalid" if result.errors else "previewed",
        line_count=result.line_count,
        error_count=len(result.errors),
        errors=[e.as_dict() for e in result.errors[:MAX_STORED_ERRORS]],
        document_id=document_id,
        created_by=created_by,
    )
    session.add(batch)
    await session.flush()
    session.add(
        ImportFile(
            tenant_id=tenant_id,
            id=batch.id,
            content=data,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
    )
    await session.flush()
    return batch, result


# --- confirm ----------------------------------------------------------------------------


async def confirm(
    session: AsyncSession, batch: ImportBatch, *, skip_invalid: bool, created_by: uuid.UUID | None
) -> Job:
    if batch.status not in ("previewed", "invalid"):
        raise Conflict(f"the import is {batch.status} already")
    if batch.line_count == 0:
        raise Conflict("the file has no statement line that could be imported")
    if batch.error_count and not skip_invalid:
        raise Conflict(
            f"the file has {batch.error_count} bad row(s): correct the file, or confirm "
            "with skip_invalid to import only the good rows",
            extra={"code": "rows_invalid", "error_count": batch.error_count},
        )
    duplicate = await repo.imported_twin(session, batch)
    if duplicate is not None:
        raise Conflict(
            f"the same file was imported into {batch.account_code} already (import {duplicate})",
            extra={"code": "duplicate_file", "import_id": str(duplicate)},
        )
    job = await jobs.enqueue(
        session,
        batch.tenant_id,
        JobKind.BOOKKEEPING_IMPORT,
        {"batch_id": str(batch.id)},
        created_by=created_by,
    )
    batch.status = "queued"
    batch.skip_invalid = skip_invalid
    batch.job_id = job.id
    await session.flush()
    return job


# --- import (the job) ---------------------------------------------------------------------

STAGE_COLUMNS = (
    "id",
    "line_no",
    "txn_date",
    "description",
    "counterparty",
    "amount",
    "balance",
    "tax_rate",
    "memo",
    "status",
    "rule_id",
    "account_code",
    "tax_category",
)
STAGE_DDL = text(
    "create temporary table if not exists bk_statement_stage ("
    " id uuid, line_no integer, txn_date date, description text, counterparty text,"
    " amount bigint, balance bigint, tax_rate smallint, memo text, status varchar(16),"
    " rule_id uuid, account_code varchar(16), tax_category varchar(32)"
    ") on commit drop"
)
MOVE_SQL = text(
    "insert into bookkeeping_statement_lines"
    " (tenant_id, id, batch_id, line_no, txn_date, description, counterparty, amount,"
    "  balance, tax_rate, memo, status, rule_id, account_code, tax_category)"
    " select :tenant_id, s.id, :batch_id, s.line_no, s.txn_date, s.description,"
    "  s.counterparty, s.amount, s.balance, s.tax_rate, s.memo, s.status, s.rule_id,"
    "  s.account_code, s.tax_category"
    " from bk_statement_stage s"
)
TRUNCATE_STAGE = text("truncate bk_statement_stage")


@dataclass
class ImportOutcome:
    imported: int = 0
    skipped: int = 0
    matched: int = 0
    posted: int = 0
    hits: dict[uuid.UUID, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "skipped": self.skipped,
            "matched": self.matched,
            "posted": self.posted,
        }


async def _asyncpg(session: AsyncSession) -> Any:
    """The asyncpg connection under the session's transaction (for COPY)."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    return raw.driver_connection


def _staged_batches(
    data: bytes,
    mapping: ColumnMapping | None,
    rules: RuleSet,
    skip_invalid: bool,
    out: ImportOutcome,
    batch_size: int,
) -> Iterator[tuple[list[tuple[Any, ...]], int]]:
    """Parse, match and shape the stage's records: (records, rows read so far) per batch."""
    buffer: list[tuple[Any, ...]] = []
    seen = 0
    match = rules.match if rules else None
    # The same UUIDv7 generator as `daiko.ids.new_id`, without its conversion to
    # `uuid.UUID` (a sixth of the parsing time): asyncpg writes any object with `.bytes`.
    stage_id = uuid7
    for item in parse(data, mapping):
        seen += 1
        if isinstance(item, RowError):
            if not skip_invalid:
                raise InvalidInput(f"line {item.line}: {item.reason}", errors=[item.as_dict()])
            out.skipped += 1
            continue
        rule = match(item.description, item.counterparty, item.amount) if match else None
        if item.amount == 0:
            status, rule = "ignored", None
        else:
            status = "unmatched"
        if rule is not None:
            out.matched += 1
            out.hits[rule.id] = out.hits.get(rule.id, 0) + 1
            buffer.append(
                (stage_id(), *item, status, rule.id, rule.account_code, rule.tax_category)
            )
        else:
            buffer.append((stage_id(), *item, status, None, None, None))
        if len(buffer) >= batch_size:
            yield buffer, seen
            buffer = []
    if buffer:
        yield buffer, seen


async def stage_and_move(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    batch_id: uuid.UUID,
    data: bytes,
    mapping: ColumnMapping | None,
    rules: RuleSet,
    skip_invalid: bool,
    progress: Progress | None = None,
    total: int = 0,
    batch_size: int = COPY_BATCH,
) -> ImportOutcome:
    """Parse `data`, COPY its lines into the temporary stage in batches and move each batch
    into the tenant's statement lines with INSERT … SELECT (RLS applies).

    The move of one batch runs in the server while this process parses the next: the
    statement is sent, then parsing continues, and its answer is awaited only before the
    stage is refilled. Parsing and the database then share the time instead of adding up
    (one connection, one transaction: the protocol allows one statement at a time, so
    this is the overlap there is). A worker thread was measured earlier: no faster, its
    parsing shares the GIL with asyncpg's record encoding; this way nothing else runs in
    the process while the server works.

    Every line is inserted or the statement fails (no `on conflict`: the import is one
    transaction and line numbers are unique within a file, so a conflict would be a bug
    to surface, and the speculative insertion it needs cost ~20 % of the move)."""
    await session.execute(STAGE_DDL)
    await session.execute(TRUNCATE_STAGE)
    apg = await _asyncpg(session)
    out = ImportOutcome()
    params = {"tenant_id": tenant_id, "batch_id": batch_id}
    moving: asyncio.Future[Any] | None = None
    moved_seen = 0

    async def finish_move() -> None:
        assert moving is not None
        moved = await moving
        out.imported += moved.rowcount
        await session.execute(TRUNCATE_STAGE)
        if progress is not None:
            await progress(moved_seen, total)

    try:
        for records, seen in _staged_batches(data, mapping, rules, skip_invalid, out, batch_size):
            if moving is not None:
                await finish_move()
            await apg.copy_records_to_table(
                "bk_statement_stage", records=records, columns=STAGE_COLUMNS
            )
            moving = asyncio.ensure_future(session.execute(MOVE_SQL, params))
            await asyncio.sleep(0)  # let the task send the statement before parsing on
            moved_seen = seen
        if moving is not None:
            await finish_move()
    except BaseException:
        # A bad row (or a cancellation) while a move is in flight: wait for it, so the
        # connection is idle when the caller rolls back.
        if moving is not None and not moving.done():
            await asyncio.wait([moving])
        raise
    return out


def _entry_lines(
    *, statement_account: str, counter_account: str, tax_category: str, amount: int, text_: str
) -> list[JournalLineDraft]:
    if amount > 0:  # money came in: debit the statement's account
        return [
            JournalLineDraft(statement_account, debit=amount, description=text_),
            JournalLineDraft(
                counter_account, credit=amount, tax_category=tax_category, description=text_
            ),
        ]
    return [
        JournalLineDraft(
            counter_account, debit=-amount, tax_category=tax_category, description=text_
        ),
        JournalLineDraft(statement_account, credit=-amount, description=text_),
    ]


def _draft(
    batch: ImportBatch,
    *,
    line_id: uuid.UUID,
    txn_date: date,
    counterparty: str,
    description: str,
    amount: int,
    account_code: str,
    tax_category: str,
    document_id: uuid.UUID | None,
) -> EntryDraft:
    """The journal entry of one statement line booked to `account_code`."""
    text_ = _line_text(counterparty, description)
    return EntryDraft(
        entry_date=txn_date,
        description=text_,
        lines=_entry_lines(
            statement_account=batch.account_code,
            counter_account=account_code,
            tax_category=tax_category,
            amount=amount,
            text_=text_,
        ),
        source_id=line_id,
        document_id=document_id or batch.document_id,
    )


def line_text(line: StatementLine) -> str:
    return _line_text(line.counterparty, line.description)


def _line_text(counterparty: str, description: str) -> str:
    return " ".join(p for p in (counterparty, description) if p)[:2000] or "明細"


async def post_line(
    session: AsyncSession,
    batch: ImportBatch,
    line: StatementLine,
    *,
    account_code: str,
    tax_category: str,
    created_by: uuid.UUID | None,
) -> uuid.UUID:
    """Book one line as a journal entry: the statement's account on one side, the chosen
    account on the other."""
    entry_id = await record_entry(
        session,
        tenant_id=line.tenant_id,
        entry_date=line.txn_date,
        description=line_text(line),
        lines=_entry_lines(
            statement_account=batch.account_code,
            counter_account=account_code,
            tax_category=tax_category,
            amount=line.amount,
            text_=line_text(line),
        ),
        source_kind=SOURCE_KINDS[batch.kind],
        source_id=line.id,
        created_by=created_by,
    )
    document_id = line.document_id or batch.document_id
    if document_id is not None:
        await add_document(session, entry_id, document_id, created_by=created_by)
    line.status = "posted"
    line.account_code = account_code
    line.tax_category = tax_category
    line.journal_entry_id = entry_id
    line.categorised_by = created_by
    line.categorised_at = datetime.now(UTC)
    await session.flush()
    return entry_id


async def post_matched(
    session: AsyncSession,
    batch: ImportBatch,
    *,
    created_by: uuid.UUID | None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Journalise the lines rules matched (all of them, or the first `limit`),
    `BOOK_CHUNK` at a time through `record_entries`. A line the ledger refuses (a closed
    period, an account made inactive) stays in the queue with the rule's suggestion;
    `apply_rules_to_queue` books those later. Should the database refuse a chunk (a period
    closed by a concurrent request after the checks), that chunk is booked line by line,
    so only the refused lines stay queued."""
    cap = limit if limit is not None else POST_LIMIT
    tenant_id = batch.tenant_id
    total = await repo.count_lines_to_post(session, tenant_id, batch.id)
    if cap is not None:
        total = min(total, cap)
    posted = tried = 0
    after = 0
    while tried < total:
        rows = await repo.lines_to_post(
            session, tenant_id, batch.id, after=after, limit=min(BOOK_CHUNK, total - tried)
        )
        if not rows:
            break
        after = rows[-1].line_no
        tried += len(rows)
        drafts = [
            _draft(
                batch,
                line_id=r.id,
                txn_date=r.txn_date,
                counterparty=r.counterparty,
                description=r.description,
                amount=r.amount,
                account_code=r.account_code,
                tax_category=r.tax_category,
                document_id=r.document_id,
            )
            for r in rows
        ]
        try:
            async with session.begin_nested():
                ids = await record_entries(
                    session,
                    tenant_id=tenant_id,
                    entries=drafts,
                    source_kind=SOURCE_KINDS[batch.kind],
                    created_by=created_by,
                    skip_refused=True,
                )
                booked = [(r.id, e) for r, e in zip(rows, ids, strict=True) if e is not None]
                await repo.mark_lines_posted(session, tenant_id, booked, created_by)
            posted += len(booked)
        except (DaikoError, DBAPIError):
            posted += await _post_one_by_one(session, batch, [r.id for r in rows], created_by)
        if progress is not None:
            await progress(tried, total)
    # Lines loaded in this session (a receipt just entered) see their new state.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, StatementLine) and obj.batch_id == batch.id:
            await session.refresh(obj)
    return posted


async def _post_one_by_one(
    session: AsyncSession,
    batch: ImportBatch,
    line_ids: Sequence[uuid.UUID],
    created_by: uuid.UUID | None,
) -> int:
    posted = 0
    for line_id in line_ids:
        line = await repo.get_line(session, line_id)
        if line is None or line.account_code is None or line.tax_category is None:
            continue
        try:
            async with session.begin_nested():
                await post_line(
                    session,
                    batch,
                    line,
                    account_code=line.account_code,
                    tax_category=line.tax_category,
                    created_by=created_by,
                )
            posted += 1
        except DaikoError:
            await session.refresh(line)
    return posted


async def run_import(
    session: AsyncSession,
    batch_id: uuid.UUID,
    *,
    progress: Progress | None = None,
    booking_progress: Progress | None = None,
) -> dict[str, Any]:
    """The import job: read the file into statement lines (`progress`: lines read of the
    file's), then book every rule-matched line (`booking_progress`: lines booked of those
    to book, reported only when there are some)."""
    batch = await repo.get_batch(session, batch_id, for_update=True, errors=False)
    if batch is None:
        raise InvalidInput.field("batch_id", "no such import")
    if batch.status == "imported":  # a redelivered message: done already
        return {"batch_id": str(batch.id), "imported": batch.imported_count}
    if batch.status not in ("queued", "importing", "failed"):
        raise Conflict(f"the import is {batch.status}, not confirmed")
    mapping = mapping_from_json(batch.mapping) if batch.mapping is not None else None
    if batch.layout in LAYOUTS:
        mapping = LAYOUTS[batch.layout].mapping
    data = await repo.file_content(session, batch)
    rules = RuleSet(await repo.active_rules(session, batch.tenant_id))
    outcome = await stage_and_move(
        session,
        tenant_id=batch.tenant_id,
        batch_id=batch.id,
        data=data,
        mapping=mapping,
        rules=rules,
        skip_invalid=batch.skip_invalid,
        progress=progress,
        total=batch.line_count + batch.error_count,
    )
    await repo.count_hits(session, batch.tenant_id, outcome.hits)
    outcome.posted = await post_matched(
        session, batch, created_by=batch.created_by, progress=booking_progress
    )
    batch.status = "imported"
    batch.imported_count = outcome.imported
    batch.matched_count = outcome.posted
    batch.imported_at = datetime.now(UTC)
    batch.last_error = None
    await session.flush()
    return {"batch_id": str(batch.id), **outcome.as_dict()}


# --- receipts entered by hand -----------------------------------------------------------


async def enter_receipt(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    txn_date: date,
    amount: int,
    counterparty: str,
    tax_rate: int | None,
    description: str,
    account_code: str,
    document_id: uuid.UUID | None,
    created_by: uuid.UUID | None,
) -> tuple[ImportBatch, StatementLine]:
    """One receipt (document + data): a one-line batch, matched against the rules and
    booked at once when a rule fits, else queued. `amount` is what was paid (> 0)."""
    if amount <= 0:
        raise InvalidInput.field("amount", "must be a positive number of yen")
    await _check_account(session, tenant_id, account_code, "account_code")
    batch = ImportBatch(
        tenant_id=tenant_id,
        id=new_id(),
        kind="receipt",
        layout="manual",
        mapping=None,
        filename="",
        encoding=None,
        account_code=account_code,
        status="imported",
        line_count=1,
        error_count=0,
        errors=[],
        imported_count=1,
        document_id=document_id,
        created_by=created_by,
        imported_at=datetime.now(UTC),
    )
    session.add(batch)
    await session.flush()
    rules = RuleSet(await repo.active_rules(session, tenant_id))
    rule = rules.match(description, counterparty, -amount)
    line = StatementLine(
        tenant_id=tenant_id,
        id=new_id(),
        batch_id=batch.id,
        line_no=1,
        txn_date=txn_date,
        description=description[:200],
        counterparty=counterparty[:200],
        amount=-amount,
        tax_rate=tax_rate,
        memo="",
        status="unmatched",
        rule_id=rule.id if rule else None,
        account_code=rule.account_code if rule else None,
        tax_category=rule.tax_category if rule else None,
        document_id=document_id,
    )
    session.add(line)
    await session.flush()
    if rule is not None:
        await repo.count_hits(session, tenant_id, {rule.id: 1})
        batch.matched_count = await post_matched(session, batch, created_by=created_by)
    return batch, line


# --- the unmatched queue ------------------------------------------------------------------


def check_tax_category(code: str) -> str:
    if code not in tax.BY_CODE:
        raise InvalidInput.field("tax_category", f"unknown tax category {code!r}")
    return code


@dataclass(frozen=True)
class Categorised:
    entry_id: uuid.UUID
    rule: CategorisationRule | None
    suggestion: tuple[str, str, str]  # match_field, pattern, direction
    also_booked: int = 0  # other queued lines the learned rule booked


# Queued lines looked at per call (one `record_entries` batch, about 2 s): a request
# stays short however long the queue; the answer says whether more may match.
QUEUE_SWEEP = BOOK_CHUNK


async def apply_rules_to_queue(
    session: AsyncSession, tenant_id: uuid.UUID, *, created_by: uuid.UUID | None
) -> int:
    """Book the tenant's queued lines that the current rules match, oldest first, looking
    at up to `QUEUE_SWEEP` queued lines per call, through `record_entries`. A line the
    ledger refuses (a closed month, an account made inactive) stays queued. Returns how
    many were booked."""
    rules = RuleSet(await repo.active_rules(session, tenant_id))
    if not rules:
        return 0
    lines = await repo.list_lines(
        session, tenant_id=tenant_id, status="unmatched", batch_id=None, after=None,
        limit=QUEUE_SWEEP,
    )  # fmt: skip
    batches: dict[uuid.UUID, ImportBatch] = {}
    by_kind: dict[str, list[tuple[StatementLine, ImportBatch, Rule]]] = {}
    for line in lines:
        rule = rules.match(line.description, line.counterparty, line.amount)
        if rule is None:
            continue
        batch = batches.get(line.batch_id)
        if batch is None:
            found = await repo.get_batch(session, line.batch_id, errors=False)
            assert found is not None
            batch = batches[line.batch_id] = found
        by_kind.setdefault(SOURCE_KINDS[batch.kind], []).append((line, batch, rule))
    hits: dict[uuid.UUID, int] = {}
    booked = 0
    for source_kind, matched in by_kind.items():
        drafts = [
            _draft(
                batch,
                line_id=line.id,
                txn_date=line.txn_date,
                counterparty=line.counterparty,
                description=line.description,
                amount=line.amount,
                account_code=rule.account_code,
                tax_category=rule.tax_category,
                document_id=line.document_id,
            )
            for line, batch, rule in matched
        ]
        async with session.begin_nested():
            ids = await record_entries(
                session,
                tenant_id=tenant_id,
                entries=drafts,
                source_kind=source_kind,
                created_by=created_by,
                skip_refused=True,
            )
        now = datetime.now(UTC)
        for (line, _batch, used), entry_id in zip(matched, ids, strict=True):
            if entry_id is None:
                continue
            line.status = "posted"
            line.account_code = used.account_code
            line.tax_category = used.tax_category
            line.journal_entry_id = entry_id
            line.rule_id = used.id
            line.categorised_by = created_by
            line.categorised_at = now
            hits[used.id] = hits.get(used.id, 0) + 1
            booked += 1
    await repo.count_hits(session, tenant_id, hits)
    await session.flush()
    return booked


async def categorise(
    session: AsyncSession,
    line: StatementLine,
    *,
    account_code: str,
    tax_category: str,
    learn: bool,
    pattern: str | None,
    match_field: str | None,
    priority: int,
    created_by: uuid.UUID | None,
) -> Categorised:
    if line.status != "unmatched":
        raise Conflict(f"the line is {line.status} already")
    check_tax_category(tax_category)
    await _check_account(session, line.tenant_id, account_code, "account_code")
    batch = await repo.get_batch(session, line.batch_id, errors=False)
    assert batch is not None
    entry_id = await post_line(
        session,
        batch,
        line,
        account_code=account_code,
        tax_category=tax_category,
        created_by=created_by,
    )
    suggestion = suggest(line.description, line.counterparty, line.amount)
    rule = None
    if learn:
        field_, default_pattern, direction = suggestion
        rule = await upsert_rule(
            session,
            tenant_id=line.tenant_id,
            name=f"{default_pattern[:80]} → {account_code}",
            match_field=match_field or field_,
            match_kind="contains",
            pattern=(pattern or default_pattern).strip(),
            direction=direction,
            account_code=account_code,
            tax_category=tax_category,
            priority=priority,
            source="learned",
            created_by=created_by,
        )
        rule.hit_count += 1
        rule.last_hit_at = datetime.now(UTC)
        line.rule_id = rule.id
        await session.flush()
        also = await apply_rules_to_queue(session, line.tenant_id, created_by=created_by)
        return Categorised(entry_id, rule, suggestion, also)
    return Categorised(entry_id, rule, suggestion)


async def ignore_line(
    session: AsyncSession, line: StatementLine, user_id: uuid.UUID | None
) -> None:
    if line.status != "unmatched":
        raise Conflict(f"the line is {line.status} already")
    line.status = "ignored"
    line.categorised_by = user_id
    line.categorised_at = datetime.now(UTC)
    await session.flush()


# --- rules -----------------------------------------------------------------------------------


async def upsert_rule(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    name: str,
    match_field: str,
    match_kind: str,
    pattern: str,
    direction: str,
    account_code: str,
    tax_category: str,
    priority: int,
    source: str,
    created_by: uuid.UUID | None,
) -> CategorisationRule:
    """A rule for this pattern: the existing one is pointed at the new account (the
    operator's latest choice wins), else a new one."""
    if not pattern:
        raise InvalidInput.field("pattern", "required")
    check_tax_category(tax_category)
    await _check_account(session, tenant_id, account_code, "account_code")
    rule = await repo.find_rule(session, tenant_id, match_field, match_kind, pattern, direction)
    if rule is None:
        rule = CategorisationRule(
            tenant_id=tenant_id,
            id=new_id(),
            name=name[:100],
            match_field=match_field,
            match_kind=match_kind,
            pattern=pattern[:200],
            direction=direction,
            account_code=account_code,
            tax_category=tax_category,
            priority=priority,
            hit_count=0,
            active=True,
            source=source,
            created_by=created_by,
        )
        session.add(rule)
    else:
        rule.account_code = account_code
        rule.tax_category = tax_category
        rule.priority = priority
        rule.active = True
    await session.flush()
    return rule


async def create_rule(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    name: str,
    match_field: str,
    match_kind: str,
    pattern: str,
    direction: str,
    account_code: str,
    tax_category: str,
    priority: int,
    created_by: uuid.UUID | None,
) -> CategorisationRule:
    if await repo.find_rule(session, tenant_id, match_field, match_kind, pattern, direction):
        raise Conflict("a rule with this pattern exists already")
    return await upsert_rule(
        session,
        tenant_id=tenant_id,
        name=name,
        match_field=match_field,
        match_kind=match_kind,
        pattern=pattern.strip(),
        direction=direction,
        account_code=account_code,
        tax_category=tax_category,
        priority=priority,
        source="manual",
        created_by=created_by,
    )


async def update_rule(
    session: AsyncSession, rule: CategorisationRule, changes: dict[str, Any]
) -> CategorisationRule:
    if "tax_category" in changes:
        check_tax_category(changes["tax_category"])
    if "account_code" in changes:
        await _check_account(session, rule.tenant_id, changes["account_code"], "account_code")
    if "pattern" in changes:
        changes["pattern"] = str(changes["pattern"]).strip()
        if not changes["pattern"]:
            raise InvalidInput.field("pattern", "required")
    key = tuple(
        changes.get(name, getattr(rule, name))
        for name in ("match_field", "match_kind", "pattern", "direction")
    )
    other = await repo.find_rule(session, rule.tenant_id, *key)
    if other is not None and other.id != rule.id:
        raise Conflict("a rule with this pattern exists already")
    for name, value in changes.items():
        setattr(rule, name, value)
    await session.flush()
    return rule


def rule_order(rules: Sequence[CategorisationRule]) -> list[CategorisationRule]:
    return sorted(rules, key=lambda r: (-r.priority, r.id))
