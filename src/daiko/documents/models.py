"""Tables of the documents domain (tenant-owned, RLS).

`documents` holds what a document is (title, classification, 電子帳簿保存法 search fields,
retention); `document_versions` holds each upload of its bytes, stored under
`tenants/<tenant_id>/documents/<document_id>/v<n>`. Old versions stay when a new one is
added. Money is integer yen.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from daiko.db.base import Base, TenantOwned, Timestamps

CLASSIFICATIONS = (
    "timesheet",
    "receipt",
    "bank_statement",
    "payslip",
    "filing",
    "contract",
    "other",
)
RETENTION_CLASSES = ("bookkeeping_evidence", "payroll_record", "general")
VERSION_STATUSES = ("pending", "uploaded", "verified", "quarantined")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


class Document(TenantOwned, Timestamps, Base):
    """A client's document (書類): one record, one or more versions of its bytes."""

    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(_in("classification", CLASSIFICATIONS), name="classification"),
        CheckConstraint(_in("retention_class", RETENTION_CLASSES), name="retention_class"),
        # 電子帳簿保存法: search by transaction date, amount, counterparty.
        Index("ix_documents_tenant_id_transaction_date", "tenant_id", "transaction_date"),
        Index("ix_documents_tenant_id_amount", "tenant_id", "amount"),
        Index("ix_documents_tenant_id_classification", "tenant_id", "classification"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    title: Mapped[str] = mapped_column(String(200))
    classification: Mapped[str] = mapped_column(String(32))
    transaction_date: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[int | None] = mapped_column(BigInteger)  # integer yen
    counterparty: Mapped[str | None] = mapped_column(String(200))
    retention_class: Mapped[str] = mapped_column(String(32))
    # The date the retention period runs from (transaction date, else the upload date).
    retention_base_date: Mapped[date] = mapped_column(Date)
    # Earliest deletion date; null for `general` (deletable at any time).
    retain_until: Mapped[date | None] = mapped_column(Date)
    legal_hold: Mapped[bool] = mapped_column(Boolean, server_default=false())
    legal_hold_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by_client: Mapped[str | None] = mapped_column(String(128))
    deleted_at: Mapped[datetime | None] = mapped_column()


class DocumentVersion(TenantOwned, Timestamps, Base):
    """One upload of a document's bytes: pending → uploaded → verified | quarantined."""

    __tablename__ = "document_versions"
    __table_args__ = (
        CheckConstraint(_in("status", VERSION_STATUSES), name="status"),
        CheckConstraint("n >= 1", name="n_positive"),
        CheckConstraint("declared_size >= 1", name="declared_size_positive"),
        CheckConstraint("length(declared_sha256) = 64", name="declared_sha256_length"),
        CheckConstraint(
            "(status = 'quarantined') = (quarantine_reason is not null)", name="quarantine_reason"
        ),
        ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["documents.tenant_id", "documents.id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("tenant_id", "document_id", "n"),
    )

    document_id: Mapped[uuid.UUID] = mapped_column()
    n: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(Text)
    declared_size: Mapped[int] = mapped_column(BigInteger)
    declared_sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    declared_content_type: Mapped[str] = mapped_column(String(255))
    sniffed_type: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    quarantine_reason: Mapped[str | None] = mapped_column(Text)
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    uploaded_by_client: Mapped[str | None] = mapped_column(String(128))
    upload_expires_at: Mapped[datetime] = mapped_column()
    uploaded_at: Mapped[datetime | None] = mapped_column()
    verified_at: Mapped[datetime | None] = mapped_column()
    verify_job_id: Mapped[uuid.UUID | None] = mapped_column()
