"""Tenancy's part of the seed contract (see `tests/seeds.py`).

`memberships` and `operator_assignments` already hold rows of both tenants (the world);
this returns tenant A's ids for the route matrix and the bodies its write routes need.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.tenancy.models import Membership, OperatorAssignment
from tests.factories import World

# "METHOD path" → a valid body, so the matrix's 404/403 checks are not masked by a 400.
ROUTE_BODIES: dict[str, dict[str, object]] = {
    "POST /api/v1/tenants/{tenant_id}/members": {
        "email": "matrix-new@tenant-a.example",
        "role": "client_viewer",
    },
    "PATCH /api/v1/tenants/{tenant_id}/members/{member_id}": {"role": "client_member"},
    "POST /api/v1/tenants/{tenant_id}/operators": {
        "email": "matrix-operator@daiko.example",
        "role": "operator",
    },
    "PATCH /api/v1/tenants/{tenant_id}/operators/{assignment_id}": {"role": "lead"},
    "POST /api/v1/tenants/{tenant_id}/offboard": {"confirm_slug": "tenant-a"},
}


async def seed(engine: AsyncEngine, world: World) -> dict[str, str]:
    a = world.tenant_a
    async with engine.connect() as conn:
        member_id = await conn.scalar(
            select(Membership.id).where(
                Membership.tenant_id == a.id,
                Membership.user_id == a.users["client_viewer"].id,
            )
        )
        assignment_id = await conn.scalar(
            select(OperatorAssignment.id).where(
                OperatorAssignment.tenant_id == a.id,
                OperatorAssignment.user_id == world.operator.id,
            )
        )
    return {"member_id": str(member_id), "assignment_id": str(assignment_id)}
