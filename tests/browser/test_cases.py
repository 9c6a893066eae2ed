"""Cases in a real browser: a client sends a request from the portal; the operator finds
it in the console queue and accepts it from the case page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.passwords import hash_password
from daiko.auth.sessions import COOKIE_NAME
from daiko.tenancy.models import User
from tests.browser.conftest import LiveServer
from tests.factories import World, sign_in

PASSWORD = "correct horse battery staple 2026"


async def test_client_request_reaches_the_operator_queue(
    page: Any, world: World, owner_engine: AsyncEngine, live_server: LiveServer
) -> None:
    member = world.tenant_a.users["client_member"]
    async with owner_engine.begin() as conn:
        await conn.execute(
            update(User).where(User.id == member.id).values(password_hash=hash_password(PASSWORD))
        )
    await page.goto("/auth/login?next=/portal/cases")
    await page.fill("input[name=email]", member.email)
    await page.fill("input[name=password]", PASSWORD)
    await page.press("input[name=password]", "Enter")
    await page.wait_for_url("**/portal/cases")
    assert await page.locator("h1").inner_text() == "案件"

    await page.select_option("form.new-case select[name=type]", "si_hire")
    await page.fill("form.new-case input[name=title]", "入社手続 山田太郎")
    await page.fill("form.new-case textarea[name=description]", "4月1日入社です。")
    await page.get_by_role("button", name="依頼を送信").click()
    await page.wait_for_url("**/cases/*")
    assert await page.locator("h1").inner_text() == "入社手続 山田太郎"
    assert "ご依頼を受け付けました。" in await page.locator("main").inner_text()
    case_url = page.url

    # The operator (MFA done: a ready session) sees it in the queue and accepts it.
    operator = await page.context.browser.new_context(base_url=live_server.url, locale="ja-JP")
    await operator.add_cookies(
        [
            {
                "name": COOKIE_NAME,
                "value": await sign_in(owner_engine, world.operator),
                "url": live_server.url,
            }
        ]
    )
    console = await operator.new_page()
    try:
        await console.goto("/console/cases")
        await console.get_by_role("link", name="入社手続 山田太郎").click()
        await console.wait_for_url(case_url)
        await console.get_by_role("button", name="受付", exact=True).click()
        await console.wait_for_url(case_url)
        assert "案件のステータス：受付済み" in await console.locator("main").inner_text()
    finally:
        await operator.close()

    await page.reload()
    assert "受付済み" in await page.locator(".case-status").inner_text()
