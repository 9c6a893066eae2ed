"""A client drops a file on the case page: it is uploaded with a progress bar and
provides the checklist item it was dropped on."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.sessions import COOKIE_NAME
from daiko.cases.models import CaseChecklistItem
from daiko.documents.models import Document
from daiko.ids import new_id
from tests.browser.conftest import LiveServer
from tests.cases.seed import seed_case
from tests.factories import World, sign_in

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
SHOTS = Path(__file__).resolve().parents[2] / ".daiko" / "screenshots"


async def test_upload_on_the_case_page_provides_the_item(
    page: Any, world: World, owner_engine: AsyncEngine, live_server: LiveServer, tmp_path: Path
) -> None:
    a = world.tenant_a
    case_id = await seed_case(owner_engine, a.id, title="給与計算 12月", status="waiting_on_client")
    item_id = new_id()
    async with owner_engine.begin() as conn:
        await conn.execute(
            insert(CaseChecklistItem).values(
                tenant_id=a.id,
                id=item_id,
                case_id=case_id,
                label="勤怠データ 12月",
                kind="document",
                required=True,
            )
        )
    token = await sign_in(owner_engine, a.users["client_member"])
    await page.context.add_cookies([{"name": COOKIE_NAME, "value": token, "url": live_server.url}])
    await page.goto(f"/cases/{case_id}")
    assert await page.locator("details.upload-here").get_attribute("open") is not None
    file = tmp_path / "kintai.png"
    file.write_bytes(PNG)
    await page.set_input_files("details.upload-here input[type=file]", str(file))
    await page.locator("details.upload-here").get_by_role("button", name="アップロード").click()
    await page.wait_for_function(
        "document.querySelector('.checklist-item.provided') !== null", timeout=20_000
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / "portal-case-upload-ja.png"), full_page=True)
    async with owner_engine.connect() as conn:
        item = (
            await conn.execute(select(CaseChecklistItem).where(CaseChecklistItem.id == item_id))
        ).one()
        title = await conn.scalar(select(Document.title).where(Document.id == item.document_id))
    assert item.provided_at is not None
    assert title == "勤怠データ 12月"
