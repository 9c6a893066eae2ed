"""Statement imports API: upload → preview (every bad row) → confirm (a job) → the
unmatched queue → categorise (a journal entry, optionally a learned rule); rules and
saved column mappings.

Client staff may upload a statement or receipts file (`documents:write`); confirming,
categorising and rules are operators' work (`bookkeeping:write`). Objects are loaded
through the tenant-scoped session, so another tenant's batch or line is a 404.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_201_CREATED,
    HTTP_202_ACCEPTED,
    HTTP_204_NO_CONTENT,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit import service as audit
from daiko.auth.policy import Action, allows, authorize, require_principal
from daiko.auth.principal import Principal
from daiko.bookkeeping.imports import repository as repo
from daiko.bookkeeping.imports import service
from daiko.bookkeeping.imports.layouts import CUSTOM, LAYOUTS, ColumnMapping
from daiko.bookkeeping.imports.models import (
    CategorisationRule,
    ImportBatch,
    ImportMapping,
    StatementLine,
)
from daiko.bookkeeping.imports.schemas import (
    ApplyRulesIn,
    ApplyRulesOut,
    BatchDetail,
    BatchOut,
    BatchPage,
    CategoriseIn,
    CategoriseOut,
    ConfirmIn,
    ConfirmOut,
    LayoutOut,
    LineOut,
    LinePage,
    MappingIn,
    MappingOut,
    MappingPage,
    PreviewLine,
    PreviewOut,
    ReceiptIn,
    ReceiptOut,
    RowErrorOut,
    RuleIn,
    RuleOut,
    RulePage,
    RulePatch,
    SuggestedRule,
)
from daiko.documents.models import Document
from daiko.errors import InvalidInput, NotFound
from daiko.jobs import repository as jobs_repo
from daiko.pagination import cursor_after, decode_cursor, encode_cursor

MAX_UPLOAD = 128 * 1024 * 1024  # a year of a busy account: ~1M lines, ~80 MB
MAX_PAGE = 200
ERRORS_SHOWN = 1000
READ = {"action": Action.BOOKKEEPING_READ}
WRITE = {"action": Action.BOOKKEEPING_WRITE}
Limit = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]


def target_tenant(principal: Principal, tenant_id: uuid.UUID | None, action: Action) -> uuid.UUID:
    """The tenant a create acts in: the one named (if in scope), else the only one where
    the principal may do `action`."""
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
    raise InvalidInput.field("tenant_id", "required: you act for several tenants")


async def load_batch(
    session: AsyncSession, principal: Principal, batch_id: uuid.UUID, action: Action
) -> ImportBatch:
    batch = await repo.get_batch(session, batch_id, for_update=action is Action.BOOKKEEPING_WRITE)
    if batch is None or batch.tenant_id not in principal.scope:
        raise NotFound("no such import")
    authorize(principal, action, batch.tenant_id)
    return batch


async def load_line(
    session: AsyncSession, principal: Principal, line_id: uuid.UUID
) -> StatementLine:
    line = await repo.get_line(session, line_id, for_update=True)
    if line is None or line.tenant_id not in principal.scope:
        raise NotFound("no such statement line")
    authorize(principal, Action.BOOKKEEPING_WRITE, line.tenant_id)
    return line


async def load_rule(
    session: AsyncSession, principal: Principal, rule_id: uuid.UUID
) -> CategorisationRule:
    rule = await repo.get_rule(session, rule_id, for_update=True)
    if rule is None or rule.tenant_id not in principal.scope:
        raise NotFound("no such rule")
    authorize(principal, Action.BOOKKEEPING_WRITE, rule.tenant_id)
    return rule


def _uuid(value: str | None, name: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput.field(name, "not a UUID") from None


def parse_mapping_field(raw: str | None) -> ColumnMapping | None:
    if not raw:
        return None
    try:
        decoded = json.loads(raw)
    except ValueError:
        raise InvalidInput.field("mapping", "not JSON") from None
    return service.mapping_from_json(decoded)


async def check_document(
    session: AsyncSession, tenant_id: uuid.UUID, document_id: uuid.UUID | None
) -> None:
    if document_id is None:
        return
    found = await session.scalar(
        select(Document.id).where(Document.tenant_id == tenant_id, Document.id == document_id)
    )
    if found is None:
        raise InvalidInput.field("document_id", "no such document")


@dataclass
class UploadForm:
    """A statement file and how to read it (multipart/form-data)."""

    file: UploadFile
    layout: str
    account_code: str
    tenant_id: str | None = None
    kind: str | None = None  # custom layouts: bank, card or receipt
    mapping: str | None = None  # custom layouts: a ColumnMapping as JSON
    mapping_id: str | None = None  # custom layouts: a saved mapping
    document_id: str | None = None  # evidence for the whole file (scanned receipts)


async def upload_statement(
    session: AsyncSession, principal: Principal, form: UploadForm
) -> PreviewOut:
    tenant_id = target_tenant(principal, _uuid(form.tenant_id, "tenant_id"), Action.DOCUMENTS_WRITE)
    if form.kind not in (None, "", "bank", "card", "receipt"):
        raise InvalidInput.field("kind", "bank, card or receipt")
    resolved = await service.resolve_layout(
        session,
        layout=form.layout,
        kind=form.kind or None,  # type: ignore[arg-type]
        mapping=parse_mapping_field(form.mapping) if form.layout == CUSTOM else None,
        mapping_id=_uuid(form.mapping_id, "mapping_id") if form.layout == CUSTOM else None,
        tenant_id=tenant_id,
    )
    document_id = _uuid(form.document_id, "document_id")
    await check_document(session, tenant_id, document_id)
    data = await form.file.read()
    batch, preview = await service.create_batch(
        session,
        tenant_id=tenant_id,
        data=data,
        filename=form.file.filename or "statement",
        resolved=resolved,
        account_code=form.account_code.strip(),
        created_by=principal.user_id,
        document_id=document_id,
    )
    await audit.record(
        session,
        tenant_id=tenant_id,
        actor=principal,
        action="bookkeeping_import.uploaded",
        resource_type="bookkeeping_import",
        resource_id=batch.id,
        details={
            "layout": batch.layout,
            "lines": batch.line_count,
            "errors": batch.error_count,
            "filename": batch.filename,
        },
    )
    return PreviewOut(
        batch=BatchOut.of(batch),
        errors=[RowErrorOut(e.line, e.column, e.reason) for e in preview.errors[:ERRORS_SHOWN]],
        sample=[PreviewLine.of(p) for p in preview.sample],
    )


async def batch_detail(session: AsyncSession, batch: ImportBatch) -> BatchDetail:
    detail = BatchDetail(
        batch=BatchOut.of(batch),
        errors=[
            RowErrorOut(e["line"], e["column"], e["reason"]) for e in batch.errors[:ERRORS_SHOWN]
        ],
        errors_truncated=len(batch.errors) > ERRORS_SHOWN,
    )
    if batch.job_id is not None:
        job = await jobs_repo.get_job(session, batch.job_id)
        if job is not None:
            detail.job_status = job.status
            detail.progress_done = job.progress_done
            detail.progress_total = job.progress_total
            detail.job_error = job.last_error
    return detail


async def confirm_batch(
    session: AsyncSession, principal: Principal, batch: ImportBatch, skip_invalid: bool
) -> ConfirmOut:
    job = await service.confirm(
        session, batch, skip_invalid=skip_invalid, created_by=principal.user_id
    )
    await audit.record(
        session,
        tenant_id=batch.tenant_id,
        actor=principal,
        action="bookkeeping_import.confirmed",
        resource_type="bookkeeping_import",
        resource_id=batch.id,
        details={"skip_invalid": skip_invalid, "job_id": str(job.id)},
    )
    return ConfirmOut(batch=BatchOut.of(batch), job_id=job.id)


async def categorise_line(
    session: AsyncSession, principal: Principal, line: StatementLine, data: CategoriseIn
) -> CategoriseOut:
    done = await service.categorise(
        session,
        line,
        account_code=data.account_code,
        tax_category=data.tax_category,
        learn=data.learn,
        pattern=data.pattern,
        match_field=data.match_field,
        priority=data.priority,
        created_by=principal.user_id,
    )
    await audit.record(
        session,
        tenant_id=line.tenant_id,
        actor=principal,
        action="bookkeeping_line.categorised",
        resource_type="bookkeeping_statement_line",
        resource_id=line.id,
        details={
            "account_code": data.account_code,
            "tax_category": data.tax_category,
            "journal_entry_id": str(done.entry_id),
            "rule_id": str(done.rule.id) if done.rule else None,
        },
    )
    field_, pattern, direction = done.suggestion
    return CategoriseOut(
        line=LineOut.of(line),
        journal_entry_id=done.entry_id,
        rule_id=done.rule.id if done.rule else None,
        suggested_rule=SuggestedRule(field_, pattern, direction),
        also_booked=done.also_booked,
    )


async def create_rule(
    session: AsyncSession, principal: Principal, data: RuleIn
) -> CategorisationRule:
    tenant_id = target_tenant(principal, data.tenant_id, Action.BOOKKEEPING_WRITE)
    rule = await service.create_rule(
        session,
        tenant_id=tenant_id,
        name=data.name or f"{data.pattern[:80]} → {data.account_code}",
        match_field=data.match_field,
        match_kind=data.match_kind,
        pattern=data.pattern,
        direction=data.direction,
        account_code=data.account_code,
        tax_category=data.tax_category,
        priority=data.priority,
        created_by=principal.user_id,
    )
    await audit.record(
        session,
        tenant_id=tenant_id,
        actor=principal,
        action="bookkeeping_rule.created",
        resource_type="bookkeeping_rule",
        resource_id=rule.id,
        details={"pattern": rule.pattern, "account_code": rule.account_code},
    )
    return rule


class BookkeepingImportController(Controller):
    path = "/api/v1/bookkeeping"
    tags = ["bookkeeping imports"]

    @get("/imports/layouts", opt=READ)
    async def list_layouts(self) -> list[LayoutOut]:
        """The built-in statement layouts, each with where it is documented."""
        return [LayoutOut(x.name, x.label, x.kind, x.mapping, x.source) for x in LAYOUTS.values()]

    @post(
        "/imports",
        opt={"action": Action.DOCUMENTS_WRITE},
        status_code=HTTP_201_CREATED,
        request_max_body_size=MAX_UPLOAD,
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> PreviewOut:
        """Upload a statement (bank, card, receipts): parsed at once; the answer lists every
        bad row (line, column, reason) and the first lines. Nothing is imported yet."""
        return await upload_statement(db_session, require_principal(request), data)

    @get("/imports", opt=READ)
    async def list_imports(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
        cursor: str | None = None,
        limit: Limit = 50,
    ) -> BatchPage:
        """Imports, newest first."""
        principal = require_principal(request)
        if tenant_id is not None and tenant_id not in principal.scope:
            raise NotFound("no such tenant")
        after = decode_cursor(cursor) if cursor else None
        rows = await repo.list_batches(db_session, tenant_id=tenant_id, after=after, limit=limit)
        rows = [b for b in rows if allows(principal, Action.BOOKKEEPING_READ, b.tenant_id)]
        nxt = encode_cursor(0, rows[-1].id) if len(rows) == limit else None
        return BatchPage(items=[BatchOut.of(b) for b in rows], next_cursor=nxt)

    @get("/imports/{batch_id:uuid}", opt=READ)
    async def get_import(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, batch_id: uuid.UUID
    ) -> BatchDetail:
        """An import with its row errors and its job's progress."""
        batch = await load_batch(
            db_session, require_principal(request), batch_id, Action.BOOKKEEPING_READ
        )
        return await batch_detail(db_session, batch)

    @get("/imports/{batch_id:uuid}/lines", opt=READ)
    async def import_lines(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        batch_id: uuid.UUID,
        cursor: str | None = None,
        limit: Limit = 50,
    ) -> LinePage:
        """The lines an import brought in, by date."""
        batch = await load_batch(
            db_session, require_principal(request), batch_id, Action.BOOKKEEPING_READ
        )
        return await _line_page(db_session, batch.tenant_id, None, batch.id, cursor, limit)

    @post("/imports/{batch_id:uuid}/confirm", opt=WRITE, status_code=HTTP_202_ACCEPTED)
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        batch_id: uuid.UUID,
        data: ConfirmIn,
    ) -> ConfirmOut:
        """Import a previewed file as a job. A file with bad rows is refused (409) unless
        `skip_invalid` is true; then only its good rows are imported."""
        principal = require_principal(request)
        batch = await load_batch(db_session, principal, batch_id, Action.BOOKKEEPING_WRITE)
        return await confirm_batch(db_session, principal, batch, data.skip_invalid)

    @post("/receipts", opt=WRITE, status_code=HTTP_201_CREATED)
    async def enter_receipt(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: ReceiptIn
    ) -> ReceiptOut:
        """A receipt entered by hand (date, amount, counterparty, tax rate, and its scanned
        document): booked at once when a rule matches, else queued."""
        principal = require_principal(request)
        tenant_id = target_tenant(principal, data.tenant_id, Action.BOOKKEEPING_WRITE)
        await check_document(db_session, tenant_id, data.document_id)
        batch, line = await service.enter_receipt(
            db_session,
            tenant_id=tenant_id,
            txn_date=data.txn_date,
            amount=data.amount,
            counterparty=data.counterparty,
            tax_rate=data.tax_rate,
            description=data.description,
            account_code=data.account_code,
            document_id=data.document_id,
            created_by=principal.user_id,
        )
        return ReceiptOut(batch=BatchOut.of(batch), line=LineOut.of(line))

    @get("/unmatched", opt=READ)
    async def unmatched(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
        batch_id: uuid.UUID | None = None,
        cursor: str | None = None,
        limit: Limit = 50,
    ) -> LinePage:
        """Lines no rule matched, waiting for an operator, oldest date first."""
        principal = require_principal(request)
        if tenant_id is not None and tenant_id not in principal.scope:
            raise NotFound("no such tenant")
        return await _line_page(db_session, tenant_id, "unmatched", batch_id, cursor, limit)

    @post("/unmatched/{line_id:uuid}/categorise", opt=WRITE, status_code=HTTP_201_CREATED)
    async def categorise(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        line_id: uuid.UUID,
        data: CategoriseIn,
    ) -> CategoriseOut:
        """Book a queued line to an account: it becomes a journal entry against the
        statement's account. `learn` remembers the choice as a rule (the suggested rule is
        returned either way)."""
        principal = require_principal(request)
        line = await load_line(db_session, principal, line_id)
        return await categorise_line(db_session, principal, line, data)

    @post("/unmatched/apply-rules", opt=WRITE, status_code=HTTP_200_OK)
    async def apply_rules(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: ApplyRulesIn
    ) -> ApplyRulesOut:
        """Book the queued lines the tenant's current rules match (after adding rules)."""
        principal = require_principal(request)
        tenant_id = target_tenant(principal, data.tenant_id, Action.BOOKKEEPING_WRITE)
        booked = await service.apply_rules_to_queue(
            db_session, tenant_id, created_by=principal.user_id
        )
        return ApplyRulesOut(booked=booked)

    @post("/unmatched/{line_id:uuid}/ignore", opt=WRITE, status_code=HTTP_200_OK)
    async def ignore(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, line_id: uuid.UUID
    ) -> LineOut:
        """Take a line out of the queue without booking it (a transfer already booked)."""
        principal = require_principal(request)
        line = await load_line(db_session, principal, line_id)
        await service.ignore_line(db_session, line, principal.user_id)
        return LineOut.of(line)

    @get("/rules", opt=READ)
    async def list_rules(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
        cursor: str | None = None,
        limit: Limit = 50,
    ) -> RulePage:
        """Rules in the order they are tried (priority, then age), with hit counts."""
        principal = require_principal(request)
        if tenant_id is not None and tenant_id not in principal.scope:
            raise NotFound("no such tenant")
        after = cursor_after(cursor, int)
        rows = await repo.list_rules(
            db_session,
            tenant_id=tenant_id,
            after=after,
            limit=limit,
        )
        nxt = encode_cursor(-rows[-1].priority, rows[-1].id) if len(rows) == limit else None
        return RulePage(items=[RuleOut.of(r) for r in rows], next_cursor=nxt)

    @post("/rules", opt=WRITE, status_code=HTTP_201_CREATED)
    async def create_rule(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: RuleIn
    ) -> RuleOut:
        """A rule: lines whose counterparty / description match go to the account."""
        return RuleOut.of(await create_rule(db_session, require_principal(request), data))

    @get("/rules/{rule_id:uuid}", opt=READ)
    async def get_rule(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, rule_id: uuid.UUID
    ) -> RuleOut:
        principal = require_principal(request)
        rule = await repo.get_rule(db_session, rule_id)
        if rule is None or rule.tenant_id not in principal.scope:
            raise NotFound("no such rule")
        authorize(principal, Action.BOOKKEEPING_READ, rule.tenant_id)
        return RuleOut.of(rule)

    @patch("/rules/{rule_id:uuid}", opt=WRITE)
    async def update_rule(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        rule_id: uuid.UUID,
        data: RulePatch,
    ) -> RuleOut:
        principal = require_principal(request)
        rule = await load_rule(db_session, principal, rule_id)
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        await service.update_rule(db_session, rule, changes)
        await audit.record(
            db_session,
            tenant_id=rule.tenant_id,
            actor=principal,
            action="bookkeeping_rule.updated",
            resource_type="bookkeeping_rule",
            resource_id=rule.id,
            details={k: str(v) for k, v in changes.items()},
        )
        return RuleOut.of(rule)

    @delete("/rules/{rule_id:uuid}", opt=WRITE, status_code=HTTP_204_NO_CONTENT)
    async def delete_rule(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, rule_id: uuid.UUID
    ) -> None:
        principal = require_principal(request)
        rule = await load_rule(db_session, principal, rule_id)
        await audit.record(
            db_session,
            tenant_id=rule.tenant_id,
            actor=principal,
            action="bookkeeping_rule.deleted",
            resource_type="bookkeeping_rule",
            resource_id=rule.id,
            details={"pattern": rule.pattern},
        )
        await db_session.delete(rule)
        await db_session.flush()

    @get("/mappings", opt=READ)
    async def list_mappings(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
        cursor: str | None = None,
        limit: Limit = 50,
    ) -> MappingPage:
        """Saved column mappings, by name."""
        principal = require_principal(request)
        if tenant_id is not None and tenant_id not in principal.scope:
            raise NotFound("no such tenant")
        after = cursor_after(cursor, str)
        rows = await repo.list_mappings(
            db_session,
            tenant_id=tenant_id,
            after=after,
            limit=limit,
        )
        nxt = encode_cursor(rows[-1].name, rows[-1].id) if len(rows) == limit else None
        return MappingPage(items=[MappingOut.of(m) for m in rows], next_cursor=nxt)

    @post("/mappings", opt=WRITE, status_code=HTTP_201_CREATED)
    async def create_mapping(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: MappingIn
    ) -> MappingOut:
        """Save a column mapping under a name, for the tenant's next files."""
        principal = require_principal(request)
        tenant_id = target_tenant(principal, data.tenant_id, Action.BOOKKEEPING_WRITE)
        row = await service.save_mapping(
            db_session,
            tenant_id=tenant_id,
            name=data.name,
            kind=data.kind,
            mapping=data.mapping,
            created_by=principal.user_id,
        )
        return MappingOut.of(row)

    @delete("/mappings/{mapping_id:uuid}", opt=WRITE, status_code=HTTP_204_NO_CONTENT)
    async def delete_mapping(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, mapping_id: uuid.UUID
    ) -> None:
        principal = require_principal(request)
        row: ImportMapping | None = await repo.get_mapping(db_session, mapping_id)
        if row is None or row.tenant_id not in principal.scope:
            raise NotFound("no such mapping")
        authorize(principal, Action.BOOKKEEPING_WRITE, row.tenant_id)
        await db_session.delete(row)
        await db_session.flush()


async def _line_page(
    session: AsyncSession,
    tenant_id: uuid.UUID | None,
    status: str | None,
    batch_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> LinePage:
    after = cursor_after(cursor, date)
    rows = await repo.list_lines(
        session,
        tenant_id=tenant_id,
        status=status,
        batch_id=batch_id,
        after=after,
        limit=limit,
    )
    nxt = encode_cursor(rows[-1].txn_date, rows[-1].id) if len(rows) == limit else None
    return LinePage(items=[LineOut.of(x) for x in rows], next_cursor=nxt)


routes = [BookkeepingImportController]
