"""The employee master opens the procedures of a recent hire or leave; an old fact
(an initial load of existing staff) opens nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.audit.service import SystemActor
from daiko.employees import service as employees
from daiko.runtime import Runtime
from daiko.social_insurance.service import today_jst
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import World
from tests.social_insurance.helpers import rows

ACTOR = SystemActor("tests.employees")


def raw(code: str, hire: dt.date) -> dict[str, object]:
    return {
        "code": code,
        "family_name": "新井",
        "given_name": "一",
        "family_name_kana": "アライ",
        "given_name_kana": "ハジメ",
        "birth_date": "1995-01-01",
        "hire_date": hire.isoformat(),
        "base_amount": 250000,
        "prefecture": "13",
    }


async def test_recent_hire_and_leave_open_procedures_old_hire_does_not(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tid = world.tenant_a.id
    today = today_jst()
    async with runtime.db.session(scope_of_tenant(tid)) as session:
        new = await employees.create_employee(session, ACTOR, tid, raw("N1", today))
        await employees.create_employee(session, ACTOR, tid, raw("O1", dt.date(2015, 4, 1)))
        await employees.leave_employee(
            session, ACTOR, new, today + dt.timedelta(days=20), "自己都合"
        )
    procs = await rows(
        owner_engine, "select kind, event_date from si_procedures order by event_date, kind"
    )
    assert procs == [
        {"kind": "koyo_acquisition", "event_date": today},
        {"kind": "shaho_acquisition", "event_date": today},
        {"kind": "koyo_loss", "event_date": today + dt.timedelta(days=20)},
        {"kind": "shaho_loss", "event_date": today + dt.timedelta(days=20)},
    ]
    cases = await rows(owner_engine, "select type from cases order by type")
    assert cases == [{"type": "si_hire"}, {"type": "si_leave"}]


async def test_an_import_of_a_recent_hire_opens_its_procedures(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tid = world.tenant_a.id
    today = today_jst()
    async with runtime.db.session(scope_of_tenant(tid)) as session:
        await employees.bulk_upsert(
            session, ACTOR, tid, [raw("I1", today), raw("I2", dt.date(2012, 4, 1))]
        )
    procs = await rows(owner_engine, "select kind from si_procedures order by kind")
    assert procs == [{"kind": "koyo_acquisition"}, {"kind": "shaho_acquisition"}]


async def test_a_leaving_date_set_by_an_edit_opens_the_leave_procedures(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tid = world.tenant_a.id
    leave = today_jst() + dt.timedelta(days=10)
    async with runtime.db.session(scope_of_tenant(tid)) as session:
        old = await employees.create_employee(session, ACTOR, tid, raw("E1", dt.date(2015, 4, 1)))
        await employees.update_employee(session, ACTOR, old, {"leave_date": leave.isoformat()})
    procs = await rows(owner_engine, "select kind, event_date from si_procedures order by kind")
    assert procs == [
        {"kind": "koyo_loss", "event_date": leave},
        {"kind": "shaho_loss", "event_date": leave},
    ]
