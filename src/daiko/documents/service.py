"""Document rules: create, add a version, complete an upload, receive partner bytes,
download, receipt, legal hold, delete.

Services only flush; the request owns the transaction. Objects come in already loaded
through the tenant-scoped session (another tenant's id never gets this far).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import record
from daiko.auth.principal import Principal
from daiko.documents import repository
from daiko.documents.filenames import BadFilename, clean_filename
from daiko.documents.models import Document, DocumentVersion
from daiko.documents.retention import earliest_deletion_date
from daiko.documents.schemas import DocumentCreate, Receipt, UploadForm, VersionUpload
from daiko.documents.sniff import ACCEPTED_CONTENT_TYPES, normalise_content_type
from daiko.documents.store import DocumentStore, tenant_key
from daiko.documents.verify import MAX_UPLOAD_BYTES
from daiko.errors import Conflict, DaikoError, Forbidden, InvalidInput
from daiko.ids import new_id
from daiko.jobs import service as jobs_service
from daiko.jobs.kinds import JobKind
from daiko.jobs.models import Job

JST = ZoneInfo("Asia/Tokyo")
UPLOAD_EXPIRES_SECONDS = 600
DOWNLOAD_EXPIRES_SECONDS = 60


class RetentionActive(Conflict):
    slug = "retention-period"
    title = "The retention period has not ended"


class LegalHoldActive(Conflict):
    slug = "legal-hold"
    title = "The document is under legal hold"


class ContentTooLarge(DaikoError):
    status = 413
    slug = "content-too-large"
    title = "The content is larger than allowed"


class VersionNotReady(Conflict):
    slug = "version-not-ready"
    title = "The version is not in a state that allows this"


def today_jst() -> date:
    return datetime.now(JST).date()


def version_key(tenant_id: uuid.UUID, document_id: uuid.UUID, n: int) -> str:
    return tenant_key(tenant_id, "documents", str(document_id), f"v{n}")


def check_upload(upload: VersionUpload, field: str = "file") -> str:
    """The clean file name, or a 422 naming the field and the reason."""
    field = f"{field}." if field else ""
    if upload.size == 0:
        raise InvalidInput.field(f"{field}size", "the file is empty")
    if upload.size > MAX_UPLOAD_BYTES:
        raise InvalidInput.field(
            f"{field}size", f"{upload.size} bytes is over the limit of {MAX_UPLOAD_BYTES} bytes"
        )
    if normalise_content_type(upload.content_type) not in ACCEPTED_CONTENT_TYPES:
        raise InvalidInput.field(
            f"{field}content_type",
            f"{normalise_content_type(upload.content_type)} is not an accepted type "
            "(PDF, PNG, JPEG, HEIC/HEIF, CSV, TSV, XLSX, ZIP)",
        )
    try:
        return clean_filename(upload.filename)
    except BadFilename as exc:
        raise InvalidInput.field(f"{field}filename", str(exc)) from None


@dataclass(frozen=True)
class Started:
    document: Document
    version: DocumentVersion
    form: UploadForm


async def _new_version(
    session: AsyncSession,
    store: DocumentStore,
    principal: Principal,
    document: Document,
    upload: VersionUpload,
    filename: str,
    n: int,
) -> Started:
    now = datetime.now(UTC)
    key = version_key(document.tenant_id, document.id, n)
    version = DocumentVersion(
        tenant_id=document.tenant_id,
        id=new_id(),
        document_id=document.id,
        n=n,
        storage_key=key,
        declared_size=upload.size,
        declared_sha256=upload.sha256.lower(),
        filename=filename,
        declared_content_type=normalise_content_type(upload.content_type),
        status="pending",
        uploaded_by=principal.user_id,
        uploaded_by_client=principal.client_id if principal.kind == "partner" else None,
        upload_expires_at=now + timedelta(seconds=UPLOAD_EXPIRES_SECONDS),
    )
    session.add(version)
    await session.flush()
    await session.refresh(version)
    # The size cap is the declared size: the store refuses anything longer outright.
    post = await store.presign_post(key, max_size=upload.size, expires=UPLOAD_EXPIRES_SECONDS)
    form = UploadForm(
        url=post.url,
        fields=post.fields,
        max_size=upload.size,
        expires_at=version.upload_expires_at,
    )
    return Started(document, version, form)


async def create_document(
    session: AsyncSession, store: DocumentStore, principal: Principal, body: DocumentCreate
) -> Started:
    filename = check_upload(body.file)
    base = body.transaction_date or today_jst()
    document = Document(
        tenant_id=body.tenant_id,
        id=new_id(),
        title=body.title.strip(),
        classification=body.classification,
        transaction_date=body.transaction_date,
        amount=body.amount,
        counterparty=body.counterparty.strip() if body.counterparty else None,
        retention_class=body.retention_class,
        retention_base_date=base,
        retain_until=earliest_deletion_date(body.retention_class, base),
        legal_hold=False,
        created_by=principal.user_id,
        created_by_client=principal.client_id if principal.kind == "partner" else None,
    )
    session.add(document)
    await session.flush()
    await session.refresh(document)
    started = await _new_version(session, store, principal, document, body.file, filename, 1)
    await record(
        session,
        tenant_id=document.tenant_id,
        actor=principal,
        action="document.created",
        resource_type="document",
        resource_id=document.id,
        details={
            "title": document.title,
            "classification": document.classification,
            "retention_class": document.retention_class,
            "n": 1,
            "filename": filename,
        },
    )
    return started


async def add_version(
    session: AsyncSession,
    store: DocumentStore,
    principal: Principal,
    document: Document,
    upload: VersionUpload,
) -> Started:
    filename = check_upload(upload, field="")
    locked = await repository.get_document(session, document.id, for_update=True)
    assert locked is not None
    n = await repository.next_version_number(session, locked)
    started = await _new_version(session, store, principal, locked, upload, filename, n)
    await record(
        session,
        tenant_id=document.tenant_id,
        actor=principal,
        action="document.version_added",
        resource_type="document",
        resource_id=document.id,
        details={"n": n, "filename": filename},
    )
    return started


async def _queue_verification(
    session: AsyncSession, principal: Principal, version: DocumentVersion
) -> Job:
    job = await jobs_service.enqueue(
        session,
        version.tenant_id,
        JobKind.DOCUMENT_VERIFY,
        {"document_id": str(version.document_id), "n": version.n},
        created_by=principal.user_id,
    )
    version.status = "uploaded"
    version.uploaded_at = datetime.now(UTC)
    version.verify_job_id = job.id
    await session.flush()
    return job


async def pending_version(
    session: AsyncSession, document: Document, n: int
) -> DocumentVersion | None:
    version = await repository.get_version(
        session, document.tenant_id, document.id, n, for_update=True
    )
    if version is None:
        return None
    if version.status != "pending":
        raise VersionNotReady(
            f"version {n} is {version.status}; only a pending version takes an upload"
        )
    return version


async def complete_upload(
    session: AsyncSession, store: DocumentStore, principal: Principal, version: DocumentVersion
) -> Job:
    """The browser says its upload finished: queue the check of the stored bytes."""
    if not await store.exists(version.storage_key):
        raise VersionNotReady(f"nothing has been uploaded for version {version.n} yet")
    return await _queue_verification(session, principal, version)


async def receive_content(
    session: AsyncSession,
    store: DocumentStore,
    principal: Principal,
    version: DocumentVersion,
    chunks: AsyncIterator[bytes],
    content_type: str | None,
) -> Job:
    """A partner sends the bytes through the API. Streamed to the store with the declared
    size as the cap (stopped at the first byte over it) and committed only when size and
    SHA-256 match the declaration; then verified by the worker like a browser upload."""
    digest = hashlib.sha256()
    size = 0
    # Streamed to the store as it arrives; the store keeps it invisible until commit, and
    # any refusal below aborts it, so nothing half-written is ever left under the key.
    upload = await store.open_upload(
        version.storage_key, content_type or version.declared_content_type
    )
    try:
        async for chunk in chunks:
            size += len(chunk)
            if size > version.declared_size:
                raise ContentTooLarge(
                    f"content: more than the declared {version.declared_size} bytes",
                    errors=[
                        {
                            "field": "content",
                            "reason": "larger than the declared size of "
                            f"{version.declared_size} bytes",
                        }
                    ],
                )
            digest.update(chunk)
            await upload.write(chunk)
        if size == 0:
            raise InvalidInput.field("content", "the body is empty")
        if size != version.declared_size:
            raise InvalidInput.field(
                "content", f"{size} bytes received, {version.declared_size} declared"
            )
        if digest.hexdigest() != version.declared_sha256:
            raise InvalidInput.field(
                "content",
                f"SHA-256 mismatch: declared {version.declared_sha256}, "
                f"received {digest.hexdigest()}",
            )
        await upload.commit()
    except BaseException:
        await upload.abort()
        raise
    return await _queue_verification(session, principal, version)


def may_fetch_quarantined(principal: Principal) -> bool:
    """Operators (operator, lead) may fetch a quarantined version to investigate it;
    clients and partners only ever get verified bytes."""
    return principal.kind == "user" and principal.is_operator


async def download_url(
    session: AsyncSession,
    store: DocumentStore,
    principal: Principal,
    document: Document,
    version: DocumentVersion,
) -> str:
    allowed = version.status == "verified" or (
        version.status == "quarantined" and may_fetch_quarantined(principal)
    )
    if not allowed:
        raise VersionNotReady(
            f"version {version.n} is {version.status}; only verified versions can be downloaded"
        )
    url = await store.presign_get(
        version.storage_key, expires=DOWNLOAD_EXPIRES_SECONDS, filename=version.filename
    )
    await record(
        session,
        tenant_id=document.tenant_id,
        actor=principal,
        action="document.downloaded",
        resource_type="document",
        resource_id=document.id,
        details={
            "n": version.n,
            "filename": version.filename,
            "sha256": version.declared_sha256,
            "classification": document.classification,
            "status": version.status,
        },
    )
    return url


def receipt(document: Document, version: DocumentVersion) -> Receipt:
    if version.status != "verified" or version.verified_at is None or version.uploaded_at is None:
        raise VersionNotReady(
            f"version {version.n} is {version.status}; a receipt exists once it is verified"
        )
    return Receipt(
        tenant_id=document.tenant_id,
        document_id=document.id,
        title=document.title,
        n=version.n,
        filename=version.filename,
        size=version.declared_size,
        sha256=version.declared_sha256,
        content_type=version.sniffed_type or version.declared_content_type,
        uploaded_at=version.uploaded_at,
        verified_at=version.verified_at,
    )


LEGAL_HOLD_ROLES = frozenset({"lead"})


def may_set_legal_hold(principal: Principal, tenant_id: uuid.UUID) -> bool:
    """A legal hold is a compliance decision of the shared-services lead for the tenant:
    clients must not lift it (it would open the way to deletion)."""
    return principal.kind == "user" and principal.role_in(tenant_id) in LEGAL_HOLD_ROLES


async def set_legal_hold(
    session: AsyncSession,
    principal: Principal,
    document: Document,
    hold: bool,
    reason: str | None,
) -> Document:
    if not may_set_legal_hold(principal, document.tenant_id):
        raise Forbidden("only the tenant's lead may set or clear a legal hold")
    if hold and not (reason and reason.strip()):
        raise InvalidInput.field("reason", "a legal hold needs a reason")
    before = document.legal_hold
    document.legal_hold = hold
    document.legal_hold_reason = reason.strip() if hold and reason else None
    await session.flush()
    if before != hold:
        await record(
            session,
            tenant_id=document.tenant_id,
            actor=principal,
            action="document.legal_hold_set" if hold else "document.legal_hold_cleared",
            resource_type="document",
            resource_id=document.id,
            details={"reason": document.legal_hold_reason},
        )
    return document


async def delete_document(
    session: AsyncSession,
    store: DocumentStore,
    principal: Principal,
    document: Document,
    today: date | None = None,
) -> int:
    """Delete a document whose retention has ended and that no hold protects: the row
    stays as a tombstone (`deleted_at`), every stored version is removed. Returns the
    number of objects removed."""
    if document.legal_hold:
        raise LegalHoldActive(
            "the document is under legal hold and cannot be deleted",
            extra={"legal_hold_reason": document.legal_hold_reason},
        )
    day = today or today_jst()
    if document.retain_until is not None and day < document.retain_until:
        until = document.retain_until.isoformat()
        raise RetentionActive(
            f"{document.retention_class} documents may be deleted from {until}",
            extra={"earliest_deletion_date": until, "retention_class": document.retention_class},
        )
    versions = await repository.versions_of(session, document)
    document.deleted_at = datetime.now(UTC)
    await session.flush()
    await record(
        session,
        tenant_id=document.tenant_id,
        actor=principal,
        action="document.deleted",
        resource_type="document",
        resource_id=document.id,
        details={"title": document.title, "versions": len(versions)},
    )
    # Last, after the tombstone and the audit event are written: a failure before this
    # point leaves the bytes in place and rolls everything back.
    for version in versions:
        await store.delete(version.storage_key)
    return len(versions)
