"""Clocks of real cases: pause and resume via waiting_on_client, missing inputs, the
statutory deadline beside the contractual target, payroll date rules, policy changes."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.runtime import Runtime
from daiko.sla.scanner import recompute_drifted, scan
from daiko.tenancy.models import Tenant
from tests.factories import World
from tests.sla.helpers import add_change, by_clock, jst, make_case, refresh, rows


async def _due(engine: AsyncEngine, case_id: uuid.UUID) -> list[tuple[object, ...]]:
    return await rows(
        engine, "select due_at, statutory_due_at from cases where id = :id", id=case_id
    )


async def test_waiting_on_client_pauses_and_a_reply_resumes(
    owner_engine: AsyncEngine, runtime: Runtime, world: World
) -> None:
    a = world.tenant_a.id
    case_id = await make_case(
        owner_engine,
        a,
        [("2026-04-28T09:00", "submitted"), ("2026-04-28T10:00", "accepted")],
    )
    await refresh(runtime, a, case_id, jst("2026-04-28T10:00"))
    await add_change(owner_engine, a, case_id, "2026-04-28T12:00", "waiting_on_client")
    paused = by_clock(await refresh(runtime, a, case_id, jst("2026-04-28T12:00")))
    assert (paused["resolution"].status, paused["resolution"].elapsed_seconds) == (
        "paused",
        3 * 3600,
    )
    assert paused["resolution"].breach_at is None  # a paused clock never breaches
    # acceptance stopped at 10:00 (met); the scanner has nothing for this case any more
    assert paused["acceptance"].status == "met"
    assert (
        await rows(
            owner_engine,
            "select clock from sla_clocks where case_id = :id and next_event_at is not null",
            id=case_id,
        )
        == []
    )
    result = await scan(runtime.db, runtime.settings, now=jst("2026-05-20T09:00"), notify=False)
    assert result.recorded == 0
    # the client answers on 4/30 at 12:00: 24 h of resolution left, from there
    await add_change(owner_engine, a, case_id, "2026-04-30T12:00", "in_progress")
    resumed = by_clock(await refresh(runtime, a, case_id, jst("2026-04-30T12:00")))
    r = resumed["resolution"]
    assert (r.status, r.elapsed_seconds, r.remaining_seconds) == ("ok", 3 * 3600, 24 * 3600)
    # 6 h on 4/30, 9 h on 5/1, Golden Week 5/2–5/6, 9 h on 5/7 → 18:00
    assert r.due_at == jst("2026-05-07T18:00")
    assert await _due(owner_engine, case_id) == [(jst("2026-05-07T18:00"), None)]


async def test_statutory_deadline_is_kept_beside_the_contractual_target(
    owner_engine: AsyncEngine, runtime: Runtime, world: World
) -> None:
    a = world.tenant_a.id
    # 資格取得届 for a hire on Wed 2026-04-29 (a holiday): due within 5 days → 5/3 (Sun,
    # Golden Week) → next open day 5/7, 17:00; 雇用保険 by 5/10 (Sun) → 5/11.
    case_id = await make_case(
        owner_engine,
        a,
        [("2026-04-30T09:00", "submitted")],
        type_="si_hire",
        service="social_insurance",
        pay_date=dt.date(2026, 4, 29),
    )
    views = await refresh(runtime, a, case_id, jst("2026-04-30T09:00"))
    statutory = {v.clock: v.due_at for v in views if v.kind == "statutory"}
    assert statutory == {
        "statutory_shaho_acquisition": jst("2026-05-07T17:00"),
        "statutory_koyo_acquisition": jst("2026-05-11T17:00"),
    }
    contractual = by_clock([v for v in views if v.kind == "contractual"])
    # the contract's normal social-insurance target: 3 business days (27 h): 4/30, 5/1, 5/7
    assert contractual["resolution"].due_at == jst("2026-05-07T18:00")
    assert await _due(owner_engine, case_id) == [
        (jst("2026-04-30T17:00"), jst("2026-05-07T17:00"))  # first response 8 h; 資格取得届
    ]


async def test_payroll_date_rules_on_the_bank_calendar(
    owner_engine: AsyncEngine, runtime: Runtime, world: World
) -> None:
    a = world.tenant_a.id
    async with owner_engine.begin() as conn:
        await conn.execute(
            update(Tenant)
            .where(Tenant.id == a)
            .values(
                settings={
                    "sla": [{"service": "payroll", "payroll_days_before_payday": 2}],
                    "payroll": {
                        "pay_groups": [
                            {
                                "code": "monthly",
                                "name": "月給者",
                                "closing_day": 20,
                                "pay_day": 25,
                                "bank_cutoff_business_days": 3,
                            }
                        ]
                    },
                }
            )
        )
    # December 2026: payday Fri 12/25; results 2 business days before → Wed 12/23 18:00;
    # transfer data 3 bank business days before → Tue 12/22 15:00.
    case_id = await make_case(
        owner_engine,
        a,
        [("2026-12-21T09:00", "submitted")],
        type_="payroll",
        service="payroll",
        pay_date=dt.date(2026, 12, 25),
        pay_group="monthly",
        period="2026-12",
    )
    clocks = by_clock(await refresh(runtime, a, case_id, jst("2026-12-21T09:00")))
    assert clocks["payroll_delivery"].due_at == jst("2026-12-23T18:00")
    assert clocks["bank_transfer"].due_at == jst("2026-12-22T15:00")
    # a payday on a bank holiday moves earlier first: 2027-01-25 is Monday, 2026-05-05 is
    # a holiday → payday 5/1, cut-off 3 bank days before → 4/27 15:00
    case2 = await make_case(
        owner_engine,
        a,
        [("2026-04-20T09:00", "submitted")],
        type_="payroll",
        service="payroll",
        pay_date=dt.date(2026, 5, 5),
        pay_group="monthly",
        period="2026-04",
    )
    clocks2 = by_clock(await refresh(runtime, a, case2, jst("2026-04-20T09:00")))
    assert clocks2["bank_transfer"].due_at == jst("2026-04-27T15:00")
    assert clocks2["payroll_delivery"].due_at == jst("2026-04-28T18:00")


async def test_a_missing_required_input_pauses_the_resolution_clock(
    owner_engine: AsyncEngine, runtime: Runtime, world: World
) -> None:
    a = world.tenant_a.id
    case_id = await make_case(owner_engine, a, [("2026-04-28T09:00", "submitted")])
    await rows(
        owner_engine,
        "insert into case_checklist_items (tenant_id, id, case_id, label, kind, required,"
        " created_at) values (:t, gen_random_uuid(), :c, '勤怠データ', 'data', true, :at)"
        " returning 1",
        t=a,
        c=case_id,
        at=jst("2026-04-28T11:00"),
    )
    views = by_clock(await refresh(runtime, a, case_id, jst("2026-04-28T15:00")))
    assert (views["resolution"].status, views["resolution"].elapsed_seconds) == (
        "paused",
        2 * 3600,
    )
    # the input pauses resolution only: first response has used 6 of 8 h (75 %)
    assert (views["first_response"].status, views["first_response"].elapsed_seconds) == (
        "warning",
        6 * 3600,
    )


async def test_a_changed_policy_is_noticed_and_recomputed(
    owner_engine: AsyncEngine, runtime: Runtime, world: World
) -> None:
    a = world.tenant_a.id
    case_id = await make_case(owner_engine, a, [("2026-04-28T09:00", "submitted")])
    await refresh(runtime, a, case_id, jst("2026-04-28T09:00"))
    assert await recompute_drifted(runtime.db) == 0
    async with owner_engine.begin() as conn:
        await conn.execute(
            update(Tenant)
            .where(Tenant.id == a)
            .values(settings={"sla": [{"service": "bookkeeping", "targets": []}]})
        )
    # an inquiry is unaffected in substance, but the fingerprint moved: recomputed once
    assert await recompute_drifted(runtime.db, now=jst("2026-04-28T09:00")) == 1
    assert await recompute_drifted(runtime.db, now=jst("2026-04-28T09:00")) == 0
