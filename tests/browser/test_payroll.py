"""Payroll in a real browser: an operator creates and calculates a run in the console,
the lead approves it on the run page, and the client downloads a payslip PDF from the
portal. The job queue is drained by the test (the workers' code path, in-process)."""

from __future__ import annotations

from typing import Any

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


async def test_operator_runs_lead_approves_client_downloads_payslip(
    page: Any, world: World, owner_engine: AsyncEngine, runtime: Runtime, live_server: LiveServer
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

    operator = await as_user(world.operator)
    await operator.goto("/console/payroll")
    await operator.select_option("form.new-run select[name=tenant_id]", str(tenant))
    await operator.fill("form.new-run input[name=pay_group]", "monthly")
    await operator.fill("form.new-run input[name=pay_date]", "2026-10-23")
    await operator.locator("form.new-run button[type=submit]").click()
    await operator.wait_for_url("**/payroll/runs/*")
    run_url = operator.url
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

    client = await as_user(world.tenant_a.users["client_viewer"])
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
