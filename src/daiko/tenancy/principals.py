"""Turning an authenticated identity into a `Principal` with its `TenantScope`.

The only place a user's or partner's scope is built. A user's tenants come from
`daiko_principal_tenant_ids(user)`, the SECURITY DEFINER function that reads memberships
and operator assignments before any scope exists (offboarded tenants never appear).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.principal import Principal
from daiko.tenancy.models import User
from daiko.tenancy.scope import scope_of_tenants

_TENANTS_OF_USER = text(
    "select tenant_id, role, via, tenant_status from daiko_principal_tenant_ids(:user_id)"
)


async def user_principal(
    session: AsyncSession, user: User, *, session_id: str | None = None, mfa_verified: bool = False
) -> Principal:
    rows = (await session.execute(_TENANTS_OF_USER, {"user_id": user.id})).all()
    roles = {r.tenant_id: r.role for r in rows}
    status = {r.tenant_id: r.tenant_status for r in rows}
    return Principal(
        kind="user",
        scope=scope_of_tenants(roles),
        user_id=user.id,
        user_kind="operator" if user.kind == "operator" else "client",
        email=user.email,
        display_name=user.display_name,
        platform_role=user.platform_role,
        roles=roles,
        tenant_status=status,
        session_id=session_id,
        mfa_verified=mfa_verified,
        locale=user.locale,
    )


def partner_principal(
    client_id: str, tenant_ids: Iterable[uuid.UUID], oauth_scopes: frozenset[str]
) -> Principal:
    """A partner machine: its scope is the tenants that granted it access (the token's
    `tid` claim, re-checked against live grants by the caller)."""
    ids = list(tenant_ids)
    return Principal(
        kind="partner",
        scope=scope_of_tenants(ids),
        client_id=client_id,
        roles=dict.fromkeys(ids, "partner"),
        oauth_scopes=oauth_scopes,
    )
