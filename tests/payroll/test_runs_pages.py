"""Payroll pages: the console creates and calculates a run, the lead approves it from the
run page, the client sees totals, the chart and its payslip links in the portal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.runtime import Runtime
from tests.factories import TestUser, World
from tests.payroll.runhelp import As, Staff, add_staff, drain, rows, writer


@pytest.fixture
def as_user(
    client_for: Callable[[TestUser], Awaitable[httpx.AsyncClient]], owner_engine: AsyncEngine
) -> As:
    return writer(client_for, owner_engine)


async def _form(c: httpx.AsyncClient, url: str, data: dict[str, str]) -> httpx.Response:
    return await c.post(url, data={"csrf_token": c.headers.get("X-CSRF-Token", ""), **data})


async def test_console_to_portal(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    tenant = world.tenant_a.id
    await add_staff(runtime, tenant, [Staff("0001"), Staff("0002", base=280_000)])
    operator = await as_user(world.operator)
    page = await operator.get("/console/payroll")
    assert page.status_code == 200
    assert 'href="/console/payroll"' in page.text
    r = await _form(
        operator,
        "/console/payroll/settings",
        {
            "tenant_id": str(tenant),
            "company_code": "1234567890",
            "company_name_kana": "カブシキガイシャ エー",
            "bank_code": "0005",
            "bank_name_kana": "ミツビシ",
            "branch_code": "001",
            "branch_name_kana": "ホンテン",
            "account_type": "1",
            "account_number": "1234567",
            "zengin_line_breaks": "on",
            "withholding_method": "table",
            "premium_collection": "next_month",
            "pay_day": "25",
            "closing_day": "31",
        },
    )
    assert r.status_code == 303
    saved = await rows(owner_engine, "select company_code, account_number from payroll_settings")
    assert saved == [{"company_code": "1234567890", "account_number": "1234567"}]

    r = await _form(
        operator,
        "/console/payroll/runs",
        {
            "tenant_id": str(tenant),
            "kind": "monthly",
            "pay_group": "monthly",
            "pay_date": "2026-10-23",
        },
    )
    assert r.status_code == 303
    run_url = r.headers["location"]
    assert run_url.startswith("/payroll/runs/")
    page = await operator.get(run_url)
    assert page.status_code == 200
    assert "<progress" in page.text
    await drain(runtime, owner_engine)
    fragment = await operator.get(f"{run_url}/progress?status=calculating")
    assert fragment.headers.get("hx-refresh") == "true"
    page = await operator.get(run_url)
    assert "You prepared this run: another person approves it." in page.text or (
        "この計算はあなたが準備しました。" in page.text
    )
    assert "/approve" not in page.text

    lead = await as_user(world.lead)
    page = await lead.get(run_url)
    assert f'action="{run_url}/approve"' in page.text
    r = await _form(lead, f"{run_url}/approve", {})
    assert r.status_code == 303
    await drain(runtime, owner_engine)

    client = await as_user(world.tenant_a.users["client_viewer"])
    page = await client.get("/portal/payroll")
    assert page.status_code == 200
    assert "<svg" in page.text
    page = await client.get(run_url)
    assert page.text.count('class="payslip"') == 2
    assert "/console/payroll/runs" not in page.text
