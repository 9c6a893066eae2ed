"""API shapes of statement imports, the unmatched queue, rules and saved mappings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from daiko.bookkeeping.imports.layouts import ColumnMapping, StatementKind
from daiko.bookkeeping.imports.models import (
    CategorisationRule,
    ImportBatch,
    ImportMapping,
    StatementLine,
)
from daiko.bookkeeping.imports.parsers import ParsedLine

MatchField = Literal["counterparty", "description", "any"]
MatchKind = Literal["contains", "prefix", "exact"]
Direction = Literal["any", "in", "out"]
AccountCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z_-]{1,16}$")]
TaxCategoryCode = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Priority = Annotated[int, msgspec.Meta(ge=0, le=10_000)]
Pattern = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class RowErrorOut(msgspec.Struct):
    line: int
    column: int | None
    reason: str


class PreviewLine(msgspec.Struct):
    line_no: int
    txn_date: date
    description: str
    counterparty: str
    amount: int
    balance: int | None
    tax_rate: int | None

    @classmethod
    def of(cls, p: ParsedLine) -> PreviewLine:
        return cls(
            p.line_no, p.txn_date, p.description, p.counterparty, p.amount, p.balance, p.tax_rate
        )


class BatchOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    kind: str
    layout: str
    filename: str
    encoding: str | None
    account_code: str
    status: str
    line_count: int
    error_count: int
    skip_invalid: bool
    job_id: uuid.UUID | None
    imported_count: int
    matched_count: int
    document_id: uuid.UUID | None
    created_at: datetime
    imported_at: datetime | None

    @classmethod
    def of(cls, b: ImportBatch) -> BatchOut:
        return cls(
            id=b.id,
            tenant_id=b.tenant_id,
            kind=b.kind,
            layout=b.layout,
            filename=b.filename,
            encoding=b.encoding,
            account_code=b.account_code,
            status=b.status,
            line_count=b.line_count,
            error_count=b.error_count,
            skip_invalid=b.skip_invalid,
            job_id=b.job_id,
            imported_count=b.imported_count,
            matched_count=b.matched_count,
            document_id=b.document_id,
            created_at=b.created_at,
            imported_at=b.imported_at,
        )


class PreviewOut(msgspec.Struct):
    batch: BatchOut
    errors: list[RowErrorOut]
    sample: list[PreviewLine]


class BatchDetail(msgspec.Struct):
    batch: BatchOut
    errors: list[RowErrorOut]  # the first `errors_limit`; `batch.error_count` has them all
    errors_truncated: bool
    job_status: str | None = None
    progress_done: int | None = None
    progress_total: int | None = None
    job_error: str | None = None


class BatchPage(msgspec.Struct):
    items: list[BatchOut]
    next_cursor: str | None


class ConfirmIn(msgspec.Struct, forbid_unknown_fields=True):
    skip_invalid: bool = False


class ConfirmOut(msgspec.Struct):
    batch: BatchOut
    job_id: uuid.UUID


class LineOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    batch_id: uuid.UUID
    line_no: int
    txn_date: date
    description: str
    counterparty: str
    amount: int
    balance: int | None
    tax_rate: int | None
    status: str
    rule_id: uuid.UUID | None
    account_code: str | None
    tax_category: str | None
    journal_entry_id: uuid.UUID | None
    document_id: uuid.UUID | None

    @classmethod
    def of(cls, x: StatementLine) -> LineOut:
        return cls(
            id=x.id,
            tenant_id=x.tenant_id,
            batch_id=x.batch_id,
            line_no=x.line_no,
            txn_date=x.txn_date,
            description=x.description,
            counterparty=x.counterparty,
            amount=x.amount,
            balance=x.balance,
            tax_rate=x.tax_rate,
            status=x.status,
            rule_id=x.rule_id,
            account_code=x.account_code,
            tax_category=x.tax_category,
            journal_entry_id=x.journal_entry_id,
            document_id=x.document_id,
        )


class LinePage(msgspec.Struct):
    items: list[LineOut]
    next_cursor: str | None


class CategoriseIn(msgspec.Struct, forbid_unknown_fields=True):
    account_code: AccountCode
    tax_category: TaxCategoryCode
    learn: bool = False  # remember as a rule
    pattern: Pattern | None = None  # the rule's pattern (default: counterparty or description)
    match_field: MatchField | None = None
    priority: Priority = 100


class SuggestedRule(msgspec.Struct):
    match_field: str
    pattern: str
    direction: str


class CategoriseOut(msgspec.Struct):
    line: LineOut
    journal_entry_id: uuid.UUID
    rule_id: uuid.UUID | None
    suggested_rule: SuggestedRule
    also_booked: int = 0  # other queued lines the learned rule booked at once


class ApplyRulesIn(msgspec.Struct, forbid_unknown_fields=True):
    tenant_id: uuid.UUID | None = None


class ApplyRulesOut(msgspec.Struct):
    booked: int


class RuleOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    match_field: str
    match_kind: str
    pattern: str
    direction: str
    account_code: str
    tax_category: str
    priority: int
    hit_count: int
    last_hit_at: datetime | None
    active: bool
    source: str

    @classmethod
    def of(cls, r: CategorisationRule) -> RuleOut:
        return cls(
            id=r.id,
            tenant_id=r.tenant_id,
            name=r.name,
            match_field=r.match_field,
            match_kind=r.match_kind,
            pattern=r.pattern,
            direction=r.direction,
            account_code=r.account_code,
            tax_category=r.tax_category,
            priority=r.priority,
            hit_count=r.hit_count,
            last_hit_at=r.last_hit_at,
            active=r.active,
            source=r.source,
        )


class RulePage(msgspec.Struct):
    items: list[RuleOut]
    next_cursor: str | None


class RuleIn(msgspec.Struct, forbid_unknown_fields=True):
    pattern: Pattern
    account_code: AccountCode
    tax_category: TaxCategoryCode
    match_field: MatchField = "any"
    match_kind: MatchKind = "contains"
    direction: Direction = "any"
    priority: Priority = 100
    name: Annotated[str, msgspec.Meta(max_length=100)] = ""
    tenant_id: uuid.UUID | None = None


class RulePatch(msgspec.Struct, forbid_unknown_fields=True):
    pattern: Pattern | msgspec.UnsetType = msgspec.UNSET
    account_code: AccountCode | msgspec.UnsetType = msgspec.UNSET
    tax_category: TaxCategoryCode | msgspec.UnsetType = msgspec.UNSET
    match_field: MatchField | msgspec.UnsetType = msgspec.UNSET
    match_kind: MatchKind | msgspec.UnsetType = msgspec.UNSET
    direction: Direction | msgspec.UnsetType = msgspec.UNSET
    priority: Priority | msgspec.UnsetType = msgspec.UNSET
    name: Annotated[str, msgspec.Meta(max_length=100)] | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class MappingIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    mapping: ColumnMapping
    kind: StatementKind = "bank"
    tenant_id: uuid.UUID | None = None


class MappingOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    kind: str
    mapping: ColumnMapping

    @classmethod
    def of(cls, m: ImportMapping) -> MappingOut:
        return cls(
            id=m.id,
            tenant_id=m.tenant_id,
            name=m.name,
            kind=m.kind,
            mapping=msgspec.convert(m.mapping, ColumnMapping),
        )


class MappingPage(msgspec.Struct):
    items: list[MappingOut]
    next_cursor: str | None


class LayoutOut(msgspec.Struct):
    name: str
    label: str
    kind: str
    mapping: ColumnMapping | None
    source: str


class ReceiptIn(msgspec.Struct, forbid_unknown_fields=True):
    """A receipt entered by hand (document + data)."""

    txn_date: date
    amount: Annotated[int, msgspec.Meta(gt=0, le=100_000_000_000)]
    counterparty: Annotated[str, msgspec.Meta(max_length=200)]
    account_code: AccountCode = "1110"  # paid from: 現金 by default
    tax_rate: Literal[0, 8, 10] | None = None
    description: Annotated[str, msgspec.Meta(max_length=200)] = ""
    document_id: uuid.UUID | None = None
    tenant_id: uuid.UUID | None = None


class ReceiptOut(msgspec.Struct):
    batch: BatchOut
    line: LineOut
