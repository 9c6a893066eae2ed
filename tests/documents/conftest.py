"""Fixtures of the documents tests: the API on either store (moto's S3 server over real
HTTP, or the local folder store), signed-in clients that send their CSRF token, and a
`Flow` that plays the browser: create, upload to the store, complete, verify."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.app import create_app
from daiko.auth.sessions import COOKIE_NAME, hash_token
from daiko.documents.models import DocumentVersion
from daiko.documents.store import DocumentStore, FolderStore
from daiko.documents.tasks import verify_version
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant
from tests.conftest import http_client
from tests.factories import TestUser, World, sign_in

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def declared(data: bytes, filename: str, content_type: str) -> dict[str, Any]:
    return {
        "filename": filename,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "content_type": content_type,
    }


@pytest.fixture(params=["s3", "folder"])
def store_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def docs_runtime(runtime: Runtime, store_kind: str, tmp_path: Path) -> Runtime:
    """The test runtime with the store under test: the session's S3 store (moto over
    HTTP), or a local folder store signing with the settings' secret."""
    if store_kind == "s3":
        return runtime
    store = FolderStore(
        tmp_path / "documents",
        runtime.settings.base_url,
        runtime.settings.secret_key.get_secret_value(),
    )
    return Runtime(
        settings=runtime.settings, db=runtime.db, store=store, broker_url=runtime.broker_url
    )


@pytest.fixture
def docs_app(docs_runtime: Runtime) -> Litestar:
    return create_app(docs_runtime.settings, runtime=docs_runtime)


Client = Callable[[TestUser], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def as_user(docs_app: Litestar, owner_engine: AsyncEngine) -> AsyncIterator[Client]:
    """`await as_user(user)`: a client signed in as `user`, sending its CSRF token."""
    async with AsyncExitStack() as stack:
        made: dict[str, httpx.AsyncClient] = {}

        async def make(user: TestUser) -> httpx.AsyncClient:
            if user.email in made:
                return made[user.email]
            c = await stack.enter_async_context(http_client(docs_app))
            token = await sign_in(owner_engine, user)
            c.cookies.set(COOKIE_NAME, token)
            async with owner_engine.connect() as conn:
                csrf = await conn.scalar(
                    text("select csrf_token from user_sessions where id = :id"),
                    {"id": hash_token(token)},
                )
            c.headers["X-CSRF-Token"] = str(csrf)
            made[user.email] = c
            return c

        yield make


@dataclass
class Flow:
    """Plays the browser and the worker against the API under test."""

    app: Litestar
    runtime: Runtime
    world: World
    owner: AsyncEngine
    client: httpx.AsyncClient
    anonymous: httpx.AsyncClient
    uploaded: dict[str, bytes] = field(default_factory=dict)

    @property
    def store(self) -> DocumentStore:
        return self.runtime.store

    @property
    def tenant(self) -> uuid.UUID:
        return self.world.tenant_a.id

    async def create(
        self,
        data: bytes = PDF,
        filename: str = "領収書.pdf",
        ct: str = "application/pdf",
        **meta: Any,
    ) -> httpx.Response:
        body = {
            "tenant_id": str(self.tenant),
            "title": meta.pop("title", "3月分 領収書"),
            "classification": meta.pop("classification", "receipt"),
            "retention_class": meta.pop("retention_class", "bookkeeping_evidence"),
            "file": declared(data, filename, ct),
            **meta,
        }
        return await self.client.post("/api/v1/documents", json=body)

    async def send_bytes(self, upload: dict[str, Any], data: bytes) -> httpx.Response:
        """What the browser does with the presigned POST: the fields, then the file."""
        files = {"file": ("blob", data, "application/octet-stream")}
        url = upload["url"]
        if isinstance(self.store, FolderStore):
            # Our own route, in this app. No session: a form post double-submits the
            # pre-login CSRF cookie (the signature is what authorises the upload).
            self.anonymous.cookies.set("daiko_csrf", "t" * 43)
            return await self.anonymous.post(
                urlsplit(url).path,
                data=upload["fields"],
                files=files,
                headers={"X-CSRF-Token": "t" * 43},
            )
        async with httpx.AsyncClient() as real:  # moto's S3 server, over HTTP
            return await real.post(url, data=upload["fields"], files=files)

    async def fetch(self, url: str) -> httpx.Response:
        if isinstance(self.store, FolderStore):
            parts = urlsplit(url)
            return await self.anonymous.get(f"{parts.path}?{parts.query}")
        async with httpx.AsyncClient() as real:
            return await real.get(url)

    async def complete(self, document_id: str, n: int = 1) -> httpx.Response:
        return await self.client.post(f"/api/v1/documents/{document_id}/versions/{n}/complete")

    async def verify(self, document_id: str, n: int = 1) -> DocumentVersion:
        async with self.runtime.db.session(scope_of_tenant(self.tenant)) as s:
            version = await verify_version(s, self.store, self.tenant, uuid.UUID(document_id), n)
        assert version is not None
        return version

    async def upload(self, data: bytes = PDF, **kw: Any) -> tuple[str, DocumentVersion]:
        """Create, upload, complete and verify; returns the document id and version."""
        r = await self.create(data, **kw)
        assert r.status_code == 201, r.text
        started = r.json()
        sent = await self.send_bytes(started["upload"], data)
        assert sent.status_code in (200, 201, 204), sent.text
        doc_id = started["document"]["id"]
        r = await self.complete(doc_id)
        assert r.status_code == 202, r.text
        return doc_id, await self.verify(doc_id)

    async def audit(self) -> list[tuple[str, dict[str, Any]]]:
        async with self.owner.connect() as conn:
            rows = await conn.execute(
                text("select action, details from audit_events where tenant_id = :t order by seq"),
                {"t": self.tenant},
            )
            return [(r[0], r[1]) for r in rows]


@pytest.fixture
async def flow(
    docs_app: Litestar,
    docs_runtime: Runtime,
    world: World,
    owner_engine: AsyncEngine,
    as_user: Client,
) -> AsyncIterator[Flow]:
    client = await as_user(world.tenant_a.users["client_member"])
    async with http_client(docs_app) as anonymous:
        yield Flow(docs_app, docs_runtime, world, owner_engine, client, anonymous)
