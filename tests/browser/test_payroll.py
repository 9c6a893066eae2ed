"""Payroll in a real browser, all through the pages: a client sends the month's payroll
inputs and uploads the attendance file; an operator takes the case and runs the payroll
from it; a second operator (the lead) approves; the client downloads a payslip PDF.
The job queue is drained by the test (the workers' code path, in-process)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.sessions import COOKIE_NAME
from daiko.runtime import Runtime
from tests.browser.conftest import LiveServer
from tests.factories import TestUser, World, sign_in
from tests.payroll.runhelp import Staff, add_staff, drain, execute

SETTINGS_SQL = (
    "insert into payroll_settings (tenant_id, id, company_code, company_name_kana, bank_code,"
    " bank_name_kana, branch_code, branch_name_kana, account_number) values (:t,"
    " gen_random_uuid(), '1234567890', 'カブシキガイシャ エー', '0005', 'ミツビシ', '001',"
    " 'ホンテン', '1234567')"
)


async def test_client_sends_inputs_operator_runs_lead_approves_client_gets_payslip(
    page: Any,
    world: World,
    owner_engine: AsyncEngine,
    runtime: Runtime,
    live_server: LiveServer,
    tmp_path: Path,
) -> None:
    tenant = world.tenant_a.id
    await add_staff(runtime, tenant, [Staff("0001"), Staff("0002", "佐藤", "花子")])
    await execute(owner_engine, SETTINGS_SQL, t=tenant)

    async def as_user(user: TestUser) -> Any:
        context = await page.context.browser.new_context(base_url=live_server.url, locale="ja-JP")
        await context.add_cookies(
            [
                {
                    "name": COOKIE_NAME,
                    "value": await sign_in(owner_engine, user),
                    "url": live_server.url,
                }
            ]
        )
        return await context.new_page()

    client = await as_user(world.tenant_a.users["client_member"])
    await client.goto("/portal/requests?kind=payroll-inputs")
    await client.fill("input[name=pay_group]", "monthly")
    await client.fill("input[name=period]", "2026-10")
    await client.fill("textarea[name=changes]", "佐藤さん 通勤手当なし")
    await client.locator("form button[type=submit]").last.click()
    await client.wait_for_url("**/cases/*")
    case_url = client.url
    attendance = tmp_path / "kintai-2026-10.csv"
    attendance.write_bytes("社員番号,出勤日数\n0001,20\n0002,20\n".encode("cp932"))
    await client.set_input_files("details.upload-here input[type=file]", str(attendance))
    await client.locator("details.upload-here").get_by_role("button", name="アップロード").click()
    await client.wait_for_function(
        "document.querySelector('.checklist-item.provided') !== null", timeout=20_000
    )

    operator = await as_user(world.operator)
    await operator.goto(case_url)
    take = operator.locator("form[action$='/assignment'] button")
    if await take.count():  # not already assigned to this operator on submission
        await take.click()
        await operator.wait_for_url(case_url)
    case_id = case_url.rsplit("/", 1)[1]
    async with owner_engine.connect() as conn:
        assignee = await conn.scalar(
            text("select assignee_id from cases where id = :id"), {"id": case_id}
        )
    assert assignee == world.operator.id
    # The tenant has no pay-group calendar here, so the operator enters the pay date.
    await operator.fill("form.run-payroll input[name=pay_date]", "2026-10-23")
    await operator.locator("form.run-payroll button[type=submit]").click()
    await operator.wait_for_url("**/payroll/runs/*")
    run_url = operator.url
    async with owner_engine.connect() as conn:
        run_case = await conn.scalar(
            text("select case_id::text from payroll_runs where id = :id"),
            {"id": run_url.rsplit("/", 1)[1]},
        )
    assert run_case == case_id
    assert await operator.locator("#run-status").get_attribute("class") == "badge badge-calculating"
    assert await operator.locator("progress").count() == 1

    await drain(runtime, owner_engine)
    # The progress fragment notices the run moved on and reloads the page.
    await operator.wait_for_selector("#run-status.badge-review", timeout=15_000)
    assert await operator.locator("form[action$='/approve']").count() == 0

    lead = await as_user(world.lead)
    await lead.goto(run_url)
    await lead.locator("form[action$='/approve'] button").click()
    await lead.wait_for_selector("#run-status.badge-approved")
    await drain(runtime, owner_engine)
    await lead.goto(run_url)
    assert await lead.locator("#run-status").get_attribute("class") == "badge badge-locked"

    await client.goto("/portal/payroll")
    await client.locator(f"a[href='{run_url.removeprefix(live_server.url)}']").click()
    await client.wait_for_url(run_url)
    links = client.locator("a.payslip")
    assert await links.count() == 2
    href = await links.first.get_attribute("href")
    response = await client.request.get(href)
    assert response.ok
    body = await response.body()
    assert body.startswith(b"%PDF-")
    assert response.headers["content-type"].startswith("application/pdf")
