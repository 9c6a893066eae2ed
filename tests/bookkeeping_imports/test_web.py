"""The import pages: upload → preview with the bad rows → confirm with skip → progress;
the queue's categorise form with "remember as a rule"; the rules page."""

from __future__ import annotations

import uuid

import pytest

from daiko.jobs.kinds import JobKind
from daiko.jobs.runner import handle_message
from daiko.runtime import Runtime
from tests.bookkeeping_imports.conftest import As
from tests.bookkeeping_imports.test_imports import MUFG
from tests.factories import World

pytestmark = pytest.mark.usefixtures("charts")


async def test_upload_preview_confirm_and_queue_pages(
    world: World, as_user: As, runtime: Runtime
) -> None:
    op = await as_user(world.operator)
    r = await op.get("/console/bookkeeping/imports")
    assert r.status_code == 200
    assert 'action="/bookkeeping/imports"' in r.text

    token = op.headers["X-CSRF-Token"]
    r = await op.post(
        "/bookkeeping/imports",
        data={"csrf_token": token, "layout": "mufg", "account_code": "1130"},
        files={"file": ("4月.csv", MUFG.encode("cp932"), "text/csv")},
    )
    assert r.status_code == 303, r.text
    page = r.headers["location"]
    batch_id = page.rsplit("/", 1)[1]
    r = await op.get(page)
    assert r.status_code == 200
    assert "not a date: &#39;2026/4/31&#39;" in r.text
    assert "neither withdrawal nor deposit is filled in" in r.text
    assert 'name="skip_invalid"' in r.text
    assert "ﾄｳｷﾖｳﾃﾞﾝﾘﾖｸ" in r.text  # the first lines

    r = await op.post(f"/bookkeeping/imports/{batch_id}/confirm", data={"csrf_token": token})
    assert r.status_code == 303
    r = await op.get(page)
    assert "skip_invalid" in r.text  # refused: still waiting for the choice

    r = await op.post(
        f"/bookkeeping/imports/{batch_id}/confirm",
        data={"csrf_token": token, "skip_invalid": "on"},
    )
    assert r.status_code == 303
    r = await op.get(f"/bookkeeping/imports/{batch_id}/progress")
    assert 'hx-trigger="every 1s"' in r.text
    from sqlalchemy import text

    async with runtime.db.app_engine.connect() as conn:
        await conn.execute(
            text("select set_config('daiko.tenant_ids', :t, false)"),
            {"t": str(world.tenant_a.id)},
        )
        job_id = await conn.scalar(
            text("select job_id from bookkeeping_import_batches where id = :b"), {"b": batch_id}
        )
        await conn.execute(text("select set_config('daiko.tenant_ids', '', false)"))
    assert job_id is not None
    assert (
        await handle_message(runtime.db, JobKind.BOOKKEEPING_IMPORT, world.tenant_a.id, job_id)
        == "succeeded"
    )
    r = await op.get(f"/bookkeeping/imports/{batch_id}/progress")
    assert "hx-trigger" not in r.text
    assert "5 / 5" in r.text

    r = await op.get("/console/bookkeeping/unmatched")
    assert r.status_code == 200
    line_id = r.text.split('id="line-')[1][:36]
    r = await op.post(
        f"/bookkeeping/unmatched/{line_id}/categorise",
        data={
            "csrf_token": token,
            "account_code": "6174",
            "tax_category": "taxable_purchase_10",
            "learn": "on",
            "pattern": "ﾄｳｷﾖｳﾃﾞﾝﾘﾖｸ",
        },
    )
    assert r.status_code == 303
    r = await op.get("/console/bookkeeping/unmatched")
    assert f'id="line-{line_id}"' not in r.text
    r = await op.get("/console/bookkeeping/rules")
    assert "ﾄｳｷﾖｳﾃﾞﾝﾘﾖｸ" in r.text
    rule_id = r.text.split('id="rule-')[1][:36]
    uuid.UUID(rule_id)
    r = await op.post(f"/console/bookkeeping/rules/{rule_id}/delete", data={"csrf_token": token})
    assert r.status_code == 303
    r = await op.get("/console/bookkeeping/rules")
    assert f'id="rule-{rule_id}"' not in r.text


async def test_portal_member_uploads_and_sees_it_waiting(world: World, as_user: As) -> None:
    member = await as_user(world.tenant_a.users["client_member"])
    r = await member.get("/portal/bookkeeping/imports")
    assert r.status_code == 200
    r = await member.post(
        "/bookkeeping/imports",
        data={
            "csrf_token": member.headers["X-CSRF-Token"],
            "layout": "receipts",
            "account_code": "1110",
        },
        files={
            "file": (
                "receipts.csv",
                "日付,取引先,金額,税率,摘要\nR8.4.3,店,1080,8%,茶\n".encode(),
                "text/csv",
            )
        },
    )
    assert r.status_code == 303
    r = await member.get(r.headers["location"])
    assert "担当者が確認して取り込みます。" in r.text  # ja, the default


async def test_rule_form_refuses_an_unknown_account(world: World, as_user: As) -> None:
    op = await as_user(world.operator)
    r = await op.post(
        "/console/bookkeeping/rules",
        data={
            "csrf_token": op.headers["X-CSRF-Token"],
            "pattern": "X",
            "account_code": "0000",
            "tax_category": "out_of_scope",
        },
    )
    assert r.status_code == 303
    r = await op.get("/console/bookkeeping/rules")
    assert "no active account with code" in r.text


async def test_queue_preselects_the_receipts_reduced_rate(world: World, as_user: As) -> None:
    op = await as_user(world.operator)
    r = await op.post(
        "/api/v1/bookkeeping/receipts",
        json={"txn_date": "2026-10-03", "amount": 1080, "counterparty": "青果店", "tax_rate": 8},
    )
    assert r.status_code == 201, r.text
    r = await op.get("/console/bookkeeping/unmatched")
    assert '<option value="taxable_purchase_8r" selected>' in r.text
