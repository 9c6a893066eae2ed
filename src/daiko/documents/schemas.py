"""API shapes of the documents domain (msgspec structs)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from daiko.documents.models import Document, DocumentVersion

Classification = Literal[
    "timesheet", "receipt", "bank_statement", "payslip", "filing", "contract", "other"
]
RetentionClassName = Literal["bookkeeping_evidence", "payroll_record", "general"]
Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-fA-F]{64}$")]
Size = Annotated[int, msgspec.Meta(ge=0)]
Yen = Annotated[int, msgspec.Meta(ge=-(10**15), le=10**15)]


class VersionUpload(msgspec.Struct, forbid_unknown_fields=True):
    """What the uploader declares about the bytes it is about to send."""

    filename: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    size: Size
    sha256: Sha256
    content_type: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class DocumentCreate(msgspec.Struct, forbid_unknown_fields=True):
    tenant_id: uuid.UUID
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    classification: Classification
    retention_class: RetentionClassName
    file: VersionUpload
    transaction_date: date | None = None
    amount: Yen | None = None
    counterparty: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class LegalHoldUpdate(msgspec.Struct, forbid_unknown_fields=True):
    legal_hold: bool
    reason: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class UploadForm(msgspec.Struct):
    """Where and how to send the bytes: a form POST to `url` with `fields` then the
    file as the last field `file` (S3 presigned POST, or our signed local route)."""

    url: str
    fields: dict[str, str]
    max_size: int
    expires_at: datetime


class VersionOut(msgspec.Struct):
    n: int
    status: str
    filename: str
    size: int
    sha256: str
    declared_content_type: str
    sniffed_type: str | None
    quarantine_reason: str | None
    uploaded_by: uuid.UUID | None
    uploaded_by_client: str | None
    created_at: datetime
    uploaded_at: datetime | None
    verified_at: datetime | None
    verify_job_id: uuid.UUID | None

    @classmethod
    def of(cls, v: DocumentVersion) -> VersionOut:
        return cls(
            n=v.n,
            status=v.status,
            filename=v.filename,
            size=v.declared_size,
            sha256=v.declared_sha256,
            declared_content_type=v.declared_content_type,
            sniffed_type=v.sniffed_type,
            quarantine_reason=v.quarantine_reason,
            uploaded_by=v.uploaded_by,
            uploaded_by_client=v.uploaded_by_client,
            created_at=v.created_at,
            uploaded_at=v.uploaded_at,
            verified_at=v.verified_at,
            verify_job_id=v.verify_job_id,
        )


class DocumentOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    title: str
    classification: str
    transaction_date: date | None
    amount: int | None
    counterparty: str | None
    retention_class: str
    retention_base_date: date
    earliest_deletion_date: date | None
    legal_hold: bool
    legal_hold_reason: str | None
    created_at: datetime
    latest_version: int | None = None
    versions: list[VersionOut] | None = None

    @classmethod
    def of(
        cls,
        d: Document,
        versions: list[DocumentVersion] | None = None,
        latest_version: int | None = None,
    ) -> DocumentOut:
        return cls(
            id=d.id,
            tenant_id=d.tenant_id,
            title=d.title,
            classification=d.classification,
            transaction_date=d.transaction_date,
            amount=d.amount,
            counterparty=d.counterparty,
            retention_class=d.retention_class,
            retention_base_date=d.retention_base_date,
            earliest_deletion_date=d.retain_until,
            legal_hold=d.legal_hold,
            legal_hold_reason=d.legal_hold_reason,
            created_at=d.created_at,
            latest_version=latest_version
            if latest_version is not None
            else (max(v.n for v in versions) if versions else None),
            versions=[VersionOut.of(v) for v in versions] if versions is not None else None,
        )


class UploadStarted(msgspec.Struct):
    document: DocumentOut
    version: VersionOut
    upload: UploadForm


class DocumentPage(msgspec.Struct):
    items: list[DocumentOut]
    next_cursor: str | None


class CompletedOut(msgspec.Struct):
    version: VersionOut
    job_id: uuid.UUID


class DownloadOut(msgspec.Struct):
    url: str
    expires_in: int


class Receipt(msgspec.Struct):
    """受領証: proof of what was received and checked."""

    tenant_id: uuid.UUID
    document_id: uuid.UUID
    title: str
    n: int
    filename: str
    size: int
    sha256: str
    content_type: str
    uploaded_at: datetime
    verified_at: datetime
