"""The portal dashboard: open cases with their SLA state, the inputs the provider still
needs, and upcoming deadlines (pay-group cut-offs, SLA clocks, statutory dates moved off
weekends and holidays)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.cases.models import Case, CaseChecklistItem
from daiko.ids import new_id
from daiko.sla.models import SlaClock
from daiko.tenancy.models import Tenant
from daiko.web.dashboard import payroll_deadlines, statutory_deadlines, worst_state
from tests.cases.seed import seed_case
from tests.factories import TestUser, World

EN = {"accept": "text/html", "accept-language": "en"}
ClientFor = Callable[[TestUser], Awaitable[httpx.AsyncClient]]
T = uuid.UUID(int=7)


def test_statutory_dates_move_to_the_next_business_day() -> None:
    found = statutory_deadlines(T, ["payroll", "social_insurance"], dt.date(2027, 1, 15))
    by_label = {(d.label, tuple(sorted(d.params.items()))): d.day for d in found}
    withholding = "Withholding income tax for %(month)s (源泉所得税)"
    premiums = "Social insurance premiums for %(month)s (社会保険料)"
    report = (
        "Withholding slips and salary payment reports for %(year)s (源泉徴収票・給与支払報告書)"
    )
    # January 2027: withholding due Wed 10 Feb; 28 Feb is a Sunday → 1 March;
    # 31 Jan is a Sunday → 1 Feb (japan-2026.md §1.15).
    assert by_label[(withholding, (("month", "2027-01"),))] == dt.date(2027, 2, 10)
    assert by_label[(premiums, (("month", "2027-01"),))] == dt.date(2027, 3, 1)
    assert by_label[(premiums, (("month", "2026-12"),))] == dt.date(2027, 2, 1)
    assert by_label[(report, (("year", "2026"),))] == dt.date(2027, 2, 1)
    # December's withholding was due 12 Jan (10th a Sunday, 11th 成人の日): past, not shown.
    assert (withholding, (("month", "2026-12"),)) not in by_label
    assert [d.day for d in found] == sorted(d.day for d in found)


def test_statutory_dates_follow_the_services_bought() -> None:
    bookkeeping_only = statutory_deadlines(T, ["bookkeeping"], dt.date(2027, 1, 15))
    assert bookkeeping_only == []
    si_only = statutory_deadlines(T, ["social_insurance"], dt.date(2027, 6, 20))
    labels = {d.label for d in si_only}
    assert "Santei kiso todoke for %(year)s (算定基礎届)" in labels
    assert not any("源泉所得税" in label for label in labels)


def test_next_payroll_cut_off_per_pay_group() -> None:
    settings = {
        "payroll": {
            "pay_groups": [
                {"code": "monthly", "name": "月給者", "closing_day": 20, "pay_day": 25},
                {
                    "code": "hourly",
                    "name": "時給者",
                    "closing_day": "end",
                    "pay_day": 10,
                    "pay_month_offset": 1,
                },
            ]
        }
    }
    found = payroll_deadlines(T, settings, dt.date(2026, 11, 27))
    assert [(d.day, d.params["group"], d.params["payday"]) for d in found] == [
        (dt.date(2026, 12, 20), "月給者", "2026-12-25"),
        (dt.date(2026, 11, 30), "時給者", "2026-12-10"),
    ]
    assert payroll_deadlines(T, {}, dt.date(2026, 11, 27)) == []


def test_worst_clock_state_wins() -> None:
    assert worst_state(["ok", "breached", "warning"]) == "breached"
    assert worst_state(["paused", "ok"]) == "ok"
    assert worst_state(["met", "cancelled"]) is None


async def test_dashboard_shows_missing_inputs_open_cases_and_deadlines(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    now = dt.datetime.now(dt.UTC)
    waiting = await seed_case(
        owner_engine, world.tenant_a.id, title="給与計算 11月", status="waiting_on_client"
    )
    closed = await seed_case(owner_engine, world.tenant_a.id, title="終わった案件", status="closed")
    theirs = await seed_case(owner_engine, world.tenant_b.id, title="他社の案件")
    async with owner_engine.begin() as conn:
        await conn.execute(
            update(Tenant)
            .where(Tenant.id == world.tenant_a.id)
            .values(
                settings={
                    "payroll": {
                        "pay_groups": [
                            {"code": "m", "name": "月給者", "closing_day": "end", "pay_day": 25}
                        ]
                    }
                }
            )
        )
        for case_id, tenant_id in ((waiting, world.tenant_a.id), (theirs, world.tenant_b.id)):
            await conn.execute(
                insert(CaseChecklistItem).values(
                    tenant_id=tenant_id,
                    id=new_id(),
                    case_id=case_id,
                    label=f"勤怠データ {case_id}",
                    kind="document",
                    required=True,
                )
            )
        await conn.execute(
            insert(SlaClock).values(
                tenant_id=world.tenant_a.id,
                id=new_id(),
                case_id=waiting,
                clock="resolution",
                kind="contractual",
                service="payroll",
                label="解決 (resolution)",
                status="warning",
                due_at=now + dt.timedelta(hours=5),
                policy_hash="t",
            )
        )
        await conn.execute(update(Case).where(Case.id == waiting).values(due_at=now))

    c = await client_for(world.tenant_a.users["client_member"])
    r = await c.get("/portal", headers=EN)
    assert r.status_code == 200
    missing = r.text[r.text.index('id="missing-inputs"') : r.text.index('id="open-cases"')]
    assert f"勤怠データ {waiting}" in missing
    assert f"勤怠データ {theirs}" not in r.text
    assert "required" in missing
    open_cases = r.text[r.text.index('id="open-cases"') : r.text.index('id="deadlines"')]
    assert f'id="open-{waiting}"' in open_cases
    assert "SLA warning" in open_cases and "badge-warning" in open_cases
    assert f"open-{closed}" not in open_cases
    deadlines = r.text[r.text.index('id="deadlines"') :]
    assert "Payroll cut-off for 月給者" in deadlines
    assert "解決 (resolution)" in deadlines
    assert "Withholding income tax for" in deadlines
    assert 'href="/portal/requests"' in r.text  # a member may ask for something


async def test_viewer_gets_no_request_button(world: World, client_for: ClientFor) -> None:
    c = await client_for(world.tenant_a.users["client_viewer"])
    r = await c.get("/portal", headers=EN)
    assert r.status_code == 200
    assert 'href="/portal/requests"' not in r.text
    assert "Nothing is missing" in r.text
