"""Who is acting: a signed-in person or a partner machine.

A `Principal` is resolved once per request by `daiko.auth.middleware` and carries the
`TenantScope` the request's database session runs in. Roles are per tenant: a client
user has a membership role, an operator an assignment role; ops_admin is a platform role.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from daiko.tenancy.scope import NO_TENANTS, TenantScope


@dataclass(frozen=True)
class Principal:
    kind: Literal["user", "partner"]
    scope: TenantScope = NO_TENANTS
    user_id: uuid.UUID | None = None
    user_kind: Literal["client", "operator"] | None = None
    email: str | None = None
    display_name: str | None = None
    platform_role: str | None = None
    client_id: str | None = None
    # tenant id → role in that tenant (client_admin … / operator, lead / "partner")
    roles: Mapping[uuid.UUID, str] = field(default_factory=dict)
    # tenant id → tenant status (active, suspended)
    tenant_status: Mapping[uuid.UUID, str] = field(default_factory=dict)
    oauth_scopes: frozenset[str] = frozenset()
    # partner only: tenant id → the token's scopes that tenant's live grant allows
    tenant_oauth_scopes: Mapping[uuid.UUID, frozenset[str]] = field(default_factory=dict)
    session_id: str | None = None
    mfa_verified: bool = False
    locale: str | None = None

    @property
    def is_ops_admin(self) -> bool:
        return self.platform_role == "ops_admin"

    @property
    def is_operator(self) -> bool:
        return self.user_kind == "operator"

    def role_in(self, tenant_id: uuid.UUID) -> str | None:
        return self.roles.get(tenant_id)

    def scopes_in(self, tenant_id: uuid.UUID) -> frozenset[str]:
        """A partner's OAuth scopes in one tenant (all its scopes when not split)."""
        return self.tenant_oauth_scopes.get(tenant_id, self.oauth_scopes)
