"""Life events open procedures; the filing job renders, audits My Number use, submits;
the e-Gov lifecycle through to completion, and a 返戻 that reopens the case."""

from __future__ import annotations

import datetime as dt
import uuid

import pypdfium2 as pdfium
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.audit.service import SystemActor
from daiko.documents.models import Document
from daiko.errors import Conflict, InvalidInput
from daiko.ids import new_id
from daiko.runtime import Runtime
from daiko.social_insurance import egov, service
from daiko.social_insurance import repository as repo
from daiko.social_insurance.models import SiDependent
from daiko.tenancy.scope import scope_of_tenant
from tests.factories import World
from tests.social_insurance.helpers import MY_NUMBER, add_employee, add_office, drain, rows

ACTOR = SystemActor("tests.social_insurance")
D = dt.date


@pytest.fixture
def recording() -> egov.RecordingEGov:
    client = egov.RecordingEGov()
    egov.use_egov(client)
    yield client  # type: ignore[misc]
    egov.use_egov(None)


async def life_event(
    runtime: Runtime,
    tenant_id: uuid.UUID,
    employee_id: uuid.UUID,
    event: str,
    day: dt.date,
    **inputs: object,
) -> list[dict[str, object]]:
    async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
        made = await service.on_life_event(
            session,
            tenant_id=tenant_id,
            employee_id=employee_id,
            event=event,  # type: ignore[arg-type]
            event_date=day,
            actor=ACTOR,
            inputs=inputs,
        )
        return [
            {
                "id": p.id,
                "kind": p.kind,
                "due_date": p.due_date,
                "case_id": p.case_id,
                "status": p.status,
                "inputs": p.inputs,
            }
            for p in made
        ]


async def test_a_hire_before_golden_week_opens_both_acquisitions_with_moved_deadlines(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tid = world.tenant_a.id
    eid = await add_employee(runtime, tid, "H1", hire_date=D(2026, 4, 28))
    made = await life_event(runtime, tid, eid, "hire", D(2026, 4, 28))
    assert [(p["kind"], p["due_date"], p["status"]) for p in made] == [
        ("shaho_acquisition", D(2026, 5, 7), "draft"),
        ("koyo_acquisition", D(2026, 5, 11), "draft"),
    ]
    assert made[0]["case_id"] == made[1]["case_id"]
    assert made[0]["inputs"] == {"monthly_remuneration": 300_000}
    case = (
        await rows(
            owner_engine, "select type, pay_date from cases where id = :id", id=made[0]["case_id"]
        )
    )[0]
    assert case == {"type": "si_hire", "pay_date": D(2026, 4, 28)}
    # The same hire entered again (import after the portal) opens nothing new.
    again = await life_event(runtime, tid, eid, "hire", D(2026, 4, 28))
    assert [p["id"] for p in again] == [p["id"] for p in made]
    assert len(await rows(owner_engine, "select id from si_procedures")) == 2


@pytest.mark.parametrize(
    ("event", "day", "kinds", "case_type"),
    [
        (
            "leave",
            D(2026, 6, 30),
            [("shaho_loss", D(2026, 7, 6)), ("koyo_loss", D(2026, 7, 13))],
            "si_leave",
        ),
        ("dependants_change", D(2026, 3, 2), [("dependants", D(2026, 3, 6))], "si_dependants"),
        ("bonus", D(2026, 6, 30), [("bonus", D(2026, 7, 6))], "si_bonus"),
    ],
)
async def test_each_life_event_opens_exactly_its_procedures(
    runtime: Runtime,
    world: World,
    owner_engine: AsyncEngine,
    event: str,
    day: dt.date,
    kinds: list[tuple[str, dt.date]],
    case_type: str,
) -> None:
    tid = world.tenant_a.id
    eid = await add_employee(runtime, tid, "E1")
    made = await life_event(runtime, tid, eid, event, day)
    assert [(p["kind"], p["due_date"]) for p in made] == kinds
    types = await rows(owner_engine, "select type from cases where id = :id", id=made[0]["case_id"])
    assert types == [{"type": case_type}]


async def test_leave_at_59_requires_the_separation_certificate(
    runtime: Runtime, world: World
) -> None:
    tid = world.tenant_a.id
    old = await add_employee(runtime, tid, "O1", birth_date=D(1967, 1, 10))
    young = await add_employee(runtime, tid, "Y1")
    assert (await life_event(runtime, tid, old, "leave", D(2026, 6, 30)))[1]["inputs"][
        "rishoku"
    ] is True
    assert (await life_event(runtime, tid, young, "leave", D(2026, 6, 30)))[1]["inputs"][
        "rishoku"
    ] is False


async def test_a_tenant_without_social_insurance_gets_no_procedures(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tid = world.tenant_b.id
    async with owner_engine.begin() as conn:
        from sqlalchemy import text

        await conn.execute(
            text("update tenants set services = array['payroll'] where id = :id"), {"id": tid}
        )
    eid = await add_employee(runtime, tid, "B1")
    assert await life_event(runtime, tid, eid, "hire", D(2026, 4, 1)) == []


async def _file(runtime: Runtime, tid: uuid.UUID, pid: object, submit: bool) -> None:
    async with runtime.db.session(scope_of_tenant(tid)) as session:
        p = await repo.get_procedure(session, pid)  # type: ignore[arg-type]
        assert p is not None
        await service.request_filing(session, ACTOR, p, submit=submit)


async def test_filing_renders_japanese_pdf_audits_my_number_and_submits(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, recording: egov.RecordingEGov
) -> None:
    tid = world.tenant_a.id
    await add_office(owner_engine, tid)
    eid = await add_employee(runtime, tid, "H1", hire_date=D(2026, 4, 28))
    shaho = (await life_event(runtime, tid, eid, "hire", D(2026, 4, 28)))[0]
    await _file(runtime, tid, shaho["id"], submit=True)
    assert await drain(runtime, owner_engine) == ["succeeded"]

    procedure = (
        await rows(
            owner_engine,
            "select status, arrival_id from si_procedures where id = :id",
            id=shaho["id"],
        )
    )[0]
    assert procedure["status"] == "submitted" and procedure["arrival_id"].startswith("REC-")
    history = await rows(
        owner_engine,
        "select from_status, to_status from si_procedure_events where procedure_id = :id order by at",
        id=shaho["id"],
    )
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "draft"),
        ("draft", "ready"),
        ("ready", "submitted"),
    ]
    # The My Number was decrypted once, inside the job, audited with its purpose.
    audits = await rows(
        owner_engine,
        "select actor_id, details from audit_events where action = 'employee.my_number_revealed'",
    )
    assert audits == [
        {
            "actor_id": "jobs.social_insurance_file",
            "details": {
                "code": "H1",
                "field": "employee.my_number",
                "purpose": "social_insurance_filing:shaho_acquisition",
                "procedure_id": str(shaho["id"]),
                "sensitive": "my_number",
            },
        }
    ]
    # The PDF is on the case and in what e-Gov received; it renders Japanese.
    [application] = recording.submissions
    assert application.proc_id == "unregistered:shaho_acquisition"
    [pdf] = application.attachments
    assert pdf.content_type == "application/pdf"
    text = pdfium.PdfDocument(pdf.data)[0].get_textpage().get_text_range()
    assert "被保険者資格取得届" in text and "山田 太郎" in text and MY_NUMBER in text
    assert "2026-04-28" in text and "300,000円" in text
    docs = await rows(
        owner_engine,
        "select d.kind, cd.case_id from si_procedure_documents d join case_deliverables cd"
        " on cd.document_id = d.document_id where d.procedure_id = :id",
        id=shaho["id"],
    )
    assert docs == [{"kind": "form_pdf", "case_id": shaho["case_id"]}]


async def test_bonus_filing_attaches_the_cp932_data_file(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, recording: egov.RecordingEGov
) -> None:
    tid = world.tenant_a.id
    await add_office(owner_engine, tid)
    eid = await add_employee(runtime, tid, "B1")
    bonus = (await life_event(runtime, tid, eid, "bonus", D(2026, 6, 30), amount=1_234_567))[0]
    await _file(runtime, tid, bonus["id"], submit=True)
    assert await drain(runtime, owner_engine) == ["succeeded"]
    [application] = recording.submissions
    csv = next(a for a in application.attachments if a.name == "SHFD0006.CSV")
    assert csv.data.decode("cp932").splitlines()[-1] == (
        "2265700,21,14,ｸﾄﾜ,12,ﾔﾏﾀﾞ ﾀﾛｳ,山田　太郎,7,020510,9,080630,"
        "1234567,0,1234000,123456789018,1234,567890,,,,"
    )


async def test_dependants_form_reveals_each_number_with_its_purpose(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, recording: egov.RecordingEGov
) -> None:
    from daiko.security.fields import encrypt_field
    from daiko.social_insurance.models import DEPENDENT_MY_NUMBER_PURPOSE

    tid = world.tenant_a.id
    await add_office(owner_engine, tid)
    eid = await add_employee(runtime, tid, "D1")
    async with runtime.db.session(scope_of_tenant(tid)) as session:
        token = await encrypt_field(
            session, tid, "548836529885", purpose=DEPENDENT_MY_NUMBER_PURPOSE
        )
        session.add(
            SiDependent(
                tenant_id=tid,
                id=new_id(),
                employee_id=eid,
                family_name="山田",
                given_name="花子",
                family_name_kana="ヤマダ",
                given_name_kana="ハナコ",
                birth_date=D(1992, 2, 3),
                relationship="spouse",
                annual_income=0,
                my_number_token=token,
                my_number_last4="9885",
                started_on=D(2026, 3, 2),
            )
        )
    made = await life_event(runtime, tid, eid, "dependants_change", D(2026, 3, 2))
    await _file(runtime, tid, made[0]["id"], submit=False)
    assert await drain(runtime, owner_engine) == ["succeeded"]
    audits = await rows(
        owner_engine,
        "select action, details->>'purpose' as purpose from audit_events"
        " where action like '%my_number_revealed' order by seq",
    )
    assert audits == [
        {"action": "employee.my_number_revealed", "purpose": "social_insurance_filing:dependants"},
        {
            "action": "si_dependent.my_number_revealed",
            "purpose": "social_insurance_filing:dependants",
        },
    ]
    status = await rows(
        owner_engine, "select status from si_procedures where id = :id", id=made[0]["id"]
    )
    assert status == [{"status": "ready"}]
    assert recording.submissions == []


async def test_lifecycle_to_completion_and_a_return_that_reopens_the_case(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, recording: egov.RecordingEGov
) -> None:
    from daiko.social_insurance.filing import apply_status

    tid = world.tenant_a.id
    await add_office(owner_engine, tid)
    eid = await add_employee(runtime, tid, "L1")
    loss, koyo = await life_event(runtime, tid, eid, "leave", D(2026, 6, 30))
    for p in (loss, koyo):
        await _file(runtime, tid, p["id"], submit=True)
    assert await drain(runtime, owner_engine) == ["succeeded", "succeeded"]
    arrivals = {
        r["id"]: r["arrival_id"]
        for r in await rows(owner_engine, "select id, arrival_id from si_procedures")
    }

    async def poll(pid: object) -> str:
        async with runtime.db.session(scope_of_tenant(tid)) as session:
            p = await repo.get_procedure(session, pid)  # type: ignore[arg-type]
            assert p is not None
            return await apply_status(session, p)

    assert await poll(loss["id"]) == "arrived"  # e-Gov says 到達
    recording.advance(arrivals[loss["id"]], "under_review")
    assert await poll(loss["id"]) == "under_review"
    recording.advance(
        arrivals[loss["id"]],
        "completed",
        documents=(egov.OfficialDocument("kanryo.pdf", "application/pdf", b"%PDF-1.4 done"),),
    )
    assert await poll(loss["id"]) == "completed"

    # The case was delivered; then the 雇用保険 喪失届 comes back (返戻).
    async with owner_engine.begin() as conn:
        from sqlalchemy import text

        await conn.execute(
            text("update cases set status = 'delivered' where id = :id"), {"id": koyo["case_id"]}
        )
    recording.advance(
        arrivals[koyo["id"]],
        "returned",
        note="離職理由の記載漏れ",
        documents=(egov.OfficialDocument("henrei.pdf", "application/pdf", b"%PDF-1.4 back"),),
    )
    assert await poll(koyo["id"]) == "returned"
    returned = (
        await rows(owner_engine, "select * from si_procedures where id = :id", id=koyo["id"])
    )[0]
    today = service.today_jst()
    assert returned["return_reason"] == "離職理由の記載漏れ"
    assert returned["clock_started_on"] == today
    from daiko.social_insurance.catalogue import resubmission_due

    assert returned["due_date"] == resubmission_due("koyo_loss", today)
    case = (
        await rows(owner_engine, "select status from cases where id = :id", id=koyo["case_id"])
    )[0]
    assert case == {"status": "in_progress"}
    reply = await rows(
        owner_engine,
        "select e.to_status, d.kind from si_procedure_events e join si_procedure_documents d"
        " on d.document_id = e.document_id where e.procedure_id = :id",
        id=koyo["id"],
    )
    assert reply == [{"to_status": "returned", "kind": "reply"}]
    # Refiled after the correction: a new application (new reference), submitted again.
    await _file(runtime, tid, koyo["id"], submit=True)
    assert await drain(runtime, owner_engine) == ["succeeded"]
    assert len(recording.submissions) == 3
    again = (
        await rows(
            owner_engine,
            "select status, arrival_id from si_procedures where id = :id",
            id=koyo["id"],
        )
    )[0]
    assert again["status"] == "submitted" and again["arrival_id"] != arrivals[koyo["id"]]


async def test_recording_a_return_by_hand_needs_reason_and_reply(
    runtime: Runtime, world: World, owner_engine: AsyncEngine
) -> None:
    tid = world.tenant_a.id
    eid = await add_employee(runtime, tid, "M1")
    [p] = await life_event(runtime, tid, eid, "bonus", D(2026, 6, 30), amount=100_000)
    async with runtime.db.session(scope_of_tenant(tid)) as session:
        proc = await repo.get_procedure(session, p["id"])  # type: ignore[arg-type]
        assert proc is not None
        with pytest.raises(Conflict):
            await service.record_status(session, ACTOR, proc, "completed")
        await service.move(session, ACTOR, proc, "submitted")
        with pytest.raises(InvalidInput) as missing:
            await service.record_status(session, ACTOR, proc, "returned", note="金額相違")
        assert missing.value.errors == [
            {"field": "document_id", "reason": "attach the official reply (返戻通知)"}
        ]
        doc_id = new_id()
        await session.execute(
            insert(Document).values(
                tenant_id=tid,
                id=doc_id,
                title="返戻通知",
                classification="filing",
                retention_class="general",
                retention_base_date=D(2026, 7, 3),
            )
        )
        await service.record_status(
            session, ACTOR, proc, "returned", note="金額相違", document_id=doc_id
        )
        assert proc.status == "returned"


async def test_the_scheduler_sweep_records_e_gov_answers(
    runtime: Runtime, world: World, owner_engine: AsyncEngine, recording: egov.RecordingEGov
) -> None:
    from datetime import UTC, datetime

    from daiko.schedule import poll_social_insurance

    tid = world.tenant_a.id
    await add_office(owner_engine, tid)
    eid = await add_employee(runtime, tid, "S1")
    [p] = await life_event(runtime, tid, eid, "bonus", D(2026, 6, 30), amount=300_000)
    await _file(runtime, tid, p["id"], submit=True)
    assert await drain(runtime, owner_engine) == ["succeeded"]
    [arrival] = recording.reports
    recording.advance(arrival, "completed")
    await poll_social_insurance(runtime, tid, datetime.now(UTC))
    history = await rows(
        owner_engine,
        "select to_status from si_procedure_events where procedure_id = :id order by at",
        id=p["id"],
    )
    assert [h["to_status"] for h in history] == ["draft", "ready", "submitted", "completed"]
    # Nothing is left to ask about.
    await poll_social_insurance(runtime, tid, datetime.now(UTC))
    assert len(await rows(owner_engine, "select id from si_procedure_events")) == 4
