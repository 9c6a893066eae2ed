"""Statement imports end to end: upload → preview with every bad row → confirm (refused
with bad rows unless skipped) → the job (COPY + INSERT … SELECT under the tenant's RLS,
progress) → rules → the unmatched queue → balanced journal entries."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.bookkeeping.imports import service
from daiko.bookkeeping.imports.layouts import LAYOUTS
from daiko.bookkeeping.imports.models import (
    CategorisationRule,
    ImportBatch,
    StatementLine,
)
from daiko.bookkeeping.imports.rules import Rule, RuleSet
from daiko.bookkeeping.models import JournalEntry, JournalLine
from daiko.jobs.kinds import JobKind
from daiko.jobs.models import Job
from daiko.jobs.runner import handle_message
from daiko.runtime import Runtime
from tests.bookkeeping_imports.conftest import As, Scoped
from tests.factories import World

pytestmark = pytest.mark.usefixtures("charts")

MUFG = (
    '"日付","摘要","摘要内容","支払い金額","預かり金額","差引残高","メモ","未資金化区分","入払区分"\r\n'
    '"2026/4/1","振込","ﾄｳｷﾖｳﾃﾞﾝﾘﾖｸ","12,100","","987,900","","","振替支払い"\r\n'
    '"2026/4/2","カード","ｺﾝﾋﾞﾆ","","","987,900","","",""\r\n'
    '"2026/4/3","振込","ｶ)ｻﾝﾌﾟﾙ","","550,000","1,537,900","","","入金"\r\n'
    '"2026/4/31","手数料","","440","","1,537,460","","","支払い"\r\n'
    '"2026/4/5","手数料","","440","","1,537,460","","","支払い"\r\n'
)


async def upload(
    client: object, data: bytes, *, layout: str = "mufg", **fields: str
) -> tuple[int, dict[str, object]]:
    form = {"layout": layout, "account_code": "1130", **fields}
    r = await client.post(  # type: ignore[attr-defined]
        "/api/v1/bookkeeping/imports",
        data=form,
        files={"file": ("statement.csv", data, "text/csv")},
    )
    return r.status_code, r.json()


async def line_count(owner_engine: AsyncEngine, tenant_id: uuid.UUID) -> int:
    async with owner_engine.connect() as conn:
        await conn.execute(
            text("select set_config('daiko.tenant_ids', :t, false)"), {"t": str(tenant_id)}
        )
        n = await conn.scalar(select(func.count()).select_from(StatementLine))
        await conn.execute(text("select set_config('daiko.tenant_ids', '', false)"))
    return int(n or 0)


async def run_job(runtime: Runtime, tenant_id: uuid.UUID, job_id: uuid.UUID) -> str:
    return await handle_message(runtime.db, JobKind.BOOKKEEPING_IMPORT, tenant_id, job_id)


async def test_preview_reports_every_bad_row_and_confirm_refuses_without_skip(
    world: World, as_user: As, owner_engine: AsyncEngine, runtime: Runtime, scoped: Scoped
) -> None:
    op = await as_user(world.operator)
    status, body = await upload(op, MUFG.encode("cp932"))
    assert status == 201, body
    batch = body["batch"]
    assert isinstance(batch, dict)
    assert (batch["status"], batch["line_count"], batch["error_count"], batch["encoding"]) == (
        "invalid",
        3,
        2,
        "cp932",
    )
    assert body["errors"] == [
        {"line": 3, "column": 4, "reason": "neither withdrawal nor deposit is filled in"},
        {"line": 5, "column": 1, "reason": "not a date: '2026/4/31'"},
    ]
    assert [s["amount"] for s in body["sample"]] == [-12100, 550000, -440]  # type: ignore[index,union-attr]

    r = await op.post(f"/api/v1/bookkeeping/imports/{batch['id']}/confirm", json={})
    assert r.status_code == 409
    assert r.json()["code"] == "rows_invalid"
    assert await line_count(owner_engine, world.tenant_a.id) == 0

    r = await op.post(
        f"/api/v1/bookkeeping/imports/{batch['id']}/confirm", json={"skip_invalid": True}
    )
    assert r.status_code == 202, r.text
    job_id = uuid.UUID(r.json()["job_id"])
    assert await run_job(runtime, world.tenant_a.id, job_id) == "succeeded"

    r = await op.get(f"/api/v1/bookkeeping/imports/{batch['id']}")
    detail = r.json()
    assert detail["batch"]["status"] == "imported"
    assert detail["batch"]["imported_count"] == 3
    assert (detail["job_status"], detail["progress_done"], detail["progress_total"]) == (
        "succeeded",
        5,
        5,
    )
    assert await line_count(owner_engine, world.tenant_a.id) == 3
    r = await op.get("/api/v1/bookkeeping/unmatched", params={"tenant_id": str(world.tenant_a.id)})
    assert [(x["line_no"], x["amount"]) for x in r.json()["items"]] == [
        (2, -12100),
        (4, 550000),
        (6, -440),
    ]
    # A second confirm of the same file is refused: it is imported.
    r = await op.post(
        f"/api/v1/bookkeeping/imports/{batch['id']}/confirm", json={"skip_invalid": True}
    )
    assert r.status_code == 409


async def test_a_clean_file_imports_without_skip_and_rules_book_it(
    world: World, as_user: As, owner_engine: AsyncEngine, runtime: Runtime, scoped: Scoped
) -> None:
    op = await as_user(world.operator)
    r = await op.post(
        "/api/v1/bookkeeping/rules",
        json={
            "pattern": "トウキヨウデンリヨク",  # full-width: matches the bank's half-width kana
            "match_field": "counterparty",
            "direction": "out",
            "account_code": "6174",
            "tax_category": "taxable_purchase_10",
        },
    )
    assert r.status_code == 201, r.text
    rule_id = r.json()["id"]
    clean = "\r\n".join(line for i, line in enumerate(MUFG.split("\r\n")) if i not in (2, 4))
    status, body = await upload(op, clean.encode("utf-8"))
    assert status == 201
    assert body["errors"] == []
    batch_id = body["batch"]["id"]  # type: ignore[index]
    r = await op.post(f"/api/v1/bookkeeping/imports/{batch_id}/confirm", json={})
    assert r.status_code == 202, r.text
    assert await run_job(runtime, world.tenant_a.id, uuid.UUID(r.json()["job_id"])) == "succeeded"

    async with scoped(world.tenant_a.id) as s:
        lines = (
            (await s.execute(select(StatementLine).order_by(StatementLine.line_no))).scalars().all()
        )
        assert [(x.line_no, x.status, x.account_code) for x in lines] == [
            (2, "posted", "6174"),
            (3, "unmatched", None),
            (4, "unmatched", None),
        ]
        entry = await s.get(JournalEntry, (world.tenant_a.id, lines[0].journal_entry_id))
        assert entry is not None
        assert (entry.entry_date, entry.status, entry.source_kind, entry.source_id) == (
            date(2026, 4, 1),
            "posted",
            "bank_statement",
            lines[0].id,
        )
        jl = (
            await s.execute(
                text(
                    "select a.code, l.debit, l.credit from journal_lines l join accounts a"
                    " on a.tenant_id = l.tenant_id and a.id = l.account_id"
                    " where l.entry_id = :e order by l.line_no"
                ),
                {"e": entry.id},
            )
        ).all()
        assert sum(d for _, d, _ in jl) == sum(c for _, _, c in jl) == 12100
        assert ("1130", 0, 12100) in [tuple(x) for x in jl]
        rule = await s.get(CategorisationRule, (world.tenant_a.id, uuid.UUID(rule_id)))
        assert rule is not None
        assert rule.hit_count == 1
        batch = await s.get(ImportBatch, (world.tenant_a.id, uuid.UUID(batch_id)))
        assert batch is not None
        assert (batch.imported_count, batch.matched_count) == (3, 1)


async def test_categorising_a_queued_line_books_it_and_learns_a_rule(
    world: World, as_user: As, runtime: Runtime, scoped: Scoped
) -> None:
    op = await as_user(world.operator)
    clean = "\r\n".join(line for i, line in enumerate(MUFG.split("\r\n")) if i not in (2, 4))
    _, body = await upload(op, clean.encode("cp932"))
    batch_id = body["batch"]["id"]  # type: ignore[index]
    r = await op.post(f"/api/v1/bookkeeping/imports/{batch_id}/confirm", json={})
    await run_job(runtime, world.tenant_a.id, uuid.UUID(r.json()["job_id"]))
    queue = (await op.get("/api/v1/bookkeeping/unmatched")).json()["items"]
    deposit = next(x for x in queue if x["amount"] == 550000)

    r = await op.post(
        f"/api/v1/bookkeeping/unmatched/{deposit['id']}/categorise",
        json={"account_code": "4110", "tax_category": "taxable_sales_10", "learn": True},
    )
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["line"]["status"] == "posted"
    assert out["suggested_rule"] == {
        "match_field": "counterparty",
        "pattern": "ｶ)ｻﾝﾌﾟﾙ",
        "direction": "in",
    }
    assert out["rule_id"] is not None
    entry_id = uuid.UUID(out["journal_entry_id"])
    async with scoped(world.tenant_a.id) as s:
        sums = (
            await s.execute(
                select(func.sum(JournalLine.debit), func.sum(JournalLine.credit)).where(
                    JournalLine.entry_id == entry_id
                )
            )
        ).one()
        assert tuple(sums) == (550000, 550000)
        rule = await s.get(CategorisationRule, (world.tenant_a.id, uuid.UUID(out["rule_id"])))
        assert rule is not None
        assert (rule.source, rule.pattern, rule.account_code, rule.hit_count) == (
            "learned",
            "ｶ)ｻﾝﾌﾟﾙ",
            "4110",
            1,
        )
    # Categorising it again: it is booked already.
    r = await op.post(
        f"/api/v1/bookkeeping/unmatched/{deposit['id']}/categorise",
        json={"account_code": "4110", "tax_category": "taxable_sales_10"},
    )
    assert r.status_code == 409

    # The next statement from the same customer is booked by the learned rule.
    again = (
        MUFG.split("\r\n")[0] + "\r\n" + '"2026/5/1","振込","ｶ)ｻﾝﾌﾟﾙ","","33,000","1","","",""\r\n'
    )
    _, body = await upload(op, again.encode("cp932"))
    r = await op.post(f"/api/v1/bookkeeping/imports/{body['batch']['id']}/confirm", json={})  # type: ignore[index]
    await run_job(runtime, world.tenant_a.id, uuid.UUID(r.json()["job_id"]))
    async with scoped(world.tenant_a.id) as s:
        line = (
            await s.execute(select(StatementLine).where(StatementLine.amount == 33000))
        ).scalar_one()
        assert (line.status, line.account_code, line.tax_category) == (
            "posted",
            "4110",
            "taxable_sales_10",
        )


async def test_an_unknown_account_or_tax_category_is_refused(
    world: World, as_user: As, scoped: Scoped
) -> None:
    op = await as_user(world.operator)
    status, body = await upload(op, MUFG.encode("cp932"), account_code="9999")
    assert status == 422
    assert body["errors"] == [
        {"field": "account_code", "reason": "no active account with code '9999'"}
    ]
    r = await op.post(
        "/api/v1/bookkeeping/rules",
        json={"pattern": "x", "account_code": "6174", "tax_category": "nonsense"},
    )
    assert r.status_code == 422


async def test_custom_mapping_and_saved_mapping(world: World, as_user: As) -> None:
    op = await as_user(world.operator)
    mapping = {"date": 2, "description": 3, "amount": 1, "header_rows": 0}
    data = '"(1,000)",20260401,家賃\n"▲2,000",R8.4.2,電気\n'.encode("cp932")
    status, body = await upload(op, data, layout="custom", mapping=json.dumps(mapping))
    assert status == 201, body
    assert [s["amount"] for s in body["sample"]] == [-1000, -2000]  # type: ignore[index,union-attr]
    r = await op.post("/api/v1/bookkeeping/mappings", json={"name": "家賃帳", "mapping": mapping})
    assert r.status_code == 201, r.text
    status, body = await upload(op, data, layout="custom", mapping_id=r.json()["id"])
    assert status == 201
    assert body["batch"]["line_count"] == 2  # type: ignore[index]
    status, body = await upload(op, data, layout="custom", mapping=json.dumps({"date": 1}))
    assert status == 422
    status, body = await upload(op, data, layout="nonesuch")
    assert status == 422


async def test_a_client_member_uploads_but_cannot_confirm(world: World, as_user: As) -> None:
    member = await as_user(world.tenant_a.users["client_member"])
    status, body = await upload(member, MUFG.encode("cp932"))
    assert status == 201, body
    r = await member.post(
        f"/api/v1/bookkeeping/imports/{body['batch']['id']}/confirm",  # type: ignore[index]
        json={"skip_invalid": True},
    )
    assert r.status_code == 403


async def test_the_staging_move_cannot_write_another_tenants_rows(
    world: World, scoped: Scoped, owner_engine: AsyncEngine
) -> None:
    """INSERT … SELECT runs in the tenant-scoped session: rows for tenant B are refused
    by RLS even when the importer names B."""
    async with scoped(world.tenant_b.id) as s:
        batch = ImportBatch(
            tenant_id=world.tenant_b.id,
            kind="bank",
            layout="mufg",
            filename="b.csv",
            account_code="1130",
            status="queued",
        )
        s.add(batch)
        await s.flush()
        b_batch = batch.id
    data = MUFG.encode("cp932")
    with pytest.raises(DBAPIError, match="row-level security"):
        async with scoped(world.tenant_a.id) as s:
            await service.stage_and_move(
                s,
                tenant_id=world.tenant_b.id,
                batch_id=b_batch,
                data=data,
                mapping=LAYOUTS["mufg"].mapping,
                rules=RuleSet([]),
                skip_invalid=True,
            )
    assert await line_count(owner_engine, world.tenant_b.id) == 0
    assert await line_count(owner_engine, world.tenant_a.id) == 0


async def test_staging_reports_progress_per_copy_batch(world: World, scoped: Scoped) -> None:
    rows = "".join(
        f'"2026/4/{1 + i % 28}","振込","X{i}","{100 + i}","","1","","",""\r\n' for i in range(25)
    )
    data = (MUFG.split("\r\n")[0] + "\r\n" + rows).encode("cp932")
    seen: list[tuple[int, int]] = []

    async def progress(done: int, total: int) -> None:
        seen.append((done, total))

    async with scoped(world.tenant_a.id) as s:
        batch = ImportBatch(
            tenant_id=world.tenant_a.id,
            kind="bank",
            layout="mufg",
            filename="a.csv",
            account_code="1130",
            status="queued",
        )
        s.add(batch)
        await s.flush()
        rule = Rule(
            uuid.uuid4(), "counterparty", "exact", "X3", "any", "6174", "taxable_purchase_10", 1
        )
        out = await service.stage_and_move(
            s,
            tenant_id=world.tenant_a.id,
            batch_id=batch.id,
            data=data,
            mapping=LAYOUTS["mufg"].mapping,
            rules=RuleSet([rule]),
            skip_invalid=False,
            progress=progress,
            total=25,
            batch_size=10,
        )
    assert (out.imported, out.matched, out.skipped) == (25, 1, 0)
    assert seen == [(10, 25), (20, 25), (25, 25)]


async def test_a_job_meeting_a_bad_row_without_skip_imports_nothing(
    world: World, scoped: Scoped, owner_engine: AsyncEngine
) -> None:
    async with scoped(world.tenant_a.id) as s:
        batch = ImportBatch(
            tenant_id=world.tenant_a.id,
            kind="bank",
            layout="mufg",
            filename="a.csv",
            account_code="1130",
            status="queued",
        )
        s.add(batch)
        await s.flush()
        with pytest.raises(Exception, match="line 3: neither withdrawal nor deposit"):
            await service.stage_and_move(
                s,
                tenant_id=world.tenant_a.id,
                batch_id=batch.id,
                data=MUFG.encode("cp932"),
                mapping=LAYOUTS["mufg"].mapping,
                rules=RuleSet([]),
                skip_invalid=False,
                batch_size=1,
            )
        await s.rollback()
    assert await line_count(owner_engine, world.tenant_a.id) == 0


async def test_receipt_entered_with_its_document(
    world: World, as_user: As, scoped: Scoped, runtime: Runtime
) -> None:
    from daiko.documents.models import Document

    async with scoped(world.tenant_a.id) as s:
        doc = Document(
            tenant_id=world.tenant_a.id,
            title="領収書",
            classification="receipt",
            retention_class="bookkeeping_evidence",
            retention_base_date=date(2026, 4, 3),
        )
        s.add(doc)
        await s.flush()
        doc_id = doc.id
    op = await as_user(world.operator)
    body = {
        "txn_date": "2026-04-03",
        "amount": 1080,
        "counterparty": "スーパー三河",
        "tax_rate": 8,
        "description": "会議用飲料",
        "document_id": str(doc_id),
    }
    r = await op.post("/api/v1/bookkeeping/receipts", json=body)
    assert r.status_code == 201, r.text
    line = r.json()["line"]
    assert (line["status"], line["amount"], line["tax_rate"]) == ("unmatched", -1080, 8)
    r = await op.post(
        f"/api/v1/bookkeeping/unmatched/{line['id']}/categorise",
        json={"account_code": "6180", "tax_category": "taxable_purchase_8r"},
    )
    assert r.status_code == 201, r.text
    entry_id = r.json()["journal_entry_id"]
    async with scoped(world.tenant_a.id) as s:
        linked = await s.scalar(
            text("select count(*) from journal_entry_documents where entry_id = :e"),
            {"e": entry_id},
        )
        assert linked == 1
        debit, credit = (
            await s.execute(
                select(func.sum(JournalLine.debit), func.sum(JournalLine.credit)).where(
                    JournalLine.entry_id == uuid.UUID(entry_id)
                )
            )
        ).one()
        assert debit == credit == 1080
    r = await op.post(
        "/api/v1/bookkeeping/receipts", json={**body, "document_id": str(uuid.uuid4())}
    )
    assert r.status_code == 422


async def test_rules_crud_and_order(world: World, as_user: As) -> None:
    op = await as_user(world.operator)
    ids = []
    for pattern, priority in (("AMAZON", 10), ("ｱﾏｿﾞﾝ", 50), ("NTT", 50)):
        r = await op.post(
            "/api/v1/bookkeeping/rules",
            json={
                "pattern": pattern,
                "priority": priority,
                "account_code": "6173",
                "tax_category": "taxable_purchase_10",
            },
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    r = await op.post(
        "/api/v1/bookkeeping/rules",
        json={"pattern": "NTT", "account_code": "6170", "tax_category": "taxable_purchase_10"},
    )
    assert r.status_code == 409
    r = await op.get("/api/v1/bookkeeping/rules", params={"limit": 2})
    page = r.json()
    assert [x["pattern"] for x in page["items"]] == ["ｱﾏｿﾞﾝ", "NTT"]
    r = await op.get("/api/v1/bookkeeping/rules", params={"cursor": page["next_cursor"]})
    assert [x["pattern"] for x in r.json()["items"]] == ["AMAZON"]
    r = await op.patch(f"/api/v1/bookkeeping/rules/{ids[0]}", json={"priority": 99})
    assert r.json()["priority"] == 99
    r = await op.delete(f"/api/v1/bookkeeping/rules/{ids[1]}")
    assert r.status_code == 204
    r = await op.get("/api/v1/bookkeeping/rules")
    assert [x["pattern"] for x in r.json()["items"]] == ["AMAZON", "NTT"]


async def test_job_kind_progress_in_the_jobs_table(
    world: World, as_user: As, runtime: Runtime, scoped: Scoped
) -> None:
    op = await as_user(world.operator)
    rows = "".join(
        f'"2026/4/{1 + i % 28}","振込","Y{i}","{100 + i}","","1","","",""\r\n' for i in range(30)
    )
    _, body = await upload(op, (MUFG.split("\r\n")[0] + "\r\n" + rows).encode("cp932"))
    r = await op.post(f"/api/v1/bookkeeping/imports/{body['batch']['id']}/confirm", json={})  # type: ignore[index]
    job_id = uuid.UUID(r.json()["job_id"])
    assert await run_job(runtime, world.tenant_a.id, job_id) == "succeeded"
    assert await run_job(runtime, world.tenant_a.id, job_id) == "skipped"
    async with scoped(world.tenant_a.id) as s:
        job = await s.get(Job, (world.tenant_a.id, job_id))
        assert job is not None
        assert (job.status, job.progress_done, job.progress_total) == ("succeeded", 30, 30)
        assert job.result == {
            "batch_id": body["batch"]["id"],  # type: ignore[index]
            "imported": 30,
            "skipped": 0,
            "matched": 0,
            "posted": 0,
        }


async def test_a_learned_rule_books_the_rest_of_the_queue(
    world: World, as_user: As, runtime: Runtime
) -> None:
    op = await as_user(world.operator)
    rows = "".join(
        f'"2026/4/{d}","振込","ﾔﾏﾄｳﾝﾕ","1,{d}00","","1","","",""\r\n' for d in (10, 11, 12)
    )
    data = MUFG.split("\r\n")[0] + "\r\n" + rows + '"2026/4/13","振込","ﾍﾞﾂ","5","","1","","",""\r\n'
    _, body = await upload(op, data.encode("cp932"))
    r = await op.post(f"/api/v1/bookkeeping/imports/{body['batch']['id']}/confirm", json={})  # type: ignore[index]
    await run_job(runtime, world.tenant_a.id, uuid.UUID(r.json()["job_id"]))
    queue = (await op.get("/api/v1/bookkeeping/unmatched")).json()["items"]
    assert len(queue) == 4
    r = await op.post(
        f"/api/v1/bookkeeping/unmatched/{queue[0]['id']}/categorise",
        json={"account_code": "6175", "tax_category": "taxable_purchase_10", "learn": True},
    )
    assert r.status_code == 201, r.text
    assert r.json()["also_booked"] == 2
    queue = (await op.get("/api/v1/bookkeeping/unmatched")).json()["items"]
    assert [x["counterparty"] for x in queue] == ["ﾍﾞﾂ"]
    rule = (await op.get(f"/api/v1/bookkeeping/rules/{r.json()['rule_id']}")).json()
    assert rule["hit_count"] == 3

    r = await op.post(
        "/api/v1/bookkeeping/rules",
        json={"pattern": "ﾍﾞﾂ", "account_code": "6173", "tax_category": "taxable_purchase_10"},
    )
    assert r.status_code == 201
    r = await op.post("/api/v1/bookkeeping/unmatched/apply-rules", json={})
    assert r.json() == {"booked": 1}
    assert (await op.get("/api/v1/bookkeeping/unmatched")).json()["items"] == []


async def test_card_statement_books_charges_against_the_card_liability(
    world: World, as_user: As, runtime: Runtime, scoped: Scoped
) -> None:
    from tests.bookkeeping_imports.test_parsers import VIEW_CARD

    op = await as_user(world.operator)
    r = await op.post(
        "/api/v1/bookkeeping/rules",
        json={"pattern": "年会費", "account_code": "6190", "tax_category": "taxable_purchase_10"},
    )
    assert r.status_code == 201
    status, body = await upload(
        op, VIEW_CARD.encode("cp932"), layout="view_card", account_code="2140"
    )
    assert status == 201, body
    assert body["batch"]["kind"] == "card"  # type: ignore[index]
    r = await op.post(f"/api/v1/bookkeeping/imports/{body['batch']['id']}/confirm", json={})  # type: ignore[index]
    await run_job(runtime, world.tenant_a.id, uuid.UUID(r.json()["job_id"]))
    async with scoped(world.tenant_a.id) as s:
        line = (
            await s.execute(select(StatementLine).where(StatementLine.amount == -524))
        ).scalar_one()
        assert line.status == "posted"
        rows = (
            await s.execute(
                text(
                    "select a.code, l.debit, l.credit from journal_lines l join accounts a"
                    " on a.tenant_id = l.tenant_id and a.id = l.account_id"
                    " where l.entry_id = :e order by a.code"
                ),
                {"e": line.journal_entry_id},
            )
        ).all()
        by_code = {code: (d, c) for code, d, c in rows}
        assert by_code["2140"] == (0, 524)
        assert sum(d for d, _ in by_code.values()) == sum(c for _, c in by_code.values()) == 524


async def test_the_same_file_is_not_imported_twice(
    world: World, as_user: As, runtime: Runtime
) -> None:
    op = await as_user(world.operator)
    clean = "\r\n".join(line for i, line in enumerate(MUFG.split("\r\n")) if i not in (2, 4))
    _, first = await upload(op, clean.encode("cp932"))
    r = await op.post(f"/api/v1/bookkeeping/imports/{first['batch']['id']}/confirm", json={})  # type: ignore[index]
    assert r.status_code == 202
    _, second = await upload(op, clean.encode("cp932"))
    r = await op.post(f"/api/v1/bookkeeping/imports/{second['batch']['id']}/confirm", json={})  # type: ignore[index]
    assert r.status_code == 409
    assert r.json()["code"] == "duplicate_file"
    assert r.json()["import_id"] == first["batch"]["id"]  # type: ignore[index]
    # Into another account it is another statement.
    _, third = await upload(op, clean.encode("cp932"), account_code="1120")
    r = await op.post(f"/api/v1/bookkeeping/imports/{third['batch']['id']}/confirm", json={})  # type: ignore[index]
    assert r.status_code == 202


async def test_demo_is_idempotent(world: World, runtime: Runtime, scoped: Scoped) -> None:
    from daiko.bookkeeping.imports import demo

    await demo.load(runtime.db)
    await demo.load(runtime.db)
    async with scoped(world.tenant_a.id) as s:
        statuses = (
            await s.execute(
                select(StatementLine.status, func.count())
                .where(StatementLine.tenant_id == world.tenant_a.id)
                .group_by(StatementLine.status)
                .order_by(StatementLine.status)
            )
        ).all()
        assert [tuple(x) for x in statuses] == [("posted", 3), ("unmatched", 4)]


async def test_undecodable_file_is_invalid_and_cannot_be_confirmed(
    world: World, as_user: As
) -> None:
    op = await as_user(world.operator)
    data = MUFG.encode("utf-8").replace("カード".encode(), b"\x82\xff\xfe")
    status, body = await upload(op, data)
    assert status == 201
    assert body["batch"]["status"] == "invalid"  # type: ignore[index]
    assert body["batch"]["line_count"] == 0  # type: ignore[index]
    [error] = body["errors"]  # type: ignore[misc]
    assert error["line"] == 3
    assert error["reason"].endswith("is neither UTF-8 nor Shift_JIS (cp932)")
    r = await op.post(
        f"/api/v1/bookkeeping/imports/{body['batch']['id']}/confirm",  # type: ignore[index]
        json={"skip_invalid": True},
    )
    assert r.status_code == 409
    assert "no statement line" in r.json()["detail"]


async def test_zengin_file_through_the_api_and_ignoring_a_line(
    world: World, as_user: As, runtime: Runtime
) -> None:
    from tests.bookkeeping_imports.test_parsers import zengin_data, zengin_file

    op = await as_user(world.operator)
    data = zengin_file(
        zengin_data(1, "081001", "1", 50000, "ｶ)ｻﾝﾌﾟﾙｼﾖｳｼﾞ", "ﾌﾘｺﾐ"),
        zengin_data(2, "081002", "2", 3300, "", "ﾃｽｳﾘﾖｳ"),
    )
    status, body = await upload(op, data, layout="zengin_03")
    assert status == 201, body
    assert body["errors"] == []
    assert [(s["txn_date"], s["amount"]) for s in body["sample"]] == [  # type: ignore[union-attr]
        ("2026-10-01", 50000),
        ("2026-10-02", -3300),
    ]
    r = await op.post(f"/api/v1/bookkeeping/imports/{body['batch']['id']}/confirm", json={})  # type: ignore[index]
    assert await run_job(runtime, world.tenant_a.id, uuid.UUID(r.json()["job_id"])) == "succeeded"
    queue = (await op.get("/api/v1/bookkeeping/unmatched")).json()["items"]
    r = await op.post(f"/api/v1/bookkeeping/unmatched/{queue[0]['id']}/ignore")
    assert r.status_code == 200
    assert r.json()["status"] == "ignored"
    queue = (await op.get("/api/v1/bookkeeping/unmatched")).json()["items"]
    assert [x["amount"] for x in queue] == [-3300]
    r = await op.get(f"/api/v1/bookkeeping/imports/{body['batch']['id']}/lines")  # type: ignore[index]
    assert [x["status"] for x in r.json()["items"]] == ["ignored", "unmatched"]


async def test_receipts_file_with_its_scanned_document(
    world: World, as_user: As, runtime: Runtime, scoped: Scoped
) -> None:
    from daiko.documents.models import Document

    async with scoped(world.tenant_a.id) as s:
        doc = Document(
            tenant_id=world.tenant_a.id,
            title="領収書 2026年10月 (まとめてスキャン)",
            classification="receipt",
            retention_class="bookkeeping_evidence",
            retention_base_date=date(2026, 10, 31),
        )
        s.add(doc)
        await s.flush()
        doc_id = doc.id
    op = await as_user(world.operator)
    r = await op.post(
        "/api/v1/bookkeeping/rules",
        json={"pattern": "文具", "account_code": "6173", "tax_category": "taxable_purchase_10"},
    )
    assert r.status_code == 201
    data = '日付,取引先,金額,税率,摘要\nR8.10.3,文具のヤマダ,"1,100",10%,ボールペン\nR8.10.4,青果店,540,8%,茶菓\n'
    status, body = await upload(
        op, data.encode("cp932"), layout="receipts", account_code="1110", document_id=str(doc_id)
    )
    assert status == 201, body
    assert body["batch"]["document_id"] == str(doc_id)  # type: ignore[index]
    r = await op.post(f"/api/v1/bookkeeping/imports/{body['batch']['id']}/confirm", json={})  # type: ignore[index]
    await run_job(runtime, world.tenant_a.id, uuid.UUID(r.json()["job_id"]))
    async with scoped(world.tenant_a.id) as s:
        posted = (
            await s.execute(select(StatementLine).where(StatementLine.status == "posted"))
        ).scalar_one()
        assert (posted.amount, posted.tax_rate) == (-1100, 10)
        linked = await s.scalar(
            text("select document_id from journal_entry_documents where entry_id = :e"),
            {"e": posted.journal_entry_id},
        )
        assert linked == doc_id
    status, body = await upload(
        op,
        data.encode("cp932"),
        layout="receipts",
        account_code="1110",
        document_id=str(uuid.uuid4()),
    )
    assert status == 422


async def test_rule_matches_beyond_the_jobs_booking_limit_wait_prefilled(
    world: World, as_user: As, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "POST_LIMIT", 1)
    op = await as_user(world.operator)
    r = await op.post(
        "/api/v1/bookkeeping/rules",
        json={"pattern": "ﾔﾏﾄ", "account_code": "6175", "tax_category": "taxable_purchase_10"},
    )
    assert r.status_code == 201
    rows = "".join(f'"2026/4/{d}","振込","ﾔﾏﾄｳﾝﾕ","{d}00","","1","","",""\r\n' for d in (10, 11))
    _, body = await upload(op, (MUFG.split("\r\n")[0] + "\r\n" + rows).encode("cp932"))
    r = await op.post(f"/api/v1/bookkeeping/imports/{body['batch']['id']}/confirm", json={})  # type: ignore[index]
    await run_job(runtime, world.tenant_a.id, uuid.UUID(r.json()["job_id"]))
    detail = (await op.get(f"/api/v1/bookkeeping/imports/{body['batch']['id']}")).json()  # type: ignore[index]
    assert detail["batch"]["matched_count"] == 1
    [waiting] = (await op.get("/api/v1/bookkeeping/unmatched")).json()["items"]
    assert (waiting["amount"], waiting["account_code"]) == (-1100, "6175")
    r = await op.post("/api/v1/bookkeeping/unmatched/apply-rules", json={})
    assert r.json() == {"booked": 1}


async def test_apply_rules_books_a_long_queue_in_one_call(
    world: World, as_user: As, runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    """400 queued lines (more than the 300 one call used to look at), a rule for 399."""
    op = await as_user(world.operator)
    rows = "".join(
        f'"2026/4/{1 + i % 28}","振込","ﾔﾏﾄｳﾝﾕ","{100 + i}","","1","","",""\r\n' for i in range(399)
    )
    rows += '"2026/4/30","振込","ﾍﾞﾂ","5","","1","","",""\r\n'
    _, body = await upload(op, (MUFG.split("\r\n")[0] + "\r\n" + rows).encode("cp932"))
    r = await op.post(f"/api/v1/bookkeeping/imports/{body['batch']['id']}/confirm", json={})  # type: ignore[index]
    await run_job(runtime, world.tenant_a.id, uuid.UUID(r.json()["job_id"]))
    r = await op.post(
        "/api/v1/bookkeeping/rules",
        json={"pattern": "ﾔﾏﾄ", "account_code": "6175", "tax_category": "taxable_purchase_10"},
    )
    rule_id = r.json()["id"]
    r = await op.post("/api/v1/bookkeeping/unmatched/apply-rules", json={})
    assert r.json() == {"booked": 399}
    [left] = (await op.get("/api/v1/bookkeeping/unmatched")).json()["items"]
    assert left["counterparty"] == "ﾍﾞﾂ"
    assert (await op.get(f"/api/v1/bookkeeping/rules/{rule_id}")).json()["hit_count"] == 399
    async with owner_engine.connect() as conn:
        entries, debits, credits, numbers = (
            await conn.execute(
                text(
                    "select count(distinct e.id), sum(l.debit), sum(l.credit),"
                    " max(e.number) - min(e.number) + 1"
                    " from journal_entries e join journal_lines l on l.entry_id = e.id"
                    " where e.tenant_id = :t and e.source_kind = 'bank_statement'"
                ),
                {"t": world.tenant_a.id},
            )
        ).one()
    # One entry per line with consecutive numbers, each balanced at the line's amount
    # (100 … 498 yen paid out: 119,301 in all).
    assert (entries, debits, credits, numbers) == (399, 119_301, 119_301, 399)
