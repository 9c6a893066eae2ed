"""Cases API: creation and assignment, optimistic concurrency, four eyes, internal-note
visibility per role, mentions by mail, checklist and deliverables, and the 401 / 403 /
404 answers."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.cases.models import Case
from daiko.mail import mail_dir
from daiko.runtime import Runtime
from tests.cases.conftest import As
from tests.cases.seed import seed, seed_case
from tests.factories import World, assign_operator, create_user

PROBLEM = "application/problem+json"


async def _create(c: httpx.AsyncClient, **body: object) -> dict[str, object]:
    r = await c.post("/api/v1/cases", json={"type": "inquiry", "title": "Question", **body})
    assert r.status_code == 201, r.text
    data: dict[str, object] = r.json()
    return data


async def _move(c: httpx.AsyncClient, case_id: object, *targets: str) -> None:
    for to in targets:
        r = await c.post(
            f"/api/v1/cases/{case_id}/transitions", json={"to": to, "reason": "next step"}
        )
        assert r.status_code == 200, (to, r.text)


async def test_client_submits_and_the_least_loaded_operator_gets_it(
    world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    second = await create_user(owner_engine, "second@daiko.example", kind="operator")
    await assign_operator(owner_engine, world.tenant_a, second, "operator")
    # The world's operator already has one open case; the new one has none.
    await seed_case(owner_engine, world.tenant_a.id, assignee_id=world.operator.id)
    member = world.tenant_a.users["client_member"]
    c = await as_user(member)
    r = await c.post(
        "/api/v1/cases",
        json={
            "type": "si_hire",
            "title": "入社手続 山田太郎",
            "priority": "high",
            "checklist": [{"label": "雇用契約書", "kind": "document"}],
        },
    )
    assert r.status_code == 201, r.text
    assert r.headers["etag"] == '"1"'
    case = r.json()
    assert (case["status"], case["service"], case["priority"]) == (
        "submitted",
        "social_insurance",
        "high",
    )
    assert case["assignee_id"] == str(second.id)
    assert case["requester_id"] == str(member.id)
    detail = (await c.get(f"/api/v1/cases/{case['id']}")).json()
    assert [(h["from_status"], h["to_status"]) for h in detail["history"]] == [(None, "submitted")]
    assert [w["user_id"] for w in detail["watchers"]] == [str(member.id)]
    assert [(i["label"], i["kind"], i["required"]) for i in detail["checklist"]] == [
        ("雇用契約書", "document", True)
    ]
    assert [t["to"] for t in detail["allowed_transitions"]] == ["cancelled"]


async def test_a_draft_is_not_assigned_and_viewers_cannot_create(world: World, as_user: As) -> None:
    c = await as_user(world.tenant_a.users["client_admin"])
    case = await _create(c, draft=True)
    assert (case["status"], case["assignee_id"]) == ("draft", None)
    viewer = await as_user(world.tenant_a.users["client_viewer"])
    r = await viewer.post("/api/v1/cases", json={"type": "inquiry", "title": "x"})
    assert (r.status_code, r.headers["content-type"]) == (403, PROBLEM)


async def test_a_lead_of_two_tenants_names_the_tenant(world: World, as_user: As) -> None:
    lead = await as_user(world.lead)
    r = await lead.post("/api/v1/cases", json={"type": "inquiry", "title": "x"})
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "tenant_id", "reason": "required: you act for several tenants"}
    ]
    case = await _create(lead, tenant_id=str(world.tenant_b.id))
    assert case["tenant_id"] == str(world.tenant_b.id)
    # An operator of A only cannot open a case in B: for him B does not exist.
    op = await as_user(world.operator)
    r = await op.post(
        "/api/v1/cases", json={"type": "inquiry", "title": "x", "tenant_id": str(world.tenant_b.id)}
    )
    assert (r.status_code, r.json()["type"]) == (404, "urn:daiko:problem:not-found")


async def test_patch_needs_if_match_and_a_stale_one_is_412(
    world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    case_id = await seed_case(owner_engine, world.tenant_a.id, status="in_progress")
    op = await as_user(world.operator)
    lead = await as_user(world.lead)
    r = await op.get(f"/api/v1/cases/{case_id}")
    assert r.headers["etag"] == '"1"'
    r = await op.patch(f"/api/v1/cases/{case_id}", json={"title": "no tag"})
    assert (r.status_code, r.json()["type"]) == (428, "urn:daiko:problem:precondition-required")
    r = await op.patch(
        f"/api/v1/cases/{case_id}", json={"title": "Operator's title"}, headers={"If-Match": '"1"'}
    )
    assert (r.status_code, r.headers["etag"], r.json()["title"]) == (200, '"2"', "Operator's title")
    # The lead read version 1 too: his save is refused and nothing of it lands.
    r = await lead.patch(
        f"/api/v1/cases/{case_id}",
        json={"title": "Lead's title", "priority": "urgent"},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 412
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["etag"] == '"2"'
    assert r.json()["type"] == "urn:daiko:problem:precondition-failed"
    assert r.json()["current_version"] == 2
    async with owner_engine.connect() as conn:
        row = (
            await conn.execute(
                select(Case.title, Case.priority, Case.version).where(Case.id == case_id)
            )
        ).one()
    assert tuple(row) == ("Operator's title", "normal", 2)


async def test_two_operators_saving_at_once_one_gets_412(
    world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    case_id = await seed_case(owner_engine, world.tenant_a.id, status="in_progress")
    op, lead = await as_user(world.operator), await as_user(world.lead)
    results = await asyncio.gather(
        op.patch(f"/api/v1/cases/{case_id}", json={"title": "A"}, headers={"If-Match": '"1"'}),
        lead.patch(f"/api/v1/cases/{case_id}", json={"title": "B"}, headers={"If-Match": '"1"'}),
    )
    assert sorted(r.status_code for r in results) == [200, 412]
    winner = next(r for r in results if r.status_code == 200).json()["title"]
    async with owner_engine.connect() as conn:
        row = (await conn.execute(select(Case.title, Case.version).where(Case.id == case_id))).one()
    assert tuple(row) == (winner, 2)


async def test_a_transition_with_a_stale_tag_changes_nothing(
    world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    case_id = await seed_case(owner_engine, world.tenant_a.id, status="submitted")
    op = await as_user(world.operator)
    r = await op.post(
        f"/api/v1/cases/{case_id}/transitions",
        json={"to": "accepted"},
        headers={"If-Match": '"7"'},
    )
    assert (r.status_code, r.json()["type"]) == (412, "urn:daiko:problem:precondition-failed")
    r = await op.get(f"/api/v1/cases/{case_id}/transitions")
    assert r.json() == {
        "current": "submitted",
        "version": 1,
        "allowed": [
            {"to": "accepted", "name": "accept", "reason_required": False},
            {"to": "rejected", "name": "reject", "reason_required": True},
            {"to": "cancelled", "name": "cancel", "reason_required": True},
        ],
    }
    r = await op.post(f"/api/v1/cases/{case_id}/transitions", json={"to": "rejected"})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "reason", "reason": "say why (reject)"}]


async def test_four_eyes(world: World, owner_engine: AsyncEngine, as_user: As) -> None:
    other_lead = await create_user(owner_engine, "lead2@daiko.example", kind="operator")
    await assign_operator(owner_engine, world.tenant_a, other_lead, "lead")
    case_id = await seed_case(owner_engine, world.tenant_a.id, status="accepted")
    lead = await as_user(world.lead)
    await _move(lead, case_id, "in_progress", "in_review")
    r = await lead.post(f"/api/v1/cases/{case_id}/transitions", json={"to": "delivered"})
    assert r.status_code == 403
    body = r.json()
    assert body["type"] == "urn:daiko:problem:four-eyes"
    assert body["detail"] == (
        "you sent this case to review; another lead must approve and deliver it"
    )
    assert body["allowed"] == ["in_progress"]
    # An operator who is not the preparer is still no approver.
    op = await as_user(world.operator)
    r = await op.post(f"/api/v1/cases/{case_id}/transitions", json={"to": "delivered"})
    assert (r.status_code, r.json()["type"]) == (403, "urn:daiko:problem:forbidden")
    second = await as_user(other_lead)
    r = await second.post(f"/api/v1/cases/{case_id}/transitions", json={"to": "delivered"})
    assert (r.status_code, r.json()["status"]) == (200, "delivered")
    detail = (await second.get(f"/api/v1/cases/{case_id}")).json()
    assert [(a["decision"], a["approver_id"], a["preparer_id"]) for a in detail["approvals"]] == [
        ("approved", str(other_lead.id), str(world.lead.id))
    ]


async def test_internal_notes_are_never_shown_to_client_roles(
    world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    case_id = await seed_case(owner_engine, world.tenant_a.id, status="in_progress")
    op = await as_user(world.operator)
    r = await op.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"body": "社長の給与は要確認", "visibility": "internal"},
    )
    assert (r.status_code, r.json()["visibility"]) == (201, "internal")
    r = await op.post(f"/api/v1/cases/{case_id}/messages", json={"body": "資料をお送りください"})
    assert r.status_code == 201
    for role in ("client_admin", "client_member", "client_viewer"):
        c = await as_user(world.tenant_a.users[role])
        listed = (await c.get(f"/api/v1/cases/{case_id}/messages")).json()
        detail = (await c.get(f"/api/v1/cases/{case_id}")).json()
        for seen in (listed, detail["messages"]):
            assert [(m["body"], m["visibility"]) for m in seen] == [
                ("資料をお送りください", "public")
            ], role
    for user in (world.operator, world.lead):
        c = await as_user(user)
        listed = (await c.get(f"/api/v1/cases/{case_id}/messages")).json()
        assert [m["visibility"] for m in listed] == ["internal", "public"]
    admin = await as_user(world.tenant_a.users["client_admin"])
    r = await admin.post(
        f"/api/v1/cases/{case_id}/messages", json={"body": "x", "visibility": "internal"}
    )
    assert (r.status_code, r.json()["detail"]) == (403, "internal notes are for operators")
    viewer = await as_user(world.tenant_a.users["client_viewer"])
    r = await viewer.post(f"/api/v1/cases/{case_id}/messages", json={"body": "x"})
    assert r.status_code == 403


async def test_mentions_are_mailed_and_internal_notes_mention_operators_only(
    world: World, owner_engine: AsyncEngine, runtime: Runtime, as_user: As
) -> None:
    case_id = await seed_case(
        owner_engine, world.tenant_a.id, status="in_progress", title="源泉徴収"
    )
    member = world.tenant_a.users["client_member"]
    op = await as_user(world.operator)
    before = set(mail_dir(runtime.settings).glob("*.eml"))
    r = await op.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"body": "ご確認ください", "mentions": [str(member.id)]},
    )
    assert r.status_code == 201, r.text
    assert r.json()["mentions"] == [str(member.id)]
    sent = [p.read_text() for p in set(mail_dir(runtime.settings).glob("*.eml")) - before]
    assert len(sent) == 1
    assert f"To: {member.email}" in sent[0]
    assert "mentioned you on =?utf-8?" in sent[0] or "mentioned you on" in sent[0]
    watchers = (await op.get(f"/api/v1/cases/{case_id}/watchers")).json()
    assert str(member.id) in [w["user_id"] for w in watchers]
    r = await op.post(
        f"/api/v1/cases/{case_id}/messages",
        json={"body": "x", "visibility": "internal", "mentions": [str(member.id)]},
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "mentions[0]", "reason": "an internal note can mention operators only"}
    ]
    outsider = world.tenant_b.users["client_admin"]
    r = await op.post(
        f"/api/v1/cases/{case_id}/messages", json={"body": "x", "mentions": [str(outsider.id)]}
    )
    assert r.json()["errors"] == [
        {"field": "mentions[0]", "reason": "not a person of the case's tenant"}
    ]


async def test_checklist_and_deliverables(
    world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    params = await seed(owner_engine, world)
    case_id, item_id = params["case_id"], params["checklist_item_id"]
    member = await as_user(world.tenant_a.users["client_member"])
    r = await member.post(f"/api/v1/cases/{case_id}/checklist", json={"label": "x"})
    assert r.status_code == 403
    op = await as_user(world.operator)
    r = await op.post(
        f"/api/v1/cases/{case_id}/checklist", json={"label": "扶養控除等申告書", "kind": "document"}
    )
    assert r.status_code == 201
    assert (r.json()["position"], r.json()["provided_at"]) == (1, None)
    r = await member.post(
        f"/api/v1/cases/{case_id}/checklist/{item_id}/provide", json={"value": "168時間"}
    )
    assert r.status_code == 200
    assert (r.json()["value"], r.json()["provided_by"]) == (
        "168時間",
        str(world.tenant_a.users["client_member"].id),
    )
    doc_item = (await op.get(f"/api/v1/cases/{case_id}/checklist")).json()[1]["id"]
    r = await member.post(f"/api/v1/cases/{case_id}/checklist/{doc_item}/provide", json={})
    assert r.json()["errors"] == [{"field": "document_id", "reason": "this item needs a document"}]
    deliverables = (await op.get(f"/api/v1/cases/{case_id}/deliverables")).json()
    document_id = deliverables[0]["document_id"]
    r = await member.post(
        f"/api/v1/cases/{case_id}/checklist/{doc_item}/provide", json={"document_id": document_id}
    )
    assert (r.status_code, r.json()["document_id"]) == (200, document_id)
    r = await op.post(f"/api/v1/cases/{case_id}/deliverables", json={"document_id": document_id})
    assert (r.status_code, r.json()["type"]) == (409, "urn:daiko:problem:conflict")
    r = await op.post(
        f"/api/v1/cases/{case_id}/deliverables", json={"document_id": str(uuid.uuid4())}
    )
    assert r.json()["errors"] == [
        {"field": "document_id", "reason": "no such document in the case's tenant"}
    ]


async def test_assignment_manual_take_bulk_and_auto(
    world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    a = world.tenant_a.id
    one = await seed_case(owner_engine, a)
    two = await seed_case(owner_engine, a)
    op, lead = await as_user(world.operator), await as_user(world.lead)
    r = await op.post(f"/api/v1/cases/{one}/assignment", json={"assignee_id": str(world.lead.id)})
    assert (r.status_code, r.json()["type"]) == (403, "urn:daiko:problem:forbidden")
    r = await op.post(
        f"/api/v1/cases/{one}/assignment", json={"assignee_id": str(world.operator.id)}
    )
    assert (r.status_code, r.json()["assignee_id"], r.headers["etag"]) == (
        200,
        str(world.operator.id),
        '"2"',
    )
    r = await lead.post(
        "/api/v1/cases/assign",
        json={"case_ids": [str(one), str(two)], "assignee_id": str(world.lead.id)},
    )
    assert r.status_code == 200
    assert [c["assignee_id"] for c in r.json()["items"]] == [str(world.lead.id)] * 2
    r = await lead.post(
        "/api/v1/cases/assign", json={"case_ids": [str(one), str(two)], "auto": True}
    )
    # Plain operators come before leads (who mostly review), then the fewest open cases.
    assert [c["assignee_id"] for c in r.json()["items"]] == [str(world.operator.id)] * 2
    outsider = await create_user(owner_engine, "nobody@daiko.example", kind="operator")
    r = await lead.post(f"/api/v1/cases/{one}/assignment", json={"assignee_id": str(outsider.id)})
    assert r.json()["errors"] == [
        {"field": "assignee_id", "reason": "not an operator assigned to the case's tenant"}
    ]
    r = await op.post("/api/v1/cases/assign", json={"case_ids": [str(one)], "auto": True})
    assert r.status_code == 403
    r = await lead.post(
        "/api/v1/cases/assign", json={"case_ids": [str(uuid.uuid4())], "auto": True}
    )
    assert r.json()["errors"] == [{"field": "case_ids[0]", "reason": "no such case"}]


async def test_list_filters_sorting_and_cursor(
    world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    a, b = world.tenant_a.id, world.tenant_b.id
    ids = [await seed_case(owner_engine, a, title=f"A{i}") for i in range(5)]
    await seed_case(owner_engine, b, title="B0")
    async with owner_engine.begin() as conn:
        await conn.execute(
            update(Case)
            .where(Case.id == ids[3])
            .values(due_at=func.now() + func.make_interval(0, 0, 0, 1))
        )
        await conn.execute(
            update(Case).where(Case.id == ids[4]).values(due_at=func.now(), priority="urgent")
        )
    op = await as_user(world.operator)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await op.get("/api/v1/cases", params=params)).json()
        seen += [c["title"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["A4", "A3", "A0", "A1", "A2"]  # B's case is not in his scope
    lead = await as_user(world.lead)
    everyone = (await lead.get("/api/v1/cases", params={"limit": "50"})).json()["items"]
    assert len(everyone) == 6
    only_b = (await lead.get("/api/v1/cases", params={"tenant_id": str(b)})).json()["items"]
    assert [c["title"] for c in only_b] == ["B0"]
    urgent = (await op.get("/api/v1/cases", params={"priority": "urgent"})).json()["items"]
    assert [c["title"] for c in urgent] == ["A4"]
    r = await op.get("/api/v1/cases", params={"status": ["submitted", "draft"], "type": "inquiry"})
    assert len(r.json()["items"]) == 5
    r = await op.get("/api/v1/cases", params={"cursor": "garbage!"})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "cursor")


async def test_anonymous_foreign_and_weak_roles(
    world: World, owner_engine: AsyncEngine, client: httpx.AsyncClient, as_user: As
) -> None:
    case_id = await seed_case(owner_engine, world.tenant_a.id, status="in_progress")
    r = await client.get(f"/api/v1/cases/{case_id}")
    assert (r.status_code, r.json()["type"]) == (401, "urn:daiko:problem:not-authenticated")
    foreign = await as_user(world.tenant_b.users["client_admin"])
    for method, path, body in (
        ("GET", "", None),
        ("GET", "/messages", None),
        ("POST", "/transitions", {"to": "cancelled", "reason": "x"}),
        ("POST", "/messages", {"body": "x"}),
        ("PATCH", "", {"title": "x"}),
    ):
        r = await foreign.request(method, f"/api/v1/cases/{case_id}{path}", json=body)
        assert (r.status_code, r.headers["content-type"]) == (404, PROBLEM), (method, path)
    member = await as_user(world.tenant_a.users["client_member"])
    r = await member.post(f"/api/v1/cases/{case_id}/assignment", json={"auto": True})
    assert (r.status_code, r.json()["type"]) == (403, "urn:daiko:problem:forbidden")
    viewer = await as_user(world.tenant_a.users["client_viewer"])
    r = await viewer.patch(
        f"/api/v1/cases/{case_id}", json={"title": "x"}, headers={"If-Match": '"1"'}
    )
    assert (r.status_code, r.json()["type"]) == (403, "urn:daiko:problem:forbidden")
