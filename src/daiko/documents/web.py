"""Portal pages of the documents domain: the receipt (受領証) of a verified version."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, request_principal
from daiko.documents import service
from daiko.documents.api import load_document, load_version
from daiko.errors import NotAuthenticated


@get(
    "/documents/{document_id:uuid}/versions/{n:int}/receipt",
    opt={"action": Action.DOCUMENTS_READ},
    include_in_schema=False,
)
async def receipt_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, document_id: uuid.UUID, n: int
) -> Template:
    principal = request_principal(request)
    if principal is None:
        raise NotAuthenticated()
    document = await load_document(db_session, principal, document_id, Action.DOCUMENTS_READ)
    version = await load_version(db_session, document, n)
    return Template(
        template_name="documents/receipt.html",
        context={"receipt": service.receipt(document, version), "lang": "ja", "jst": service.JST},
    )


routes = [receipt_page]
