"""Documents API: upload (presigned POST, or through the API for partners), complete,
list and search (電子帳簿保存法 fields), versions, receipt (受領証), download, legal
hold, delete; and the signed blob routes that stand in for S3 with the local store.

Documents are loaded through the tenant-scoped session, so another tenant's document is
a 404 before any permission is considered; then the principal must hold the route's
action in the document's tenant (403). Creating names the tenant in the body
(`tenant_id`), which must be in the principal's scope (else 404).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import Parameter
from litestar.response import Redirect
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_201_CREATED,
    HTTP_202_ACCEPTED,
    HTTP_204_NO_CONTENT,
    HTTP_303_SEE_OTHER,
)
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, allows, authorize, require_principal
from daiko.auth.principal import Principal
from daiko.documents import repository, service
from daiko.documents.blob import blob_routes
from daiko.documents.models import CLASSIFICATIONS, Document, DocumentVersion
from daiko.documents.schemas import (
    CompletedOut,
    DocumentCreate,
    DocumentOut,
    DocumentPage,
    DownloadOut,
    LegalHoldUpdate,
    Receipt,
    UploadForm,
    UploadStarted,
    VersionOut,
    VersionUpload,
)
from daiko.documents.verify import MAX_UPLOAD_BYTES
from daiko.errors import InvalidInput, NotFound
from daiko.runtime import Runtime

READ = {"action": Action.DOCUMENTS_READ}
WRITE = {"action": Action.DOCUMENTS_WRITE}


async def load_document(
    session: AsyncSession,
    principal: Principal,
    document_id: uuid.UUID,
    action: Action,
    *,
    for_update: bool = False,
) -> Document:
    """The document if the session's scope sees it (else 404) and the principal may do
    `action` in its tenant (else 403)."""
    document = await repository.get_document(session, document_id, for_update=for_update)
    if document is None or document.tenant_id not in principal.scope:
        raise NotFound("no such document")
    authorize(principal, action, document.tenant_id)
    return document


async def load_version(
    session: AsyncSession, document: Document, n: int, *, for_update: bool = False
) -> DocumentVersion:
    version = await repository.get_version(
        session, document.tenant_id, document.id, n, for_update=for_update
    )
    if version is None:
        raise NotFound(f"document has no version {n}")
    return version


def _started(started: service.Started) -> UploadStarted:
    return UploadStarted(
        document=DocumentOut.of(started.document, latest_version=started.version.n),
        version=VersionOut.of(started.version),
        upload=started.form,
    )


class DocumentController(Controller):
    path = "/api/v1/documents"
    tags = ["documents"]

    @post("/", opt=WRITE, status_code=HTTP_201_CREATED)
    async def create_document(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        runtime: Runtime,
        data: DocumentCreate,
    ) -> UploadStarted:
        """Create a document and its first, pending version; returns where to upload
        the bytes (a presigned POST whose policy pins the key and caps the size)."""
        principal = require_principal(request)
        if data.tenant_id not in principal.scope:
            raise NotFound("no such tenant")
        authorize(principal, Action.DOCUMENTS_WRITE, data.tenant_id)
        started = await service.create_document(db_session, runtime.store, principal, data)
        return _started(started)

    @get("/", opt=READ)
    async def list_documents(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
        classification: str | None = None,
        transaction_date_from: date | None = None,
        transaction_date_to: date | None = None,
        amount_min: int | None = None,
        amount_max: int | None = None,
        counterparty: Annotated[str | None, Parameter(max_length=200)] = None,
        cursor: uuid.UUID | None = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> DocumentPage:
        """Search documents by classification, transaction date range, amount range
        (integer yen) and counterparty (substring), newest first. Pass `next_cursor`
        back as `cursor` for the next page."""
        principal = require_principal(request)
        readable = [
            t for t in principal.scope.tenant_ids if allows(principal, Action.DOCUMENTS_READ, t)
        ]
        if tenant_id is not None:
            if tenant_id not in principal.scope:
                raise NotFound("no such tenant")
            authorize(principal, Action.DOCUMENTS_READ, tenant_id)
            readable = [tenant_id]
        if classification is not None and classification not in CLASSIFICATIONS:
            raise InvalidInput.field(
                "classification", f"must be one of {', '.join(CLASSIFICATIONS)}"
            )
        found = await repository.search(
            db_session,
            repository.DocumentFilter(
                tenant_ids=readable,
                classification=classification,
                transaction_date_from=transaction_date_from,
                transaction_date_to=transaction_date_to,
                amount_min=amount_min,
                amount_max=amount_max,
                counterparty=counterparty,
                before_id=cursor,
                limit=limit + 1,
            ),
        )
        page = found[:limit]
        return DocumentPage(
            items=[DocumentOut.of(d, latest_version=n) for d, n in page],
            next_cursor=str(page[-1][0].id) if len(found) > limit else None,
        )

    @get("/{document_id:uuid}", opt=READ)
    async def get_document(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, document_id: uuid.UUID
    ) -> DocumentOut:
        """One document with all its versions."""
        document = await load_document(
            db_session, require_principal(request), document_id, Action.DOCUMENTS_READ
        )
        return DocumentOut.of(document, await repository.versions_of(db_session, document))

    @post("/{document_id:uuid}/versions", opt=WRITE, status_code=HTTP_201_CREATED)
    async def add_version(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        runtime: Runtime,
        document_id: uuid.UUID,
        data: VersionUpload,
    ) -> UploadStarted:
        """Add a new pending version to a document (old versions stay)."""
        principal = require_principal(request)
        document = await load_document(db_session, principal, document_id, Action.DOCUMENTS_WRITE)
        started = await service.add_version(db_session, runtime.store, principal, document, data)
        return _started(started)

    @post(
        "/{document_id:uuid}/versions/{n:int}/complete",
        opt=WRITE,
        status_code=HTTP_202_ACCEPTED,
    )
    async def complete_upload(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        runtime: Runtime,
        document_id: uuid.UUID,
        n: int,
    ) -> CompletedOut:
        """The bytes are in the store: queue their verification."""
        principal = require_principal(request)
        document = await load_document(db_session, principal, document_id, Action.DOCUMENTS_WRITE)
        version = await service.pending_version(db_session, document, n)
        if version is None:
            raise NotFound(f"document has no version {n}")
        job = await service.complete_upload(db_session, runtime.store, principal, version)
        return CompletedOut(version=VersionOut.of(version), job_id=job.id)

    @put(
        "/{document_id:uuid}/versions/{n:int}/content",
        opt=WRITE,
        status_code=HTTP_202_ACCEPTED,
        request_max_body_size=MAX_UPLOAD_BYTES,
    )
    async def put_content(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        runtime: Runtime,
        document_id: uuid.UUID,
        n: int,
    ) -> CompletedOut:
        """Send a pending version's bytes through the API (partners): read up to the
        declared size, checked against the declared SHA-256, then verified."""
        principal = require_principal(request)
        document = await load_document(db_session, principal, document_id, Action.DOCUMENTS_WRITE)
        version = await service.pending_version(db_session, document, n)
        if version is None:
            raise NotFound(f"document has no version {n}")
        job = await service.receive_content(
            db_session,
            runtime.store,
            principal,
            version,
            request.stream(),
            request.headers.get("content-type"),
        )
        return CompletedOut(version=VersionOut.of(version), job_id=job.id)

    @get("/{document_id:uuid}/versions/{n:int}/receipt", opt=READ)
    async def get_receipt(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        document_id: uuid.UUID,
        n: int,
    ) -> Receipt:
        """受領証: what was received and verified (size, SHA-256, time)."""
        document = await load_document(
            db_session, require_principal(request), document_id, Action.DOCUMENTS_READ
        )
        return service.receipt(document, await load_version(db_session, document, n))

    @get("/{document_id:uuid}/versions/{n:int}/download", opt=READ, status_code=HTTP_200_OK)
    async def download(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        runtime: Runtime,
        document_id: uuid.UUID,
        n: int,
        redirect: bool = True,
    ) -> Response[Any]:
        """A link to the bytes valid for 60 seconds: 303 to it, or `{url}` with
        `redirect=false`. Every call is audited (`document.downloaded`)."""
        principal = require_principal(request)
        document = await load_document(db_session, principal, document_id, Action.DOCUMENTS_READ)
        version = await load_version(db_session, document, n)
        url = await service.download_url(db_session, runtime.store, principal, document, version)
        if redirect:
            return Redirect(url, status_code=HTTP_303_SEE_OTHER)
        return Response(DownloadOut(url=url, expires_in=service.DOWNLOAD_EXPIRES_SECONDS))

    @put(
        "/{document_id:uuid}/legal-hold",
        opt={"action": Action.DOCUMENTS_HOLD},
        status_code=HTTP_200_OK,
    )
    async def legal_hold(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        document_id: uuid.UUID,
        data: LegalHoldUpdate,
    ) -> DocumentOut:
        """Set or clear a legal hold (lead of the tenant only): a held document cannot
        be deleted whatever its retention date."""
        principal = require_principal(request)
        document = await load_document(
            db_session, principal, document_id, Action.DOCUMENTS_HOLD, for_update=True
        )
        await service.set_legal_hold(db_session, principal, document, data.legal_hold, data.reason)
        return DocumentOut.of(document, await repository.versions_of(db_session, document))

    @delete("/{document_id:uuid}", opt=WRITE, status_code=HTTP_204_NO_CONTENT)
    async def delete_document(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        runtime: Runtime,
        document_id: uuid.UUID,
    ) -> None:
        """Delete a document and its stored bytes; refused (409, with the earliest
        deletion date) during its retention period or under legal hold."""
        principal = require_principal(request)
        document = await load_document(
            db_session, principal, document_id, Action.DOCUMENTS_WRITE, for_update=True
        )
        await service.delete_document(db_session, runtime.store, principal, document)


__all__ = ["DocumentController", "UploadForm", "routes"]

routes = [DocumentController, *blob_routes]
