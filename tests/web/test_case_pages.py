"""Case pages over HTTP: the client's list and new request form, the operators' queue
(sorted by due time, filtered, bulk assignment by leads), and the case page shared by
both: internal notes never shown to clients, status changes by form with readable
refusals, a stale form told to reload, another tenant's case a 404."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.cases import web as case_pages
from daiko.cases.models import Case, CaseChecklistItem, CaseMessage
from daiko.documents.models import Document
from tests.cases.seed import seed, seed_case
from tests.factories import TestUser, World

HTML = {"accept": "text/html"}
ClientFor = Callable[[TestUser], Awaitable[httpx.AsyncClient]]


def csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


async def case_row(engine: AsyncEngine, case_id: uuid.UUID | str) -> Case:
    async with engine.connect() as conn:
        row = (await conn.execute(select(Case).where(Case.id == uuid.UUID(str(case_id))))).one()
    return Case(**row._asdict())


async def set_due(engine: AsyncEngine, case_id: uuid.UUID, due: datetime | None) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(Case).where(Case.id == case_id).values(due_at=due))


async def test_portal_lists_own_cases_by_due_time(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    now = datetime.now(UTC)
    later = await seed_case(owner_engine, world.tenant_a.id, title="後で")
    sooner = await seed_case(owner_engine, world.tenant_a.id, title="先に", status="accepted")
    undated = await seed_case(owner_engine, world.tenant_a.id, title="期限なし")
    theirs = await seed_case(owner_engine, world.tenant_b.id, title="他社の案件")
    await set_due(owner_engine, later, now + timedelta(days=5))
    await set_due(owner_engine, sooner, now + timedelta(hours=3))
    c = await client_for(world.tenant_a.users["client_viewer"])
    r = await c.get("/portal/cases", headers=HTML)
    assert r.status_code == 200
    positions = [r.text.index(f'id="case-{i}"') for i in (sooner, later, undated)]
    assert positions == sorted(positions)
    assert f"case-{theirs}" not in r.text
    assert "badge-warning" in r.text  # three hours left
    assert 'action="/portal/cases"' not in r.text  # viewers cannot request
    r = await c.get("/portal/cases", params={"status": "accepted"}, headers=HTML)
    assert f'id="case-{sooner}"' in r.text
    assert f'id="case-{later}"' not in r.text
    assert "受付済み" in r.text


async def test_client_submits_a_request_and_the_operator_sees_it(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    member = await client_for(world.tenant_a.users["client_member"])
    page = await member.get("/portal/cases", headers=HTML)
    assert 'action="/portal/cases"' in page.text
    assert 'value="si_hire"' in page.text  # the tenant subscribes to social insurance
    r = await member.post(
        "/portal/cases",
        data={
            "csrf_token": csrf(page),
            "tenant_id": str(world.tenant_a.id),
            "type": "si_hire",
            "title": "入社手続 山田太郎",
            "description": "4月1日入社",
        },
        headers=HTML,
    )
    assert r.status_code == 303
    match = re.fullmatch(r"/cases/([0-9a-f-]{36})", r.headers["location"])
    assert match is not None, r.headers["location"]
    case = await case_row(owner_engine, match.group(1))
    assert (case.status, case.type, case.tenant_id) == ("submitted", "si_hire", world.tenant_a.id)
    shown = await member.get(r.headers["location"], headers=HTML)
    assert "ご依頼を受け付けました。" in shown.text
    assert "依頼済み" in shown.text
    operator = await client_for(world.operator)
    queue = await operator.get("/console/cases", headers=HTML)
    assert f'href="/cases/{case.id}"' in queue.text


async def test_a_refused_request_is_a_message_not_an_error_page(
    world: World, client_for: ClientFor
) -> None:
    member = await client_for(world.tenant_a.users["client_member"])
    page = await member.get("/portal/cases", headers=HTML)
    r = await member.post(
        "/portal/cases",
        data={
            "csrf_token": csrf(page),
            "tenant_id": str(world.tenant_a.id),
            "type": "payroll",
            "title": "12月給与",
        },
        headers=HTML,
    )
    assert (r.status_code, r.headers["location"]) == (303, "/portal/cases")
    page = await member.get("/portal/cases", headers=HTML)
    assert "入力内容が正しくありません" in page.text
    assert "pay_group" in page.text


async def test_another_tenants_case_is_404(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    theirs = await seed_case(owner_engine, world.tenant_b.id)
    client = await client_for(world.tenant_a.users["client_admin"])
    assert (await client.get(f"/cases/{theirs}", headers=HTML)).status_code == 404
    operator = await client_for(world.operator)  # assigned to A only
    page = await operator.get("/console/cases", headers=HTML)
    assert f"case-{theirs}" not in page.text
    assert (await operator.get(f"/cases/{theirs}", headers=HTML)).status_code == 404
    r = await operator.post(
        f"/cases/{theirs}/transition",
        data={"csrf_token": csrf(page), "to": "accepted", "version": "1"},
        headers=HTML,
    )
    assert r.status_code == 404
    assert (await case_row(owner_engine, theirs)).status == "submitted"


async def test_internal_notes_are_never_shown_to_clients(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    params = await seed(owner_engine, world)  # tenant A's case has an internal note
    case_id = params["case_id"]
    operator = await client_for(world.operator)
    page = await operator.get(f"/cases/{case_id}", headers=HTML)
    assert "Seeded internal note" in page.text
    assert 'name="visibility" value="internal"' in page.text
    token = csrf(page)
    for body, visibility in (("内部: 単価を確認", "internal"), ("ご確認ください", "")):
        r = await operator.post(
            f"/cases/{case_id}/messages",
            data={"csrf_token": token, "body": body, "visibility": visibility},
            headers=HTML,
        )
        assert r.status_code == 303
    for role in ("client_admin", "client_member", "client_viewer"):
        client = await client_for(world.tenant_a.users[role])
        page = await client.get(f"/cases/{case_id}", headers=HTML)
        assert page.status_code == 200
        assert "ご確認ください" in page.text
        assert "Seeded internal note" not in page.text
        assert "内部: 単価を確認" not in page.text
        assert 'value="internal"' not in page.text
    # A client cannot write a note by forging the field: refused, nothing stored.
    member = await client_for(world.tenant_a.users["client_member"])
    page = await member.get(f"/cases/{case_id}", headers=HTML)
    r = await member.post(
        f"/cases/{case_id}/messages",
        data={"csrf_token": csrf(page), "body": "偽装メモ", "visibility": "internal"},
        headers=HTML,
    )
    assert r.status_code == 303
    page = await member.get(f"/cases/{case_id}", headers=HTML)
    assert "この操作は許可されていません。" in page.text
    async with owner_engine.connect() as conn:
        stored = await conn.scalar(select(CaseMessage.id).where(CaseMessage.body == "偽装メモ"))
    assert stored is None


async def test_transition_by_form_and_readable_refusals(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    case_id = await seed_case(owner_engine, world.tenant_a.id)
    operator = await client_for(world.operator)
    page = await operator.get(f"/cases/{case_id}", headers=HTML)
    assert 'name="to" value="accepted"' in page.text
    assert 'name="version" value="1"' in page.text
    token = csrf(page)

    async def post(**form: str) -> httpx.Response:
        r = await operator.post(
            f"/cases/{case_id}/transition", data={"csrf_token": token, **form}, headers=HTML
        )
        assert (r.status_code, r.headers["location"]) == (303, f"/cases/{case_id}")
        return await operator.get(f"/cases/{case_id}", headers=HTML)

    shown = await post(to="accepted", version="1")
    assert "案件のステータス：受付済み" in shown.text
    assert (await case_row(owner_engine, case_id)).status == "accepted"

    # The same (now stale) form again: refused, nothing changed.
    shown = await post(to="in_progress", version="1")
    assert (
        "他の人がこの案件を変更しました。再読み込みしてからもう一度お試しください。" in shown.text
    )
    row = await case_row(owner_engine, case_id)
    assert (row.status, row.version) == ("accepted", 2)
    shown = await post(to="in_progress")  # a form without its version is not trusted either
    assert "他の人がこの案件を変更しました。" in shown.text
    assert (await case_row(owner_engine, case_id)).status == "accepted"

    # Not in the machine from here: a message on the page, not a stack trace.
    shown = await post(to="delivered", version="2")
    assert "案件の現在のステータスからはこの変更はできません。" in shown.text
    assert shown.status_code == 200

    # A reason is owed for asking the client.
    shown = await post(to="waiting_on_client", version="2")
    assert "入力内容が正しくありません" in shown.text
    assert (await case_row(owner_engine, case_id)).status == "accepted"
    shown = await post(to="waiting_on_client", version="2", reason="源泉徴収票が必要です")
    assert "お客様確認待ち" in shown.text
    assert "源泉徴収票が必要です" in shown.text  # the timeline says why
    assert (await case_row(owner_engine, case_id)).status == "waiting_on_client"


async def test_clients_see_only_their_transitions(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    case_id = await seed_case(owner_engine, world.tenant_a.id)
    member = await client_for(world.tenant_a.users["client_member"])
    page = await member.get(f"/cases/{case_id}", headers=HTML)
    assert 'name="to" value="cancelled"' in page.text
    assert 'name="to" value="accepted"' not in page.text
    r = await member.post(
        f"/cases/{case_id}/transition",
        data={"csrf_token": csrf(page), "to": "accepted", "version": "1"},
        headers=HTML,
    )
    assert r.status_code == 303
    page = await member.get(f"/cases/{case_id}", headers=HTML)
    assert "この操作は許可されていません。" in page.text
    assert (await case_row(owner_engine, case_id)).status == "submitted"
    viewer = await client_for(world.tenant_a.users["client_viewer"])
    page = await viewer.get(f"/cases/{case_id}", headers=HTML)
    assert 'action="/cases/' + str(case_id) + '/transition"' not in page.text


async def test_client_provides_a_checklist_value(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    params = await seed(owner_engine, world)
    member = await client_for(world.tenant_a.users["client_member"])
    page = await member.get(f"/cases/{params['case_id']}", headers=HTML)
    assert "勤怠データ" in page.text
    action = f"/cases/{params['case_id']}/checklist/{params['checklist_item_id']}/provide"
    assert f'action="{action}"' in page.text
    r = await member.post(action, data={"csrf_token": csrf(page), "value": "160"}, headers=HTML)
    assert r.status_code == 303
    async with owner_engine.connect() as conn:
        value = await conn.scalar(
            select(CaseChecklistItem.value).where(
                CaseChecklistItem.id == uuid.UUID(params["checklist_item_id"])
            )
        )
    assert value == "160"
    page = await member.get(f"/cases/{params['case_id']}", headers=HTML)
    assert "提出済み" in page.text


async def test_console_queue_sorted_by_due_and_filtered(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    now = datetime.now(UTC)
    late = await seed_case(owner_engine, world.tenant_a.id, title="超過", assignee_id=None)
    soon = await seed_case(
        owner_engine, world.tenant_b.id, title="B社", assignee_id=world.lead.id, status="accepted"
    )
    calm = await seed_case(
        owner_engine, world.tenant_a.id, title="余裕", assignee_id=world.operator.id
    )
    await set_due(owner_engine, late, now - timedelta(hours=2))
    await set_due(owner_engine, soon, now + timedelta(hours=5))
    await set_due(owner_engine, calm, now + timedelta(days=4))
    lead = await client_for(world.lead)
    r = await lead.get("/console/cases", headers=HTML)
    assert r.status_code == 200
    positions = [r.text.index(f'id="case-{i}"') for i in (late, soon, calm)]
    assert positions == sorted(positions)
    row = r.text[positions[0] : positions[1]]
    assert "badge-breached" in row and "超過" in row
    assert "badge-warning" in r.text[positions[1] : positions[2]]
    assert "badge-ok" in r.text[positions[2] :]

    def shown(page: httpx.Response) -> set[uuid.UUID]:
        return {i for i in (late, soon, calm) if f'id="case-{i}"' in page.text}

    filters: list[tuple[dict[str, str], set[uuid.UUID]]] = [
        ({"assignee": "unassigned"}, {late}),
        ({"assignee": "mine"}, {soon}),
        ({"assignee": str(world.operator.id)}, {calm}),
        ({"tenant": str(world.tenant_b.id)}, {soon}),
        ({"status": "accepted"}, {soon}),
        ({"service": "general"}, {late, soon, calm}),
        ({"service": "payroll"}, set()),
        ({"priority": "normal"}, {late, soon, calm}),
        ({"priority": "urgent"}, set()),
    ]
    for params, expected in filters:
        page = await lead.get("/console/cases", params=params, headers=HTML)
        assert shown(page) == expected, params
    operator = await client_for(world.operator)  # tenant A only
    assert shown(await operator.get("/console/cases", headers=HTML)) == {late, calm}


async def test_leads_assign_in_bulk(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    first = await seed_case(owner_engine, world.tenant_a.id)
    second = await seed_case(owner_engine, world.tenant_a.id)
    lead = await client_for(world.lead)
    page = await lead.get("/console/cases", headers=HTML)
    assert 'action="/console/cases/assign"' in page.text
    r = await lead.post(
        "/console/cases/assign",
        data={
            "csrf_token": csrf(page),
            "case_ids": [str(first), str(second)],
            "assignee": str(world.operator.id),
        },
        headers=HTML,
    )
    assert (r.status_code, r.headers["location"]) == (303, "/console/cases")
    for case_id in (first, second):
        assert (await case_row(owner_engine, case_id)).assignee_id == world.operator.id
    page = await lead.get("/console/cases", headers=HTML)
    assert "2件の案件を割り当てました。" in page.text

    operator = await client_for(world.operator)
    page = await operator.get("/console/cases", headers=HTML)
    assert 'name="case_ids"' not in page.text  # no bulk assignment for plain operators
    r = await operator.post(
        "/console/cases/assign",
        data={"csrf_token": csrf(page), "case_ids": [str(first)], "assignee": "none"},
        headers=HTML,
    )
    assert r.status_code == 403
    assert (await case_row(owner_engine, first)).assignee_id == world.operator.id


async def test_clients_cannot_use_the_console_queue(world: World, client_for: ClientFor) -> None:
    c = await client_for(world.tenant_a.users["client_admin"])
    assert (await c.get("/console/cases", headers=HTML)).status_code == 403


async def test_case_forms_need_the_csrf_token(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    case_id = await seed_case(owner_engine, world.tenant_a.id)
    member = await client_for(world.tenant_a.users["client_member"])
    r = await member.post(f"/cases/{case_id}/messages", data={"body": "CSRFなし"}, headers=HTML)
    assert r.status_code == 403
    async with owner_engine.connect() as conn:
        stored = await conn.scalar(select(CaseMessage.id).where(CaseMessage.body == "CSRFなし"))
    assert stored is None


async def test_the_queue_pages_by_due_time(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor, monkeypatch: Any
) -> None:
    monkeypatch.setattr(case_pages, "PAGE_SIZE", 2)
    now = datetime.now(UTC)
    ids = [await seed_case(owner_engine, world.tenant_a.id, title=f"案件{n}") for n in range(3)]
    for n, case_id in enumerate(ids):
        await set_due(owner_engine, case_id, now + timedelta(hours=n + 1))
    lead = await client_for(world.lead)
    first = await lead.get("/console/cases", params={"status": "submitted"}, headers=HTML)
    assert [f'id="case-{i}"' in first.text for i in ids] == [True, True, False]
    found = re.search(r'<a href="\?([^"]+)" rel="next">', first.text)
    assert found is not None
    query = found.group(1).replace("&amp;", "&")
    assert "status=submitted" in query
    second = await lead.get(f"/console/cases?{query}", headers=HTML)
    assert [f'id="case-{i}"' in second.text for i in ids] == [False, False, True]
    assert 'rel="next"' not in second.text


async def test_a_document_item_is_provided_by_choosing_a_document(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    case_id = await seed_case(owner_engine, world.tenant_a.id)
    item_id, document_id = uuid.uuid4(), uuid.uuid4()
    async with owner_engine.begin() as conn:
        await conn.execute(
            insert(Document).values(
                tenant_id=world.tenant_a.id,
                id=document_id,
                title="雇用契約書 山田",
                classification="contract",
                retention_class="general",
                retention_base_date=datetime.now(UTC).date(),
            )
        )
        await conn.execute(
            insert(CaseChecklistItem).values(
                tenant_id=world.tenant_a.id,
                id=item_id,
                case_id=case_id,
                label="雇用契約書",
                kind="document",
                required=True,
            )
        )
    member = await client_for(world.tenant_a.users["client_member"])
    page = await member.get(f"/cases/{case_id}", headers=HTML)
    assert f'<option value="{document_id}">雇用契約書 山田</option>' in page.text
    r = await member.post(
        f"/cases/{case_id}/checklist/{item_id}/provide",
        data={"csrf_token": csrf(page), "document_id": str(document_id)},
        headers=HTML,
    )
    assert r.status_code == 303
    page = await member.get(f"/cases/{case_id}", headers=HTML)
    assert f'href="/documents/{document_id}"' in page.text
    assert "「雇用契約書」を提出しました。" in page.text


async def test_operator_asks_for_an_input_links_a_deliverable_and_takes_the_case(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    case_id = await seed_case(owner_engine, world.tenant_a.id, status="in_progress")
    document_id = uuid.uuid4()
    async with owner_engine.begin() as conn:
        await conn.execute(
            insert(Document).values(
                tenant_id=world.tenant_a.id,
                id=document_id,
                title="11月分 給与明細一式",
                classification="payslip",
                retention_class="payroll_record",
                retention_base_date=datetime.now(UTC).date(),
            )
        )
    operator = await client_for(world.operator)
    page = await operator.get(f"/cases/{case_id}", headers=HTML)
    assert "この案件を担当する" in page.text
    token = csrf(page)
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version is not None

    r = await operator.post(
        f"/cases/{case_id}/checklist",
        data={"csrf_token": token, "label": "11月分 勤怠データ", "kind": "data", "required": "on"},
        headers=HTML,
    )
    assert r.status_code == 303
    r = await operator.post(
        f"/cases/{case_id}/deliverables",
        data={"csrf_token": token, "document_id": str(document_id)},
        headers=HTML,
    )
    assert r.status_code == 303
    r = await operator.post(
        f"/cases/{case_id}/assignment",
        data={"csrf_token": token, "version": version.group(1), "assignee": "me"},
        headers=HTML,
    )
    assert r.status_code == 303
    page = await operator.get(f"/cases/{case_id}", headers=HTML)
    assert "案件の担当者を変更しました。" in page.text
    assert (await case_row(owner_engine, case_id)).assignee_id == world.operator.id

    client = await client_for(world.tenant_a.users["client_member"])
    page = await client.get(f"/cases/{case_id}", headers=HTML)
    assert "11月分 勤怠データ" in page.text  # the client sees what is asked of it
    assert f'href="/documents/{document_id}"' in page.text  # and the deliverable
    assert 'action="/cases/' + str(case_id) + '/deliverables"' not in page.text  # no operator forms
    r = await client.post(
        f"/cases/{case_id}/deliverables",
        data={"csrf_token": csrf(page), "document_id": str(document_id)},
        headers=HTML,
    )
    assert r.status_code == 403


async def test_a_stale_assignment_form_changes_nothing(
    world: World, owner_engine: AsyncEngine, client_for: ClientFor
) -> None:
    case_id = await seed_case(owner_engine, world.tenant_a.id, status="in_progress")
    lead = await client_for(world.lead)
    page = await lead.get(f"/cases/{case_id}", headers=HTML)
    r = await lead.post(
        f"/cases/{case_id}/assignment",
        data={"csrf_token": csrf(page), "version": "999", "assignee": str(world.operator.id)},
        headers=HTML,
    )
    assert r.status_code == 303
    page = await lead.get(f"/cases/{case_id}", headers=HTML)
    assert "他の人がこの案件を変更しました。再読み込みしてからもう一度お試しください。" in page.text
    assert (await case_row(owner_engine, case_id)).assignee_id is None
