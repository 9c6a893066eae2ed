"""Pages of the documents domain: the list with search and drag-and-drop upload, a
document with its versions, preview (PDF, images) and download, and the receipt
(受領証) of a verified version. The same pages serve the portal and the console; the
console lists the operator's tenants together."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from litestar import Request, get
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, allows, require_principal
from daiko.auth.principal import Principal
from daiko.documents import repository, service
from daiko.documents.api import load_document, load_version
from daiko.documents.models import CLASSIFICATIONS, RETENTION_CLASSES
from daiko.errors import Forbidden, InvalidInput
from daiko.runtime import Runtime
from daiko.tenancy.models import Tenant
from daiko.web.shell import render


@get(
    "/documents/{document_id:uuid}/versions/{n:int}/receipt",
    opt={"action": Action.DOCUMENTS_READ},
    include_in_schema=False,
)
async def receipt_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, document_id: uuid.UUID, n: int
) -> Template:
    principal = require_principal(request)
    document = await load_document(db_session, principal, document_id, Action.DOCUMENTS_READ)
    version = await load_version(db_session, document, n)
    return Template(
        template_name="documents/receipt.html",
        context={"receipt": service.receipt(document, version), "lang": "ja", "jst": service.JST},
    )


PAGE_SIZE = 50
PREVIEWABLE = {"application/pdf": "pdf", "image/png": "image", "image/jpeg": "image"}


def _area(principal: Principal) -> str:
    return "console" if principal.user_kind == "operator" else "portal"


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput.field(field, "must be a date like 2026-11-27") from None


async def _list_page(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    classification: str | None,
    date_from: str | None,
    date_to: str | None,
    counterparty: str | None,
    before: uuid.UUID | None,
) -> Template:
    principal = require_principal(request)
    if classification and classification not in CLASSIFICATIONS:
        raise InvalidInput.field("classification", f"must be one of {', '.join(CLASSIFICATIONS)}")
    found = await repository.search(
        session,
        repository.DocumentFilter(
            tenant_ids=list(principal.scope.tenant_ids),
            classification=classification or None,
            transaction_date_from=_day(date_from, "date_from"),
            transaction_date_to=_day(date_to, "date_to"),
            counterparty=counterparty or None,
            before_id=before,
            limit=PAGE_SIZE,
        ),
    )
    ids = list(principal.scope.tenant_ids)
    tenants = list(
        (
            await session.execute(select(Tenant).where(Tenant.id.in_(ids)).order_by(Tenant.name))
        ).scalars()
    )
    writable = [t for t in tenants if allows(principal, Action.DOCUMENTS_WRITE, t.id)]
    return render(
        request,
        "documents/list.html",
        {
            "area": _area(principal),
            "rows": found,
            "tenant_names": {t.id: t.name for t in tenants},
            "writable": writable,
            "classifications": CLASSIFICATIONS,
            "retention_classes": RETENTION_CLASSES,
            "filters": {
                "classification": classification or "",
                "date_from": date_from or "",
                "date_to": date_to or "",
                "counterparty": counterparty or "",
            },
            "next_before": found[-1][0].id if len(found) == PAGE_SIZE else None,
        },
    )


@get(
    "/portal/documents",
    include_in_schema=False,
    opt={"action": Action.DOCUMENTS_READ, "page": True},
)
async def portal_documents(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    classification: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    counterparty: str | None = None,
    before: uuid.UUID | None = None,
) -> Template:
    return await _list_page(
        request, db_session, classification, date_from, date_to, counterparty, before
    )


@get(
    "/console/documents",
    include_in_schema=False,
    opt={"action": Action.DOCUMENTS_READ, "page": True},
)
async def console_documents(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    classification: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    counterparty: str | None = None,
    before: uuid.UUID | None = None,
) -> Template:
    if require_principal(request).user_kind != "operator":
        raise Forbidden("the console is for operators")
    return await _list_page(
        request, db_session, classification, date_from, date_to, counterparty, before
    )


@get(
    "/documents/{document_id:uuid}",
    include_in_schema=False,
    opt={"action": Action.DOCUMENTS_READ, "page": True},
)
async def document_page(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    runtime: Runtime,
    document_id: uuid.UUID,
    preview: int | None = None,
) -> Template:
    """A document and its versions. `?preview=N` shows version N inline (a read of the
    bytes, so it is audited like a download)."""
    principal = require_principal(request)
    document = await load_document(db_session, principal, document_id, Action.DOCUMENTS_READ)
    versions = await repository.versions_of(db_session, document)
    shown = None
    if preview is not None:
        version = await load_version(db_session, document, preview)
        kind = PREVIEWABLE.get(version.sniffed_type or "")
        if kind is not None:
            url = await service.download_url(
                db_session, runtime.store, principal, document, version
            )
            shown = {"n": version.n, "kind": kind, "url": url, "filename": version.filename}
    tenant = await db_session.get(Tenant, document.tenant_id)
    return render(
        request,
        "documents/detail.html",
        {
            "area": _area(principal),
            "document": document,
            "tenant": tenant,
            "versions": versions,
            "preview": shown,
            "previewable": PREVIEWABLE,
            "may_quarantined": service.may_fetch_quarantined(principal),
            "may_write": allows(principal, Action.DOCUMENTS_WRITE, document.tenant_id),
        },
    )


routes = [receipt_page, portal_documents, console_documents, document_page]
