"""Document pages over HTTP: list and search per tenant, detail with versions, preview
audited as a read, another tenant's document a 404."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import select

from daiko.audit.models import AuditEvent
from daiko.documents.schemas import DocumentCreate, VersionUpload
from daiko.documents.service import complete_upload, create_document
from daiko.documents.tasks import verify_version
from daiko.runtime import Runtime
from daiko.tenancy.principals import partner_principal
from daiko.tenancy.scope import scope_of_tenant
from tests.documents.conftest import PDF
from tests.factories import TestUser, World

HTML = {"accept": "text/html"}
ClientFor = Callable[[TestUser], Awaitable[httpx.AsyncClient]]


async def add_document(
    runtime: Runtime, tenant_id: uuid.UUID, title: str, *, verified: bool = True
) -> uuid.UUID:
    """A document whose bytes are in the store (as a browser upload leaves it)."""
    body = DocumentCreate(
        tenant_id=tenant_id,
        title=title,
        classification="receipt",
        retention_class="bookkeeping_evidence",
        file=VersionUpload(
            filename="r.pdf",
            size=len(PDF),
            sha256=hashlib.sha256(PDF).hexdigest(),
            content_type="application/pdf",
        ),
        amount=5400,
        counterparty="東京交通",
    )
    actor = partner_principal("tests", [tenant_id], frozenset({"documents:write"}))
    async with runtime.db.session(scope_of_tenant(tenant_id)) as s:
        started = await create_document(s, runtime.store, actor, body)
        document_id = started.document.id
        await runtime.store.put(started.version.storage_key, PDF, "application/pdf")
        if verified:
            await complete_upload(s, runtime.store, actor, started.version)
    if verified:
        async with runtime.db.session(scope_of_tenant(tenant_id)) as s:
            await verify_version(s, runtime.store, tenant_id, document_id, 1)
    return document_id


async def test_list_search_and_detail(
    runtime: Runtime, world: World, client_for: ClientFor
) -> None:
    mine = await add_document(runtime, world.tenant_a.id, "3月 タクシー代")
    theirs = await add_document(runtime, world.tenant_b.id, "他社の書類")
    c = await client_for(world.tenant_a.users["client_viewer"])
    r = await c.get("/portal/documents", headers=HTML)
    assert r.status_code == 200
    assert f'href="/documents/{mine}"' in r.text
    assert f'href="/documents/{theirs}"' not in r.text
    assert "¥5,400" in r.text
    assert "data-upload" not in r.text  # viewers cannot upload
    r = await c.get("/portal/documents", params={"counterparty": "存在しない"}, headers=HTML)
    assert "書類が見つかりません。" in r.text
    r = await c.get(f"/documents/{mine}", headers=HTML)
    assert r.status_code == 200
    assert "検証済み" in r.text
    assert f"/documents/{mine}/versions/1/receipt" in r.text
    assert (await c.get(f"/documents/{theirs}", headers=HTML)).status_code == 404


async def test_members_get_the_upload_form(world: World, client_for: ClientFor) -> None:
    c = await client_for(world.tenant_a.users["client_member"])
    r = await c.get("/portal/documents", headers=HTML)
    assert "data-upload" in r.text
    assert f'name="tenant_id" value="{world.tenant_a.id}"' in r.text


async def test_preview_is_an_audited_read(
    runtime: Runtime, world: World, client_for: ClientFor
) -> None:
    doc = await add_document(runtime, world.tenant_a.id, "プレビュー対象")
    c = await client_for(world.tenant_a.users["client_admin"])
    r = await c.get(f"/documents/{doc}", params={"preview": 1}, headers=HTML)
    assert r.status_code == 200
    assert '<iframe src="' in r.text
    async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as s:
        actions = (
            (await s.execute(select(AuditEvent.action).where(AuditEvent.resource_id == str(doc))))
            .scalars()
            .all()
        )
    assert actions.count("document.downloaded") == 1


async def test_console_lists_across_assigned_tenants(
    runtime: Runtime, world: World, client_for: ClientFor
) -> None:
    a = await add_document(runtime, world.tenant_a.id, "A社")
    b = await add_document(runtime, world.tenant_b.id, "B社")
    lead = await client_for(world.lead)
    r = await lead.get("/console/documents", headers=HTML)
    assert f'href="/documents/{a}"' in r.text
    assert f'href="/documents/{b}"' in r.text
    operator = await client_for(world.operator)
    r = await operator.get("/console/documents", headers=HTML)
    assert f'href="/documents/{b}"' not in r.text
    client = await client_for(world.tenant_a.users["client_admin"])
    assert (await client.get("/console/documents", headers=HTML)).status_code == 403
