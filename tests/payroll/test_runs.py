"""Payroll runs end to end through the API: create, calculate on the (in-process)
workers, review, four-eyes approval, outputs, lock; the state machine's refusals."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.runtime import Runtime
from tests.factories import TestUser, World
from tests.payroll.runhelp import As, Staff, add_staff, drain, execute, rows, writer

PAY_DATE = "2026-10-23"
PAY_MONTH = dt.date(2026, 10, 1)


@pytest.fixture
def as_user(
    client_for: Callable[[TestUser], Awaitable[httpx.AsyncClient]], owner_engine: AsyncEngine
) -> As:
    return writer(client_for, owner_engine)


async def _create(
    c: httpx.AsyncClient, *, calculate: bool = True, pay_date: str = PAY_DATE, **extra: Any
) -> dict[str, Any]:
    r = await c.post(
        "/api/v1/payroll/runs",
        json={
            "kind": "monthly",
            "pay_group": "monthly",
            "pay_date": pay_date,
            "calculate": calculate,
            **extra,
        },
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


SETTINGS = {
    "company_code": "1234567890",
    "company_name_kana": "カブシキガイシャ エー",
    "bank_code": "0005",
    "bank_name_kana": "ミツビシ",
    "branch_code": "001",
    "branch_name_kana": "ホンテン",
    "account_type": 1,
    "account_number": "7654321",
}


async def _settings(c: httpx.AsyncClient, tenant_id: str | None = None) -> dict[str, Any]:
    body = {**SETTINGS, "tenant_id": tenant_id} if tenant_id else SETTINGS
    r = await c.put("/api/v1/payroll/settings", json=body)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_a_run_is_calculated_reviewed_approved_and_locked_with_its_outputs(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    tenant = world.tenant_a.id
    await add_staff(
        runtime,
        tenant,
        [
            Staff("0001"),
            Staff("0002", "佐藤", "花子", ("サトウ", "ハナコ"), base=250_000, grade=260_000),
        ],
    )
    operator = await as_user(world.operator)
    await _settings(operator)
    run = await _create(operator)
    assert run["status"] == "calculating"
    await drain(runtime, owner_engine)
    got = (await operator.get(f"/api/v1/payroll/runs/{run['id']}")).json()
    assert got["status"] == "review"
    assert got["employee_count"] == 2
    assert got["totals"]["employees"] == 2
    assert got["totals"]["gross_pay"] == 550_000
    results = (await operator.get(f"/api/v1/payroll/runs/{run['id']}/results")).json()
    assert [r["employee_code"] for r in results["items"]] == ["0001", "0002"]
    for r in results["items"]:
        a = r["amounts"]
        assert a["gross_pay"] - a["total_deductions"] == a["net_pay"]
    assert sum(r["amounts"]["net_pay"] for r in results["items"]) == got["totals"]["net_pay"]

    # Outputs before approval: 409.
    r = await operator.get(f"/api/v1/payroll/runs/{run['id']}/outputs")
    assert r.status_code == 409
    assert r.json()["type"] == "urn:daiko:problem:payroll-outputs-not-ready"

    # The operator who calculated it may not approve it (and lacks the permission).
    lead = await as_user(world.lead)
    r = await lead.post(f"/api/v1/payroll/runs/{run['id']}/approve")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    await drain(runtime, owner_engine)
    got = (await lead.get(f"/api/v1/payroll/runs/{run['id']}")).json()
    jobs = await rows(owner_engine, "select kind, status, last_error from jobs order by created_at")
    assert got["status"] == "locked", jobs
    outputs = (await lead.get(f"/api/v1/payroll/runs/{run['id']}/outputs")).json()
    kinds = sorted(o["kind"] for o in outputs["items"])
    assert kinds == [
        "ledger_csv",
        "ledger_csv_cp932",
        "ledger_xlsx",
        "payslip",
        "payslip",
        "zengin",
    ]
    zengin = next(o for o in outputs["items"] if o["kind"] == "zengin")
    assert got["zengin_sha256"] == zengin["sha256"]
    stored = await runtime.store.get(
        (
            await rows(
                owner_engine,
                "select storage_key from document_versions where document_id = :d",
                d=zengin["document_id"],
            )
        )[0]["storage_key"]
    )
    assert hashlib.sha256(stored).hexdigest() == got["zengin_sha256"]
    assert stored[:3] == b"111"
    payslips = (await lead.get(f"/api/v1/payroll/runs/{run['id']}/payslips")).json()
    assert [p["employee_code"] for p in payslips["items"]].sort() is None
    assert len(payslips["items"]) == 2
    journal = await rows(
        owner_engine,
        "select account_code, debit, credit from payroll_journal_lines where run_id = :r"
        " order by line_no",
        r=run["id"],
    )
    assert sum(j["debit"] for j in journal) == sum(j["credit"] for j in journal)
    assert journal[0] == {"account_code": "6120", "debit": 550_000, "credit": 0}
    # Tenant A keeps its books with us: the entry is posted there, balanced, by source.
    assert got["journal_entry_id"] is not None
    entry = await rows(
        owner_engine,
        "select source_kind, source_id from journal_entries where id = :e",
        e=got["journal_entry_id"],
    )
    assert entry == [{"source_kind": "payroll_run", "source_id": uuid.UUID(run["id"])}]


# --------------------------------------------------------------------------- state machine

ILLEGAL = {
    ("draft", "approve"): "cannot approve a run that is draft (only from review)",
    ("draft", "reject"): "cannot reject a run that is draft (only from review)",
    ("draft", "lock"): "cannot lock a run that is draft (only from approved)",
    (
        "calculating",
        "calculate",
    ): "cannot calculate a run that is calculating (only from draft, review)",
    ("calculating", "approve"): "cannot approve a run that is calculating (only from review)",
    ("review", "finish"): "cannot finish a run that is review (only from calculating)",
    ("review", "lock"): "cannot lock a run that is review (only from approved)",
    ("approved", "approve"): "cannot approve a run that is approved (only from review)",
    ("approved", "reject"): "cannot reject a run that is approved (only from review)",
    ("locked", "lock"): "cannot lock a run that is locked (only from approved)",
    ("locked", "reject"): "cannot reject a run that is locked (only from review)",
}


def test_every_transition_is_allowed_or_refused_exactly() -> None:
    from daiko.payroll import service

    legal = {
        ("draft", "calculate"): "calculating",
        ("review", "calculate"): "calculating",
        ("calculating", "finish"): "review",
        ("calculating", "fail"): "draft",
        ("review", "approve"): "approved",
        ("review", "reject"): "draft",
        ("approved", "lock"): "locked",
    }
    for status in ("draft", "calculating", "review", "approved", "locked"):
        for verb in service.TRANSITIONS:
            if (status, verb) in legal:
                assert service.check_transition(status, verb) == legal[(status, verb)]
                continue
            expected_type: type[Exception] = service.RunStateConflict
            if verb == "calculate" and status in ("approved", "locked"):
                expected_type = service.RunApproved
            with pytest.raises(expected_type) as exc:
                service.check_transition(status, verb)
            if (status, verb) in ILLEGAL:
                assert exc.value.detail == ILLEGAL[(status, verb)]
            assert exc.value.status == 409  # type: ignore[attr-defined]


async def _ready_run(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, as_user: As, by: TestUser
) -> tuple[httpx.AsyncClient, dict[str, Any]]:
    await add_staff(runtime, world.tenant_a.id, [Staff("0001"), Staff("0002", base=260_000)])
    c = await as_user(by)
    await _settings(c, str(world.tenant_a.id))
    run = await _create(c, tenant_id=str(world.tenant_a.id))
    await drain(runtime, owner_engine)
    return c, run


async def test_approving_what_you_calculated_is_refused_and_nothing_changes(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    lead, run = await _ready_run(runtime, world, owner_engine, as_user, world.lead)
    r = await lead.post(f"/api/v1/payroll/runs/{run['id']}/approve")
    assert r.status_code == 403
    assert r.json()["type"] == "urn:daiko:problem:four-eyes"
    assert (
        r.json()["detail"] == "you created or calculated this run; another person must approve it"
    )
    assert (await lead.get(f"/api/v1/payroll/runs/{run['id']}")).json()["status"] == "review"
    # The client's admin is another person and holds payroll:approve.
    admin = await as_user(world.tenant_a.users["client_admin"])
    r = await admin.post(f"/api/v1/payroll/runs/{run['id']}/approve")
    assert r.status_code == 200, r.text
    assert r.json()["approved_by"] == str(world.tenant_a.users["client_admin"].id)


async def test_operators_cannot_approve_and_clients_cannot_calculate(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    _, run = await _ready_run(runtime, world, owner_engine, as_user, world.lead)
    operator = await as_user(world.operator)
    r = await operator.post(f"/api/v1/payroll/runs/{run['id']}/approve")
    assert (r.status_code, r.json()["type"]) == (403, "urn:daiko:problem:forbidden")
    member = await as_user(world.tenant_a.users["client_member"])
    r = await member.post(f"/api/v1/payroll/runs/{run['id']}/calculate")
    assert (r.status_code, r.json()["type"]) == (403, "urn:daiko:problem:forbidden")


async def test_reject_sends_back_to_draft_and_an_approved_run_is_never_recalculated(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    operator, run = await _ready_run(runtime, world, owner_engine, as_user, world.operator)
    lead = await as_user(world.lead)
    url = f"/api/v1/payroll/runs/{run['id']}"
    r = await lead.post(f"{url}/reject", json={"reason": "通勤手当の漏れ"})
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["reject_reason"]) == ("draft", "通勤手当の漏れ")
    r = await lead.post(f"{url}/approve")
    assert r.status_code == 409
    assert r.json()["type"] == "urn:daiko:problem:payroll-run-state"
    assert r.json()["detail"] == "cannot approve a run that is draft (only from review)"
    assert r.json()["run_status"] == "draft"
    assert (await operator.post(f"{url}/calculate")).status_code == 202
    await drain(runtime, owner_engine)
    assert (await lead.post(f"{url}/approve")).status_code == 200
    r = await operator.post(f"{url}/calculate")
    assert r.status_code == 409
    assert r.json()["type"] == "urn:daiko:problem:payroll-run-approved"
    assert r.json()["detail"] == (
        "the run is approved: it cannot be recalculated; open a correction run"
    )
    r = await lead.post(f"{url}/reject", json={"reason": "too late"})
    assert r.status_code == 409
    assert r.json()["detail"] == "cannot reject a run that is approved (only from review)"


async def test_a_correction_is_a_new_run_on_the_same_case(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    operator, run = await _ready_run(runtime, world, owner_engine, as_user, world.operator)
    # A second original run for the same pay date is refused.
    r = await operator.post(
        "/api/v1/payroll/runs",
        json={"kind": "monthly", "pay_group": "monthly", "pay_date": PAY_DATE},
    )
    assert r.status_code == 409
    assert r.json()["type"] == "urn:daiko:problem:payroll-run-exists"
    # Correcting a run that is not approved is refused.
    r = await operator.post(
        "/api/v1/payroll/runs",
        json={"kind": "monthly", "pay_group": "monthly", "pay_date": PAY_DATE,
              "corrects_run_id": run["id"]},
    )  # fmt: skip
    assert r.status_code == 409
    assert r.json()["detail"] == f"only an approved run can be corrected; run {run['id']} is review"
    lead = await as_user(world.lead)
    assert (await lead.post(f"/api/v1/payroll/runs/{run['id']}/approve")).status_code == 200
    await drain(runtime, owner_engine)
    correction = await _create(operator, corrects_run_id=run["id"])
    assert correction["corrects_run_id"] == run["id"]
    assert correction["case_id"] == run["case_id"]
    assert correction["title"].endswith("(訂正)")
    await drain(runtime, owner_engine)
    review = (await operator.get(f"/api/v1/payroll/runs/{correction['id']}/review")).json()
    assert review["previous_run_id"] == run["id"]
    assert review["flags"] == []


async def test_a_chunk_that_runs_twice_writes_once(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, as_user: As,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from daiko.jobs import repository as jobs_repo
    from daiko.payroll import jobs, service
    from daiko.tenancy.scope import scope_of_tenant

    monkeypatch.setattr(service, "CHUNK_SIZE", 2)
    tenant = world.tenant_a.id
    await add_staff(runtime, tenant, [Staff(f"000{i}") for i in range(1, 6)])
    operator = await as_user(world.operator)
    run = await _create(operator)
    await drain(runtime, owner_engine)
    chunks = await rows(
        owner_engine,
        "select id, item_start, item_count, status from job_chunks where job_id = :j order by seq",
        j=run["calculate_job_id"],
    )
    assert [(c["item_start"], c["item_count"], c["status"]) for c in chunks] == [
        (0, 2, "succeeded"), (2, 2, "succeeded"), (4, 1, "succeeded"),
    ]  # fmt: skip
    before = await rows(owner_engine, "select id, net_pay from payroll_results order by seq")
    assert len(before) == 5
    # The second chunk again, directly (a redelivery past the framework's own fence).
    await execute(owner_engine, "update payroll_runs set status = 'calculating'")
    async with runtime.db.session(scope_of_tenant(tenant)) as session:
        job = await jobs_repo.get_job(session, uuid.UUID(run["calculate_job_id"]))
        chunk = await jobs_repo.get_chunk(session, chunks[1]["id"])
        assert job is not None
        assert chunk is not None
        await jobs.run_calculate_chunk(session, job, chunk)
    after = await rows(owner_engine, "select id, net_pay from payroll_results order by seq")
    assert after == before
    status = await rows(owner_engine, "select status from payroll_runs")
    assert status == [{"status": "review"}]


async def test_demo_leaves_one_approved_run_per_pay_group_and_is_idempotent(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    from daiko.payroll import demo

    await add_staff(runtime, world.tenant_a.id, [Staff("0001"), Staff("0002")])
    await demo.load(runtime.db)
    await demo.load(runtime.db)
    runs = await rows(
        owner_engine, "select tenant_id, status, employee_count, pay_group from payroll_runs"
    )
    assert runs == [
        {"tenant_id": world.tenant_a.id, "status": "approved", "employee_count": 2,
         "pay_group": "monthly"},
    ]  # fmt: skip
    settings = await rows(owner_engine, "select tenant_id, company_code from payroll_settings")
    assert {(s["tenant_id"], s["company_code"]) for s in settings} == {
        (world.tenant_a.id, "1234567890"),
        (world.tenant_b.id, "1234567890"),
    }
    await drain(runtime, owner_engine)
    locked = await rows(owner_engine, "select status, zengin_sha256 from payroll_runs")
    assert locked[0]["status"] == "locked"
    assert locked[0]["zengin_sha256"] is not None


async def test_gross_comes_from_attendance_with_overtime_and_commuting(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    await add_staff(
        runtime,
        world.tenant_a.id,
        [Staff("0001", commuting=15_000, overtime_hours="10")],
        pay_month=PAY_MONTH,
    )
    operator = await as_user(world.operator)
    run = await _create(operator)
    await drain(runtime, owner_engine)
    results = (await operator.get(f"/api/v1/payroll/runs/{run['id']}/results")).json()
    r = results["items"][0]
    # Hourly base 300,000 ÷ 160 h = 1,875; 10 h × 1.25 × 1,875 = 23,437.5 → 23,438.
    assert r["lines"]["payments"] == [
        ["基本給", 300_000],
        ["時間外手当", 23_438],
        ["通勤手当", 15_000],
    ]
    assert (
        r["amounts"]["gross_pay"],
        r["amounts"]["taxable_pay"],
        r["amounts"]["non_taxable_pay"],
    ) == (
        338_438,
        323_438,
        15_000,
    )
