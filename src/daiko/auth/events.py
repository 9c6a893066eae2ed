"""Security events (sign-ins, failures, lockouts, MFA changes, tokens, denials).

Logged through structlog with identifiers only, never secrets: no passwords, codes,
tokens or secrets are ever passed here. Events about a person (sign-in, failures, second
factor, MFA changes, sign-out everywhere, password reset) also go to the audit trail of
each tenant they belong to or serve, through `audit_user_event`.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import text

if TYPE_CHECKING:
    from daiko.runtime import Runtime

log = structlog.get_logger("daiko.auth")


def auth_event(event: str, **fields: Any) -> None:
    log.info(event, **{k: (str(v) if v is not None else None) for k, v in fields.items()})


async def audit_user_event(
    runtime: Runtime, user_id: uuid.UUID, action: str, **details: str | int | bool | None
) -> None:
    """Record a sign-in event in the audit trail of every tenant the user belongs to or
    serves (each chain is per tenant; a user of no tenant is only logged).

    Its own transaction, committed even when the request then fails: a wrong code or
    password must stay on record although the caller answers with an error."""
    from sqlalchemy import select

    from daiko.audit.chain import ActorRef
    from daiko.audit.service import record
    from daiko.tenancy.models import User
    from daiko.tenancy.scope import scope_of_tenants

    async with runtime.db.global_session() as session:
        user = await session.get(User, user_id)
        rows = await session.execute(
            select(text("tenant_id")).select_from(text("daiko_principal_tenant_ids(:u)")),
            {"u": user_id},
        )
        tenant_ids = sorted(set(rows.scalars()))
        if user is None or not tenant_ids:
            return
        actor = ActorRef(
            "operator" if user.kind == "operator" else "user", str(user.id), user.display_name
        )
        await runtime.db.set_scope(session, scope_of_tenants(tenant_ids))
        for tenant_id in tenant_ids:
            await record(
                session,
                tenant_id=tenant_id,
                actor=actor,
                action=action,
                resource_type="user",
                resource_id=user.id,
                details={k: v for k, v in details.items() if v is not None},
            )
