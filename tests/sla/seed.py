"""Rows in every SLA table for tenants A and B (isolation tests and the route matrix).

The SLA routes take the cases seed's `case_id`; nothing else needs a path value."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.ids import new_id
from daiko.sla.models import SlaClock, SlaEvent, SlaPolicyOverride
from tests.cases.seed import seed_case
from tests.factories import World

ROUTE_BODIES: dict[str, dict[str, object]] = {}


async def seed(engine: AsyncEngine, world: World) -> dict[str, str]:
    now = dt.datetime(2026, 4, 28, 0, 0, tzinfo=dt.UTC)
    for tenant in (world.tenant_a, world.tenant_b):
        case_id = await seed_case(engine, tenant.id, title="SLA seeded case")
        async with engine.begin() as conn:
            await conn.execute(
                insert(SlaPolicyOverride).values(
                    tenant_id=tenant.id,
                    id=new_id(),
                    service="general",
                    priority="urgent",
                    first_response_hours=1,
                )
            )
            await conn.execute(
                insert(SlaClock).values(
                    tenant_id=tenant.id,
                    id=new_id(),
                    case_id=case_id,
                    clock="first_response",
                    kind="contractual",
                    service="general",
                    label="初回応答 (first response)",
                    status="breached",
                    breach_at=now,
                    level_done=3,
                    settled_at=now,
                    policy_hash="seed",
                )
            )
            await conn.execute(
                insert(SlaEvent).values(
                    tenant_id=tenant.id,
                    id=new_id(),
                    case_id=case_id,
                    clock="first_response",
                    clock_kind="contractual",
                    kind="breached",
                    occurred_at=now,
                )
            )
    return {}
