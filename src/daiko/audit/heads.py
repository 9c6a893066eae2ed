"""Chain heads kept outside the database.

The hash chain alone cannot notice its newest events being deleted (or the whole chain
rewritten by someone holding the owner role): every remaining link still checks out.
So once a day the scheduler writes each tenant's head (seq, hash) to the document
store, where the database owner cannot reach it, under
`tenants/<tenant_id>/audit/heads/<day>.json` and `…/latest.json`; `daiko audit verify`
then checks that the chain still reaches that seq with that hash.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit import repository
from daiko.audit.models import AuditEvent
from daiko.documents.store import DocumentStore, tenant_key
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant


@dataclass(frozen=True)
class ExportedHead:
    seq: int
    hash: str
    exported_at: str


def _keys(tenant_id: uuid.UUID, day: dt.date) -> tuple[str, str]:
    return (
        tenant_key(tenant_id, "audit", "heads", f"{day.isoformat()}.json"),
        tenant_key(tenant_id, "audit", "heads", "latest.json"),
    )


async def export_head(runtime: Runtime, tenant_id: uuid.UUID, day: dt.date) -> ExportedHead | None:
    """Write the tenant's current head for `day` (None when its trail is still empty)."""
    async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
        head = await repository.chain_head(session, tenant_id)
    if head is None:
        return None
    exported = ExportedHead(head.seq, head.hash, dt.datetime.now(dt.UTC).isoformat())
    body = json.dumps(
        {"tenant_id": str(tenant_id), "day": day.isoformat(), **exported.__dict__}
    ).encode()
    for key in _keys(tenant_id, day):
        await runtime.store.put(key, body, "application/json")
    return exported


async def latest_exported(store: DocumentStore, tenant_id: uuid.UUID) -> ExportedHead | None:
    key = tenant_key(tenant_id, "audit", "heads", "latest.json")
    if not await store.exists(key):
        return None
    data = json.loads(await store.get(key))
    return ExportedHead(int(data["seq"]), str(data["hash"]), str(data["exported_at"]))


async def check_against_export(
    session: AsyncSession, store: DocumentStore, tenant_id: uuid.UUID
) -> str | None:
    """None when the chain still holds the last exported head; else what is wrong."""
    exported = await latest_exported(store, tenant_id)
    if exported is None:
        return None
    stored = (
        await session.execute(
            select(AuditEvent.hash).where(
                AuditEvent.tenant_id == tenant_id, AuditEvent.seq == exported.seq
            )
        )
    ).scalar_one_or_none()
    if stored is None:
        return (
            f"truncated: the head exported at {exported.exported_at} was seq {exported.seq}, "
            "which the chain no longer has"
        )
    if stored != exported.hash:
        return (
            f"rewritten: seq {exported.seq} no longer has the hash exported at "
            f"{exported.exported_at}"
        )
    return None
