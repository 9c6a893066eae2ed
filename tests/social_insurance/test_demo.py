"""The `make dev` demo data loads, and loading it again changes nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.runtime import Runtime
from daiko.social_insurance import demo
from tests.factories import World
from tests.social_insurance.helpers import add_employee, rows


async def test_demo_is_idempotent(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    await add_employee(runtime, world.tenant_a.id, "A1", insured_number=None)
    await add_employee(
        runtime, world.tenant_a.id, "A2", hire_date=dt.date(2026, 4, 28), insured_number=None
    )
    await demo.load(runtime.db)
    await demo.load(runtime.db)
    assert len(await rows(owner_engine, "select id from si_offices")) == 2  # tenants A and B
    assert len(await rows(owner_engine, "select id from si_enrolments")) == 2
    procs = await rows(owner_engine, "select kind, due_date from si_procedures order by kind")
    assert procs == [
        {"kind": "koyo_acquisition", "due_date": dt.date(2026, 5, 11)},
        {"kind": "shaho_acquisition", "due_date": dt.date(2026, 5, 7)},
    ]
