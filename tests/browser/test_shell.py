"""The shell in a real browser: sign in with the form, see the company, switch language,
keyboard-reachable navigation, sign out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.passwords import hash_password
from daiko.tenancy.models import User
from tests.factories import World

PASSWORD = "correct horse battery staple 2026"
SHOTS = Path(__file__).resolve().parents[2] / ".daiko" / "screenshots"


async def test_client_signs_in_switches_language_and_signs_out(
    page: Any, world: World, owner_engine: AsyncEngine
) -> None:
    admin = world.tenant_a.users["client_admin"]
    async with owner_engine.begin() as conn:
        await conn.execute(
            update(User).where(User.id == admin.id).values(password_hash=hash_password(PASSWORD))
        )

    await page.goto("/portal")
    assert "/auth/login" in page.url
    await page.fill("input[name=email]", admin.email)
    await page.fill("input[name=password]", PASSWORD)
    await page.press("input[name=password]", "Enter")
    await page.wait_for_url("**/portal")
    assert await page.locator("h1").inner_text() == "ダッシュボード"
    assert await page.locator("table").get_by_text("株式会社エー").count() == 1
    assert await page.get_by_text("株式会社ビー").count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / "portal-ja.png"), full_page=True)

    await page.get_by_role("link", name="English").click()
    await page.wait_for_url("**/portal")
    assert await page.locator("h1").inner_text() == "Dashboard"
    assert await page.locator("html").get_attribute("lang") == "en"

    # Keyboard: the skip link is the first stop and leads to the content.
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Skip to content"

    await page.get_by_role("button", name="Sign out").click()
    await page.goto("/portal")
    assert "/auth/login" in page.url
