"""Verification of a stored version: the `document_verify` job's work, free of Dramatiq.

`verify_version` is the domain service (tests call it directly); `run_document_verify`
is the job handler registered in `daiko.jobs.handlers`, which the actor in `workers/`
runs through `daiko.jobs.runner`. This module must not import `daiko.jobs.service` (the
jobs package imports it to register the handler).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import SystemActor, record
from daiko.documents import repository
from daiko.documents.models import DocumentVersion
from daiko.documents.store import DocumentStore, build_store
from daiko.documents.verify import verify_bytes
from daiko.jobs.models import Job

log = structlog.get_logger("daiko.documents")
VERIFIER = SystemActor("worker.document_verify", "文書検証 / document verification")


class DocumentVerifyPayload(msgspec.Struct, forbid_unknown_fields=True):
    document_id: uuid.UUID
    n: Annotated[int, msgspec.Meta(ge=1)]


def _settings_store() -> DocumentStore:
    from daiko.config import get_settings

    return build_store(get_settings())


_store: DocumentStore | None = None
_provider: Callable[[], DocumentStore] = _settings_store


def use_store_provider(provider: Callable[[], DocumentStore]) -> None:
    """Where the handler finds the document store: the worker process points this at
    its runtime's store (`workers.documents`); the default builds one from settings."""
    global _provider, _store
    _provider = provider
    _store = None


def current_store() -> DocumentStore:
    global _store
    if _store is None:
        _store = _provider()
    return _store


async def verify_version(
    session: AsyncSession,
    store: DocumentStore,
    tenant_id: uuid.UUID,
    document_id: uuid.UUID,
    n: int,
) -> DocumentVersion | None:
    """Check the stored bytes of version `n` and mark it `verified` or `quarantined`.

    Idempotent: a version no longer `uploaded` (already checked, or never completed) is
    returned untouched, so a redelivered message changes nothing.
    """
    version = await repository.get_version(session, tenant_id, document_id, n, for_update=True)
    if version is None or version.status != "uploaded":
        return version
    if not await store.exists(version.storage_key):
        version.status = "quarantined"
        version.quarantine_reason = "the stored object is missing"
        await session.flush()
        await record(
            session,
            tenant_id=tenant_id,
            actor=VERIFIER,
            action="document.quarantined",
            resource_type="document",
            resource_id=document_id,
            details={"n": n, "reason": version.quarantine_reason},
        )
        return version
    data = await store.get(version.storage_key)
    verdict = verify_bytes(
        data,
        declared_size=version.declared_size,
        declared_sha256=version.declared_sha256,
        declared_content_type=version.declared_content_type,
    )
    version.sniffed_type = verdict.sniffed_type
    if verdict.ok:
        version.status = "verified"
        version.verified_at = datetime.now(UTC)
    else:
        version.status = "quarantined"
        version.quarantine_reason = verdict.reason
        log.warning(
            "document version quarantined",
            tenant_id=str(tenant_id),
            document_id=str(document_id),
            n=n,
            reason=verdict.reason,
        )
    await session.flush()
    await record(
        session,
        tenant_id=tenant_id,
        actor=VERIFIER,
        action=f"document.{version.status}",
        resource_type="document",
        resource_id=document_id,
        details={"n": n, "sha256": verdict.sha256, "reason": verdict.reason},
    )
    if version.status == "verified":
        from daiko.partners.events import document_verified

        await document_verified(session, version)
    return version


async def run_document_verify(session: AsyncSession, job: Job) -> dict[str, Any] | None:
    payload = msgspec.convert(job.payload, DocumentVerifyPayload)
    version = await verify_version(
        session, current_store(), job.tenant_id, payload.document_id, payload.n
    )
    if version is None:
        return {"status": "missing"}
    result: dict[str, Any] = {"status": version.status}
    if version.quarantine_reason:
        result["reason"] = version.quarantine_reason
    return result
