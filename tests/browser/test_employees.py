"""A client drops a cp932 employee file on the import page: the preview lists each bad
row by line and column with no confirm button; a corrected file can be confirmed and
is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.sessions import COOKIE_NAME
from daiko.employees.models import Employee
from tests.browser.conftest import LiveServer
from tests.factories import World, sign_in

SHOTS = Path(__file__).resolve().parents[2] / ".daiko" / "screenshots"
HEADER = "社員番号,氏名,フリガナ,生年月日,入社日,基本給,都道府県\r\n"


@pytest.mark.browser
async def test_import_preview_shows_every_bad_row_then_confirms(
    page: Any, world: World, owner_engine: AsyncEngine, live_server: LiveServer, tmp_path: Path
) -> None:
    token = await sign_in(owner_engine, world.tenant_a.users["client_member"])
    await page.context.add_cookies(
        [
            {"name": COOKIE_NAME, "value": token, "url": live_server.url},
            {"name": "daiko_lang", "value": "en", "url": live_server.url},
        ]
    )
    bad = tmp_path / "社員.csv"
    bad.write_bytes(
        (
            HEADER
            + "A1,山田 太郎,ヤマダ タロウ,1985/13/01,2020/04/01,300000,東京都\r\n"
            + "A2,佐藤 花子,サトウ ハナコ,1990/01/01,2020/04/01,280000,火星\r\n"
        ).encode("cp932")
    )
    await page.goto("/portal/employees/import")
    await page.set_input_files("#import-file", str(bad))
    await page.get_by_role("button", name="Check the file").click()
    await page.wait_for_selector("#import-errors", timeout=20_000)
    rows = await page.locator("#import-errors tbody tr").all_inner_texts()
    assert [r.split("\t") for r in rows] == [
        ["2", "生年月日", "no such day"],
        ["3", "都道府県", "unknown prefecture (JIS code 01–47 or name)"],
    ]
    assert await page.locator("#confirm-import").count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / "portal-employee-import-errors.png"), full_page=True)

    good = tmp_path / "社員2.csv"
    good.write_bytes(
        (HEADER + "A1,山田 太郎,ヤマダ タロウ,1985/12/01,2020/04/01,300000,東京都\r\n").encode(
            "cp932"
        )
    )
    await page.goto("/portal/employees/import")
    await page.set_input_files("#import-file", str(good))
    await page.get_by_role("button", name="Check the file").click()
    await page.wait_for_selector("#confirm-import", timeout=20_000)
    assert await page.locator("#creates").inner_text() == "1"
    await page.locator("#confirm-import").click()
    await page.wait_for_selector("#import-progress .flash-success", timeout=20_000)
    async with owner_engine.connect() as conn:
        count = await conn.scalar(select(func.count()).select_from(Employee))
    assert count == 1
