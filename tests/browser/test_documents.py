"""Documents in a real browser: a client drops a file on the page, sees it upload to the
store (moto's S3 over HTTP) and, once checked, previews the image inline."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.passwords import hash_password
from daiko.documents.tasks import verify_version
from daiko.runtime import Runtime
from daiko.tenancy.models import User
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import World

PASSWORD = "correct horse battery staple 2026"
# A 1×1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


async def test_upload_by_drop_then_preview(
    page: Any, world: World, owner_engine: AsyncEngine, runtime: Runtime, tmp_path: Path
) -> None:
    member = world.tenant_a.users["client_member"]
    async with owner_engine.begin() as conn:
        await conn.execute(
            update(User).where(User.id == member.id).values(password_hash=hash_password(PASSWORD))
        )
    await page.goto("/auth/login?next=/portal/documents")
    await page.fill("input[name=email]", member.email)
    await page.fill("input[name=password]", PASSWORD)
    await page.press("input[name=password]", "Enter")
    await page.wait_for_url("**/portal/documents")

    file = tmp_path / "レシート.png"
    file.write_bytes(PNG)
    await page.fill("input[name=title]", "11月 交通費レシート")
    await page.select_option("select[name=classification]", "receipt")
    await page.fill("input[name=amount]", "1280")
    await page.set_input_files("input[type=file]", str(file))
    await page.get_by_role("button", name="アップロード", exact=True).click()
    await page.wait_for_url("**/documents/*", timeout=20_000)
    assert await page.locator("h1").inner_text() == "11月 交通費レシート"
    assert "アップロード済み" in await page.locator("table").inner_text()

    # The worker's job, run here: the stored bytes match what the browser declared.
    document_id = uuid.UUID(page.url.rstrip("/").rsplit("/", 1)[-1])
    async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as s:
        version = await verify_version(s, runtime.store, world.tenant_a.id, document_id, 1)
    assert version is not None
    assert version.status == "verified"

    await page.reload()
    assert "検証済み" in await page.locator("table").inner_text()
    await page.get_by_role("link", name="プレビュー").click()
    image = page.locator("img.preview")
    await image.wait_for()
    assert await image.evaluate("img => img.complete && img.naturalWidth") == 1
