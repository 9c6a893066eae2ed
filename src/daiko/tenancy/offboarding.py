"""Offboarding (退会処理): hand a client company everything we hold, then delete it.

1. `export_tenant`: a zip with every row of every tenant table (found in the catalog, so
   a table added by a later migration is included without anyone listing it), the
   tenant's profile and YAML, the profiles of its people (no secrets), and every stored
   document under `tenants/<id>/`, with a manifest of counts and SHA-256 digests.
2. `delete_tenant_data`: deletes the tenant's rows from every tenant table, children
   before parents (order from the catalog's foreign keys), and marks the tenant
   `offboarded`. The `tenants` row stays as a tombstone: the audit trail (append-only,
   kept as evidence, including the offboarding events themselves) references it, and an
   offboarded tenant is in nobody's scope (`daiko_principal_tenant_ids` filters it).
3. `delete_tenant_documents`: after the transaction commits, so a failed commit never
   leaves rows whose documents are already gone.

The caller's session must run in `scope_of_tenant(tenant.id)` as `daiko_app`: RLS
vets every row read and deleted here.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import anyio.to_thread
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.db.base import APPEND_ONLY_TABLES, GLOBAL_TABLES
from daiko.db.engine import Database
from daiko.documents.store import DocumentStore, FolderStore, S3Store, tenant_key
from daiko.errors import Conflict, NotFound
from daiko.tenancy import repository as repo
from daiko.tenancy.models import Tenant
from daiko.tenancy.scope import scope_of_tenant
from daiko.tenancy.service import Actor, export_tenant_spec, record_event
from daiko.tenancy.spec import dump_tenant_spec

FORMAT_VERSION = 1


@dataclass
class TenantArchive:
    data: bytes
    rows: dict[str, int]
    documents: list[str] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


async def list_document_keys(store: DocumentStore, prefix: str) -> list[str]:
    """Every stored key under `prefix` (the store interface has no listing yet)."""
    if isinstance(store, FolderStore):
        root = store.root

        def walk() -> list[str]:
            base = root / prefix
            if not base.is_dir():
                return []
            return sorted(
                p.relative_to(root).as_posix()
                for p in base.rglob("*")
                if p.is_file() and not p.name.endswith(".part")
            )

        return await anyio.to_thread.run_sync(walk)
    if isinstance(store, S3Store):
        s3 = store

        def page() -> list[str]:
            keys: list[str] = []
            paginator = s3.client.get_paginator("list_objects_v2")
            for part in paginator.paginate(Bucket=s3.bucket, Prefix=prefix):
                keys += [obj["Key"] for obj in part.get("Contents", [])]
            return sorted(keys)

        return await anyio.to_thread.run_sync(page)
    raise TypeError(f"cannot list documents in {type(store).__name__}")


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).encode()


async def export_tenant(
    session: AsyncSession, store: DocumentStore, tenant: Tenant
) -> TenantArchive:
    """Everything of `tenant` as a zip (in memory)."""
    tables = await repo.tenant_tables(session, GLOBAL_TABLES)
    buffer = io.BytesIO()
    rows: dict[str, int] = {}
    documents: list[dict[str, Any]] = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            # json_agg in the database: rows leave as JSON exactly as PostgreSQL types
            # them (numeric stays exact, timestamps keep their zone).
            result = await session.execute(
                text(
                    f"select count(*), coalesce(json_agg(t), '[]')::text from \"{table}\" t"
                    " where tenant_id = :tenant_id"
                ),
                {"tenant_id": tenant.id},
            )
            count, payload = result.one()
            rows[table] = int(count)
            archive.writestr(f"tables/{table}.json", payload)
        profile = (
            await session.execute(
                text("select to_json(t)::text from tenants t where id = :id"), {"id": tenant.id}
            )
        ).scalar_one()
        archive.writestr("tenant.json", profile)
        people = (
            await session.execute(
                text(
                    """
                    select coalesce(json_agg(u order by u.email), '[]')::text from (
                      select id, email, display_name, kind, locale, is_active, created_at
                        from users where id in (
                          select user_id from memberships where tenant_id = :t
                          union select user_id from operator_assignments where tenant_id = :t)
                    ) u
                    """
                ),
                {"t": tenant.id},
            )
        ).scalar_one()
        archive.writestr("users.json", people)
        spec = await export_tenant_spec(session, tenant.slug)
        await repo.enter_scope(session, scope_of_tenant(tenant.id))
        if spec is not None:
            archive.writestr("tenant.yaml", dump_tenant_spec(spec))
        prefix = tenant_key(tenant.id) + "/"
        for key in await list_document_keys(store, prefix):
            data = await store.get(key)
            archive.writestr(f"documents/{key.removeprefix(prefix)}", data)
            documents.append(
                {"key": key, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            )
        manifest = {
            "format": FORMAT_VERSION,
            "tenant_id": str(tenant.id),
            "slug": tenant.slug,
            "exported_at": datetime.now(UTC).isoformat(),
            "tables": rows,
            "documents": documents,
        }
        archive.writestr("manifest.json", _json(manifest))
    return TenantArchive(buffer.getvalue(), rows, [d["key"] for d in documents])


def deletion_order(tables: list[str], foreign_keys: list[tuple[str, str]]) -> list[str]:
    """Tables ordered so that every referencing table comes before the table it
    references (delete children first)."""
    names = set(tables)
    graph: dict[str, set[str]] = {t: set() for t in tables}
    for child, parent in foreign_keys:
        if child in names and parent in names and child != parent:
            graph[parent].add(child)  # the parent waits for its children
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as exc:  # pragma: no cover - no cyclic foreign keys exist today
        raise RuntimeError(f"cyclic foreign keys between tenant tables: {exc.args[1]}") from exc


async def delete_tenant_data(session: AsyncSession, tenant: Tenant) -> dict[str, int]:
    """Delete the tenant's rows everywhere except the append-only audit trail; mark the
    tenant offboarded and clear its settings. Returns rows deleted per table."""
    tables = await repo.tenant_tables(session, GLOBAL_TABLES)
    order = deletion_order(tables, await repo.foreign_keys(session))
    deleted: dict[str, int] = {}
    for table in order:
        if table in APPEND_ONLY_TABLES:
            continue
        result = await session.execute(
            text(f'delete from "{table}" where tenant_id = :t'), {"t": tenant.id}
        )
        deleted[table] = int(result.rowcount)  # type: ignore[attr-defined]
    tenant.status = "offboarded"
    tenant.settings = {}
    tenant.require_mfa = False
    await session.flush()
    return deleted


async def delete_tenant_documents(store: DocumentStore, tenant: Tenant) -> int:
    keys = await list_document_keys(store, tenant_key(tenant.id) + "/")
    for key in keys:
        await store.delete(key)
    if isinstance(store, FolderStore):
        folder: Path = store.root / tenant_key(tenant.id)

        def prune() -> None:
            for path in sorted(folder.rglob("*"), reverse=True):
                if path.is_dir():
                    path.rmdir()
            if folder.is_dir():
                folder.rmdir()

        await anyio.to_thread.run_sync(prune)
    return len(keys)


@dataclass
class Offboarded:
    tenant_id: uuid.UUID
    slug: str
    archive: TenantArchive
    deleted: dict[str, int]
    documents_deleted: int


async def offboard_tenant(
    db: Database,
    store: DocumentStore,
    tenant_id: uuid.UUID,
    *,
    keep_archive: Callable[[Tenant, TenantArchive], Awaitable[None]],
    actor: Actor,
) -> Offboarded:
    """Export, hand the archive to `keep_archive` (it must be durable when that returns),
    delete the rows in one transaction, then the documents. Both steps audited."""
    async with db.session(scope_of_tenant(tenant_id)) as session:
        tenant = await repo.tenant_by_id(session, tenant_id)
        if tenant is None:
            raise NotFound("no such tenant")
        if tenant.status == "offboarded":
            raise Conflict("the tenant is already offboarded")
        archive = await export_tenant(session, store, tenant)
        await record_event(
            session,
            tenant_id,
            actor,
            "tenant.exported",
            details={
                "rows": archive.rows,
                "documents": len(archive.documents),
                "sha256": archive.sha256,
            },
        )
        await keep_archive(tenant, archive)
        deleted = await delete_tenant_data(session, tenant)
        await record_event(
            session, tenant_id, actor, "tenant.offboarded", details={"deleted": deleted}
        )
    documents = await delete_tenant_documents(store, tenant)
    return Offboarded(tenant.id, tenant.slug, archive, deleted, documents)
