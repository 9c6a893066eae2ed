"""Helpers for the audit tests: append events, tamper as the owner."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.audit.models import AuditEvent
from daiko.audit.service import SystemActor, record
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant


async def append(
    runtime: Runtime,
    tenant_id: uuid.UUID,
    n: int,
    *,
    action: str = "case.status_changed",
    details: Mapping[str, Any] | None = None,
) -> list[AuditEvent]:
    """`n` events, each in its own committed transaction, as the runtime role."""
    out = []
    for i in range(n):
        async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
            out.append(
                await record(
                    session,
                    tenant_id=tenant_id,
                    actor=SystemActor("tests"),
                    action=action,
                    resource_type="case",
                    resource_id=f"case-{i + 1}",
                    details=dict(details or {"n": i + 1}),
                )
            )
    return out


async def tamper(owner: AsyncEngine, sql: str, params: Mapping[str, Any]) -> None:
    """As the owner, with the append-only trigger switched off: what an attacker holding
    the owner role could do. Only the hash chain can notice."""
    async with owner.begin() as conn:
        await conn.execute(
            text("alter table audit_events disable trigger audit_events_append_only")
        )
        for statement in sql.split(";"):
            await conn.execute(text(statement), dict(params))
        await conn.execute(text("alter table audit_events enable trigger audit_events_append_only"))
