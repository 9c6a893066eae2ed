"""My Number: check digit on entry, stored encrypted (read raw as the owner), shown
masked, revealed only with sensitive:reveal and a stated purpose, every reveal audited
with that purpose."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.employees.conftest import As
from tests.employees.seed import seed_employee
from tests.factories import World

VALID = "123456789018"


async def _audit(engine: AsyncEngine, action: str) -> list[dict[str, object]]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text("select actor_id, details from audit_events where action = :a order by seq"),
                {"a": action},
            )
        ).all()
    return [
        {"actor_id": r[0], **(r[1] if isinstance(r[1], dict) else json.loads(r[1]))} for r in rows
    ]


async def test_set_check_digit_masked_and_encrypted(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    employee_id = await seed_employee(owner_engine, world.tenant_a.id)
    c = await as_user(world.tenant_a.users["client_member"])
    url = f"/api/v1/employees/{employee_id}/my-number"
    bad = await c.put(url, json={"my_number": "123456789012"})
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"field": "my_number", "reason": "check digit does not match (検査用数字)"}
    ]
    r = await c.put(url, json={"my_number": "1234 5678 9018"})
    assert r.status_code == 200, r.text
    assert r.json() == {"registered": True, "masked": "********9018"}
    assert (await c.get(url)).json() == {"registered": True, "masked": "********9018"}
    detail = (await c.get(f"/api/v1/employees/{employee_id}")).json()
    assert detail["my_number"] == "********9018"
    assert VALID not in (await c.get(f"/api/v1/employees/{employee_id}")).text
    async with owner_engine.connect() as conn:
        token = await conn.scalar(text("select token from employee_my_numbers"))
        whole = await conn.scalar(text("select row_to_json(m)::text from employee_my_numbers m"))
    assert token.startswith("v1:")
    assert VALID not in whole
    set_events = await _audit(owner_engine, "employee.my_number_set")
    assert [e["masked"] for e in set_events] == ["********9018"]
    assert VALID not in json.dumps(set_events, default=str)


async def test_reveal_needs_the_permission_and_a_purpose_and_is_audited(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    employee_id = await seed_employee(owner_engine, world.tenant_a.id)
    admin = await as_user(world.tenant_a.users["client_admin"])
    assert (
        await admin.put(f"/api/v1/employees/{employee_id}/my-number", json={"my_number": VALID})
    ).status_code == 200
    url = f"/api/v1/employees/{employee_id}/my-number/reveal"
    for role in ("client_member", "client_viewer"):
        denied = await (await as_user(world.tenant_a.users[role])).post(
            url, json={"purpose": "withholding_slip"}
        )
        assert denied.status_code == 403, role
    operator = await as_user(world.operator)
    assert (await operator.post(url, json={"purpose": "withholding_slip"})).status_code == 403
    assert (await admin.post(url, json={})).status_code == 400
    assert (await admin.post(url, json={"purpose": "curiosity"})).status_code == 400
    other = await admin.post(url, json={"purpose": "other"})
    assert other.status_code == 422
    assert other.json()["errors"] == [
        {"field": "purpose_text", "reason": "say what the number is needed for"}
    ]
    assert await _audit(owner_engine, "employee.my_number_revealed") == []

    r = await admin.post(url, json={"purpose": "withholding_slip"})
    assert r.status_code == 200, r.text
    assert r.json() == {"my_number": VALID, "purpose": "withholding_slip"}
    assert r.headers["cache-control"] == "no-store"
    lead = await as_user(world.lead)
    r = await lead.post(url, json={"purpose": "other", "purpose_text": "年金事務所の照会"})
    assert r.status_code == 200
    events = await _audit(owner_engine, "employee.my_number_revealed")
    assert [(e["actor_id"], e["purpose"], e["sensitive"]) for e in events] == [
        (str(world.tenant_a.users["client_admin"].id), "withholding_slip", "my_number"),
        (str(world.lead.id), "other: 年金事務所の照会", "my_number"),
    ]
    assert VALID not in json.dumps(events, default=str)
    foreign = await as_user(world.tenant_b.users["client_admin"])
    assert (await foreign.post(url, json={"purpose": "withholding_slip"})).status_code == 404


async def test_reveal_without_a_number_is_404(
    world: World, as_user: As, owner_engine: AsyncEngine
) -> None:
    employee_id = await seed_employee(owner_engine, world.tenant_a.id)
    admin = await as_user(world.tenant_a.users["client_admin"])
    r = await admin.post(
        f"/api/v1/employees/{employee_id}/my-number/reveal", json={"purpose": "withholding_slip"}
    )
    assert r.status_code == 404
