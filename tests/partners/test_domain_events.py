"""The domains' facts reach partners: job.finished, document.verified, and the SLA
scanner's events as case.sla_warning / case.sla_breached, each exactly once."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook

from daiko.documents.models import Document, DocumentVersion
from daiko.documents.service import version_key
from daiko.documents.tasks import verify_version
from daiko.ids import new_id
from daiko.jobs.kinds import JobKind
from daiko.jobs.runner import handle_message
from daiko.jobs.service import enqueue
from daiko.partners import service
from daiko.partners.events import publish_sla_events
from daiko.runtime import Runtime
from daiko.sla.models import SlaEvent
from daiko.tenancy.principals import partner_principal
from daiko.tenancy.scope import scope_of_tenant
from tests.cases.seed import seed_case
from tests.factories import World
from tests.partners.conftest import Receiver, run_deliveries


async def _subscribe(runtime: Runtime, tenant_id: uuid.UUID, url: str, types: list[str]) -> str:
    principal = partner_principal("dkp_test", [tenant_id], frozenset({"webhooks:manage"}))
    async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
        made = await service.create_subscription(
            session,
            principal,
            runtime.settings,
            tenant_id=tenant_id,
            url=url,
            event_types=types,
            description=None,
        )
    return made.secret


async def test_job_finished_once_for_success_and_for_final_failure(
    loopback_runtime: Runtime, world: World, receiver: Receiver
) -> None:
    runtime = loopback_runtime
    tid = world.tenant_a.id
    secret = await _subscribe(runtime, tid, receiver.url, ["job.finished"])
    async with runtime.db.session(scope_of_tenant(tid)) as session:
        ok = await enqueue(session, tid, JobKind.NOOP, {})
        bad = await enqueue(session, tid, JobKind.NOOP, {"fail_attempts": 5})
    assert await handle_message(runtime.db, JobKind.NOOP, tid, ok.id) == "succeeded"
    # A redelivered message changes nothing and announces nothing again.
    assert await handle_message(runtime.db, JobKind.NOOP, tid, ok.id) == "skipped"
    outcomes = [await handle_message(runtime.db, JobKind.NOOP, tid, bad.id) for _ in range(3)]
    assert outcomes == ["queued", "queued", "failed"]
    assert await run_deliveries(runtime, tid) == ["succeeded", "succeeded"]
    got = [Webhook(secret).verify(r.body, r.headers) for r in receiver.received]
    assert [(g["data"]["job_id"], g["data"]["status"]) for g in got] == [
        (str(ok.id), "succeeded"),
        (str(bad.id), "failed"),
    ]
    assert got[1]["data"]["error"].startswith("failed after 3 attempts")


async def test_document_verified(
    loopback_runtime: Runtime, world: World, receiver: Receiver, owner_engine: AsyncEngine
) -> None:
    runtime = loopback_runtime
    tid = world.tenant_a.id
    secret = await _subscribe(runtime, tid, receiver.url, ["document.verified"])
    content = b"%PDF-1.7\nhello\n"
    doc_id = new_id()
    key = version_key(tid, doc_id, 1)
    now = datetime.now(UTC)
    async with owner_engine.begin() as conn:
        await conn.execute(
            insert(Document).values(
                tenant_id=tid,
                id=doc_id,
                title="給与明細",
                classification="receipt",
                transaction_date=date(2026, 3, 31),
                retention_class="general",
                retention_base_date=date(2026, 3, 31),
                retain_until=date(2033, 3, 31),
                legal_hold=False,
            )
        )
        await conn.execute(
            insert(DocumentVersion).values(
                tenant_id=tid,
                id=new_id(),
                document_id=doc_id,
                n=1,
                storage_key=key,
                declared_size=len(content),
                declared_sha256=hashlib.sha256(content).hexdigest(),
                filename="a.pdf",
                declared_content_type="application/pdf",
                status="uploaded",
                upload_expires_at=now + timedelta(minutes=10),
                uploaded_at=now,
            )
        )
    upload = await runtime.store.open_upload(key, "application/pdf")
    await upload.write(content)
    await upload.commit()
    for _ in range(2):  # the second run finds it verified already: no second event
        async with runtime.db.session(scope_of_tenant(tid)) as session:
            version = await verify_version(session, runtime.store, tid, doc_id, 1)
            assert version is not None and version.status == "verified"
    assert await run_deliveries(runtime, tid) == ["succeeded"]
    [got] = [Webhook(secret).verify(r.body, r.headers) for r in receiver.received]
    assert got["type"] == "document.verified"
    assert got["data"]["document_id"] == str(doc_id) and got["data"]["version"] == 1


async def test_sla_events_are_published_once(
    loopback_runtime: Runtime, world: World, receiver: Receiver, owner_engine: AsyncEngine
) -> None:
    runtime = loopback_runtime
    tid = world.tenant_a.id
    secret = await _subscribe(runtime, tid, receiver.url, ["case.sla_warning", "case.sla_breached"])
    case_id = await seed_case(owner_engine, tid)
    other_case = await seed_case(owner_engine, world.tenant_b.id)
    now = datetime.now(UTC)
    async with owner_engine.begin() as conn:
        for tenant, case, kind in (
            (tid, case_id, "warning_75"),
            (tid, case_id, "breached"),
            (world.tenant_b.id, other_case, "breached"),  # no subscriber there
        ):
            await conn.execute(
                insert(SlaEvent).values(
                    tenant_id=tenant,
                    id=new_id(),
                    case_id=case,
                    clock="contract",
                    clock_kind="contractual",
                    kind=kind,
                    occurred_at=now,
                    due_at=now,
                )
            )
    assert await publish_sla_events(runtime.db) == 3
    assert await publish_sla_events(runtime.db) == 0
    async with owner_engine.connect() as conn:
        left = (
            await conn.execute(text("select count(*) from sla_events where not published"))
        ).scalar_one()
    assert left == 0
    assert await run_deliveries(runtime, tid) == ["succeeded", "succeeded"]
    got = sorted(
        (Webhook(secret).verify(r.body, r.headers) for r in receiver.received),
        key=lambda p: str(p["type"]),
    )
    assert [(g["type"], g["data"]["threshold"]) for g in got] == [
        ("case.sla_breached", "breached"),
        ("case.sla_warning", "warning_75"),
    ]
    assert got[0]["data"]["case_id"] == str(case_id)
