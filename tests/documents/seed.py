"""Rows in `documents` and `document_versions` for tenants A and B (isolation tests and
the route matrix). Tenant A's version 1 is verified, so download and receipt succeed
for the matrix's positive control."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.documents.models import Document, DocumentVersion
from daiko.documents.service import version_key
from daiko.ids import new_id
from tests.factories import World

CONTENT = b"%PDF-1.7\nseed\n"
ZERO = "00000000-0000-0000-0000-000000000000"
FILE = {
    "filename": "領収書.pdf",
    "size": len(CONTENT),
    "sha256": hashlib.sha256(CONTENT).hexdigest(),
    "content_type": "application/pdf",
}
ROUTE_BODIES: dict[str, dict[str, object]] = {
    "POST /api/v1/documents": {
        "tenant_id": ZERO,
        "title": "seed",
        "classification": "receipt",
        "retention_class": "general",
        "file": FILE,
    },
    "POST /api/v1/documents/{document_id}/versions": FILE,
    "PUT /api/v1/documents/{document_id}/legal-hold": {"legal_hold": False},
}


async def seed(engine: AsyncEngine, world: World) -> dict[str, str]:
    now = datetime.now(UTC)
    ids: dict[str, str] = {}
    async with engine.begin() as conn:
        for tenant in (world.tenant_a, world.tenant_b):
            doc_id = new_id()
            await conn.execute(
                insert(Document).values(
                    tenant_id=tenant.id,
                    id=doc_id,
                    title="3月分 領収書",
                    classification="receipt",
                    transaction_date=date(2024, 3, 31),
                    amount=12_800,
                    counterparty="株式会社サンプル",
                    retention_class="bookkeeping_evidence",
                    retention_base_date=date(2024, 3, 31),
                    retain_until=date(2031, 3, 31),
                    legal_hold=False,
                )
            )
            await conn.execute(
                insert(DocumentVersion).values(
                    tenant_id=tenant.id,
                    id=new_id(),
                    document_id=doc_id,
                    n=1,
                    storage_key=version_key(tenant.id, doc_id, 1),
                    declared_size=len(CONTENT),
                    declared_sha256=hashlib.sha256(CONTENT).hexdigest(),
                    filename="領収書.pdf",
                    declared_content_type="application/pdf",
                    sniffed_type="application/pdf",
                    status="verified",
                    upload_expires_at=now + timedelta(minutes=10),
                    uploaded_at=now,
                    verified_at=now,
                )
            )
            if tenant is world.tenant_a:
                ids = {"document_id": str(doc_id), "n": "1"}
    return ids
