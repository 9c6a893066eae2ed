"""Tables of bookkeeping imports (明細取込), all tenant-owned under RLS.

- `bookkeeping_import_mappings`: named column mappings a tenant saves for its own files.
- `bookkeeping_import_batches`: one uploaded statement (bank, card or receipts): its
  layout, the statement's account (普通預金 …), the preview's counts and every row error,
  then the import job's outcome.
- `bookkeeping_import_files`: the uploaded bytes, kept beside the batch (stored
  uncompressed out of line, so the list pages never read them).
- `bookkeeping_statement_lines`: the imported lines. `unmatched` lines wait in the
  operators' queue; `posted` ones carry the journal entry they became.
- `bookkeeping_rules`: counterparty / description pattern → account and tax category,
  with a priority and a hit count; learned from operators' choices or written by hand.

Large files are loaded with COPY into a temporary table and `INSERT … SELECT` into
`bookkeeping_statement_lines` in the tenant-scoped session, so RLS vets every row
(COPY into an RLS table is refused for the app role anyway).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from daiko.db.base import Base, TenantOwned, Timestamps

KINDS = ("bank", "card", "receipt")
BATCH_STATUSES = ("previewed", "invalid", "queued", "importing", "imported", "failed")
LINE_STATUSES = ("unmatched", "posted", "ignored")
MATCH_FIELDS = ("counterparty", "description", "any")
MATCH_KINDS = ("contains", "prefix", "exact")
DIRECTIONS = ("any", "in", "out")
RULE_SOURCES = ("manual", "learned")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


def _tenant_fk() -> ForeignKey:
    return ForeignKey("tenants.id", ondelete="CASCADE")


def _account_fk(column: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", column], ["accounts.tenant_id", "accounts.code"], onupdate="CASCADE"
    )


class ImportMapping(TenantOwned, Timestamps, Base):
    """A saved column mapping (`layouts.ColumnMapping` as JSON) under a name."""

    __tablename__ = "bookkeeping_import_mappings"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint(_in("kind", KINDS), name="kind"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(_tenant_fk(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class ImportBatch(TenantOwned, Timestamps, Base):
    """One uploaded statement file and what became of it."""

    __tablename__ = "bookkeeping_import_batches"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("status", BATCH_STATUSES), name="status"),
        CheckConstraint(
            "line_count >= 0 and error_count >= 0 and imported_count >= 0", name="counts"
        ),
        _account_fk("account_code"),
        ForeignKeyConstraint(["tenant_id", "job_id"], ["jobs.tenant_id", "jobs.id"]),
        ForeignKeyConstraint(["tenant_id", "document_id"], ["documents.tenant_id", "documents.id"]),
        Index("ix_bookkeeping_import_batches_tenant_id_created_at", "tenant_id", "created_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(_tenant_fk(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    layout: Mapped[str] = mapped_column(String(32))
    mapping: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    filename: Mapped[str] = mapped_column(String(255))
    encoding: Mapped[str | None] = mapped_column(String(16))
    # The statement's own account (普通預金 1130, a 補助科目 code, 未払金 for a card …).
    account_code: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), server_default="previewed")
    line_count: Mapped[int] = mapped_column(Integer, server_default="0")
    error_count: Mapped[int] = mapped_column(Integer, server_default="0")
    # Every bad row: [{"line", "column", "reason"}], in file order.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    skip_invalid: Mapped[bool] = mapped_column(Boolean, server_default=false())
    job_id: Mapped[uuid.UUID | None] = mapped_column()
    imported_count: Mapped[int] = mapped_column(Integer, server_default="0")
    matched_count: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    document_id: Mapped[uuid.UUID | None] = mapped_column()  # a receipt's scanned evidence
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    imported_at: Mapped[datetime | None] = mapped_column()


class ImportFile(TenantOwned, Base):
    """The uploaded bytes of a batch (id = the batch's id)."""

    __tablename__ = "bookkeeping_import_files"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "id"],
            ["bookkeeping_import_batches.tenant_id", "bookkeeping_import_batches.id"],
            ondelete="CASCADE",
        ),
    )

    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))


class StatementLine(TenantOwned, Base):
    """One transaction of a statement (明細行). `amount` > 0: money into the statement's
    account; < 0: out of it."""

    __tablename__ = "bookkeeping_statement_lines"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "batch_id"],
            ["bookkeeping_import_batches.tenant_id", "bookkeeping_import_batches.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "journal_entry_id"], ["journal_entries.tenant_id", "journal_entries.id"]
        ),
        ForeignKeyConstraint(["tenant_id", "document_id"], ["documents.tenant_id", "documents.id"]),
        UniqueConstraint("tenant_id", "batch_id", "line_no"),
        CheckConstraint(_in("status", LINE_STATUSES), name="status"),
        CheckConstraint("tax_rate is null or tax_rate in (0, 8, 10)", name="tax_rate"),
        CheckConstraint(
            "(status = 'posted') = (journal_entry_id is not null)", name="posted_has_entry"
        ),
        # The operators' queue: a tenant's unmatched lines by date.
        Index(
            "ix_bookkeeping_statement_lines_tenant_id_status_txn_date",
            "tenant_id",
            "status",
            "txn_date",
            "id",
        ),
    )

    batch_id: Mapped[uuid.UUID] = mapped_column()
    line_no: Mapped[int] = mapped_column(Integer)
    txn_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, server_default="")
    counterparty: Mapped[str] = mapped_column(Text, server_default="")
    amount: Mapped[int] = mapped_column(BigInteger)
    balance: Mapped[int | None] = mapped_column(BigInteger)
    tax_rate: Mapped[int | None] = mapped_column(SmallInteger)
    memo: Mapped[str] = mapped_column(Text, server_default="")
    status: Mapped[str] = mapped_column(String(16), server_default="unmatched")
    rule_id: Mapped[uuid.UUID | None] = mapped_column()
    account_code: Mapped[str | None] = mapped_column(String(16))  # the counter account
    tax_category: Mapped[str | None] = mapped_column(String(32))
    journal_entry_id: Mapped[uuid.UUID | None] = mapped_column()
    document_id: Mapped[uuid.UUID | None] = mapped_column()
    categorised_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    categorised_at: Mapped[datetime | None] = mapped_column()


class CategorisationRule(TenantOwned, Timestamps, Base):
    """仕訳ルール: lines whose counterparty / description matches `pattern` go to
    `account_code` with `tax_category`. Highest priority first; ties: oldest first."""

    __tablename__ = "bookkeeping_rules"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        UniqueConstraint("tenant_id", "match_field", "match_kind", "pattern", "direction"),
        CheckConstraint(_in("match_field", MATCH_FIELDS), name="match_field"),
        CheckConstraint(_in("match_kind", MATCH_KINDS), name="match_kind"),
        CheckConstraint(_in("direction", DIRECTIONS), name="direction"),
        CheckConstraint(_in("source", RULE_SOURCES), name="source"),
        CheckConstraint("length(pattern) > 0", name="pattern_not_empty"),
        CheckConstraint("hit_count >= 0", name="hit_count"),
        _account_fk("account_code"),
        Index("ix_bookkeeping_rules_tenant_id_priority", "tenant_id", "priority"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(_tenant_fk(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), server_default="")
    match_field: Mapped[str] = mapped_column(String(16))
    match_kind: Mapped[str] = mapped_column(String(16), server_default="contains")
    pattern: Mapped[str] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(8), server_default="any")
    account_code: Mapped[str] = mapped_column(String(16))
    tax_category: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer, server_default="100")
    hit_count: Mapped[int] = mapped_column(Integer, server_default="0")
    last_hit_at: Mapped[datetime | None] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    source: Mapped[str] = mapped_column(String(16), server_default="manual")
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
