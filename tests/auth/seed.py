"""Rows in the auth domain's tenant tables (partner_grants) for the isolation tests."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.models import PartnerClient, PartnerGrant
from daiko.ids import new_id
from tests.factories import World


async def seed(engine: AsyncEngine, world: World) -> dict[str, str]:
    client_id = f"dkp_seed{new_id().hex[:12]}"
    grant_a = new_id()
    async with engine.begin() as conn:
        await conn.execute(
            insert(PartnerClient).values(
                id=new_id(),
                client_id=client_id,
                name="Seed HR system",
                secret_hash="0" * 64,
                allowed_scopes=["employees:read", "employees:write"],
            )
        )
        for tenant, grant_id in ((world.tenant_a, grant_a), (world.tenant_b, new_id())):
            await conn.execute(
                insert(PartnerGrant).values(
                    tenant_id=tenant.id,
                    id=grant_id,
                    client_id=client_id,
                    scopes=["employees:read"],
                    granted_by=tenant.users["client_admin"].id,
                )
            )
    return {"grant_id": str(grant_a)}


# Minimal valid bodies for the generated route matrix ("METHOD path" → body).
ROUTE_BODIES = {
    "POST /api/v1/tenants/{tenant_id}/partner-grants": {
        "client_id": "dkp_matrix",
        "scopes": ["employees:read"],
    },
}
