"""Rows in `audit_events` and `tenant_data_keys` for tenants A and B (isolation tests)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from daiko.audit.service import SystemActor, record
from daiko.security.fields import encrypt_field
from tests.factories import World


async def seed(engine: AsyncEngine, world: World) -> dict[str, str]:
    async with AsyncSession(engine) as session, session.begin():
        for tenant in (world.tenant_a, world.tenant_b):
            await record(
                session,
                tenant_id=tenant.id,
                actor=SystemActor("tests.seed"),
                action="tenant.seeded",
                resource_type="tenant",
                resource_id=tenant.id,
                details={"slug": tenant.slug},
            )
            await encrypt_field(session, tenant.id, "123456789018", purpose="employee.my_number")
    return {}
