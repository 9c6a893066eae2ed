"""Payroll runs end to end through the API: create, calculate on the (in-process)
workers, review, four-eyes approval, outputs, lock; the state machine's refusals."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.runtime import Runtime
from tests.factories import TestUser, World
from tests.payroll.runhelp import As, Staff, add_staff, drain, rows, writer

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


async def _settings(c: httpx.AsyncClient) -> dict[str, Any]:
    r = await c.put("/api/v1/payroll/settings", json=SETTINGS)
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
