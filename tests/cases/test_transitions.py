"""Every status × every target status, generated from the state table
(`daiko.cases.states.TRANSITIONS`) and the permission table (`ROLE_PERMISSIONS`): each
pair either succeeds for each role allowed it (and is refused with 403 for the others),
or answers 409 with exactly the targets that role may reach from there."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.audit.models import AuditEvent
from daiko.auth.policy import ROLE_PERMISSIONS, Action
from daiko.cases import states
from daiko.cases.models import Case, CaseApproval, CaseStatusChange
from tests.cases.conftest import As
from tests.cases.seed import seed_case
from tests.factories import TestUser, World

ROLES = ("client_admin", "client_member", "client_viewer", "operator", "lead")


def user_of(world: World, role: str) -> TestUser:
    if role == "operator":
        return world.operator
    if role == "lead":
        return world.lead
    return world.tenant_a.users[role]


def role_may(role: str) -> object:
    return lambda action: role in ROLE_PERMISSIONS[action]


def test_the_table_anchors() -> None:
    """Hand-written anchors, so the generated test cannot agree with a wrong table."""
    client = role_may("client_member")
    operator = role_may("operator")
    lead = role_may("lead")
    assert states.allowed_targets("draft", client) == ["submitted", "cancelled"]  # type: ignore[arg-type]
    assert states.allowed_targets("submitted", client) == ["cancelled"]  # type: ignore[arg-type]
    assert states.allowed_targets("submitted", operator) == [  # type: ignore[arg-type]
        "accepted",
        "rejected",
        "cancelled",
    ]
    assert states.allowed_targets("in_progress", operator) == [  # type: ignore[arg-type]
        "waiting_on_client",
        "in_review",
        "cancelled",
    ]
    assert states.allowed_targets("waiting_on_client", client) == [  # type: ignore[arg-type]
        "in_progress",
        "cancelled",
    ]
    assert states.allowed_targets("in_review", operator) == ["in_progress"]  # type: ignore[arg-type]
    assert states.allowed_targets("in_review", lead) == ["delivered", "in_progress"]  # type: ignore[arg-type]
    assert states.allowed_targets("in_review", lead, is_preparer=True) == ["in_progress"]  # type: ignore[arg-type]
    assert states.allowed_targets("delivered", client) == ["closed", "in_progress"]  # type: ignore[arg-type]
    assert states.allowed_targets("closed", client) == []  # type: ignore[arg-type]
    assert states.allowed_targets("closed", operator) == ["in_progress"]  # type: ignore[arg-type]
    for terminal in ("rejected", "cancelled"):
        for role in ROLES:
            assert states.allowed_targets(terminal, role_may(role)) == []  # type: ignore[arg-type]
    assert states.allowed_targets("in_progress", role_may("client_viewer")) == []  # type: ignore[arg-type]


async def _status(engine: AsyncEngine, case_id: uuid.UUID) -> tuple[str, int]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(Case.status, Case.version).where(Case.id == case_id))
        ).one()
    return row.status, row.version


@pytest.mark.parametrize("source", states.STATUSES)
async def test_every_target_from(
    source: str, world: World, owner_engine: AsyncEngine, as_user: As
) -> None:
    a = world.tenant_a.id
    # The operator prepared in_review cases, so the lead is a legitimate second pair of eyes.
    preparer = world.operator.id if source == "in_review" else None
    failures: list[str] = []
    for target in states.STATUSES:
        step = states.transition(source, target)
        for role in ROLES:
            user = user_of(world, role)
            may = role_may(role)
            is_preparer = preparer == user.id
            case_id = await seed_case(owner_engine, a, status=source, prepared_by=preparer)
            client = await as_user(user)
            r = await client.post(
                f"/api/v1/cases/{case_id}/transitions", json={"to": target, "reason": "because"}
            )
            allowed = states.allowed_targets(source, may, is_preparer=is_preparer)  # type: ignore[arg-type]
            where = f"{source} → {target} as {role}"
            if step is None:
                want = (409, "urn:daiko:problem:illegal-transition")
                body = r.json()
                got = (r.status_code, body.get("type"))
                if got != want or body.get("allowed") != allowed or body.get("current") != source:
                    failures.append(f"{where}: {r.status_code} {r.text[:200]} (want 409 {allowed})")
            elif target in allowed:
                if r.status_code != 200 or r.json()["status"] != target:
                    failures.append(f"{where}: {r.status_code} {r.text[:200]} (want 200)")
                elif r.headers["etag"] != '"2"':
                    failures.append(f'{where}: ETag {r.headers["etag"]} (want "2")')
            else:
                slug = "four-eyes" if step.four_eyes and is_preparer else "forbidden"
                if r.status_code != 403 or r.json()["type"] != f"urn:daiko:problem:{slug}":
                    failures.append(f"{where}: {r.status_code} {r.text[:200]} (want 403 {slug})")
            ok = step is not None and target in allowed
            status, version = await _status(owner_engine, case_id)
            want_state = (target, 2) if ok else (source, 1)
            if (status, version) != want_state:
                failures.append(f"{where}: case left {status} v{version} (want {want_state})")
            if ok:
                await _check_recorded(
                    owner_engine, case_id, source, target, user, failures, where, preparer
                )
    assert failures == [], "\n".join(failures)


async def _check_recorded(
    engine: AsyncEngine,
    case_id: uuid.UUID,
    source: str,
    target: str,
    user: TestUser,
    failures: list[str],
    where: str,
    preparer: uuid.UUID | None,
) -> None:
    async with engine.connect() as conn:
        history = (
            await conn.execute(
                select(
                    CaseStatusChange.from_status,
                    CaseStatusChange.to_status,
                    CaseStatusChange.actor_id,
                    CaseStatusChange.reason,
                )
                .where(CaseStatusChange.case_id == case_id)
                .order_by(CaseStatusChange.at)
            )
        ).all()
        audited = (
            (
                await conn.execute(
                    select(AuditEvent.details).where(
                        AuditEvent.resource_id == str(case_id),
                        AuditEvent.action == "case.status_changed",
                    )
                )
            )
            .scalars()
            .all()
        )
        approvals = (
            await conn.execute(
                select(CaseApproval.decision, CaseApproval.approver_id).where(
                    CaseApproval.case_id == case_id
                )
            )
        ).all()
    want = [(None, source, None, None), (source, target, user.id, "because")]
    if [tuple(h) for h in history] != want:
        failures.append(f"{where}: history {history} (want {want})")
    if [(d["from"], d["to"], d["reason"]) for d in audited] != [(source, target, "because")]:
        failures.append(f"{where}: audit {audited}")
    decision = {"delivered": "approved", "in_progress": "changes_requested"}.get(target)
    # A reviewer's decision is recorded; the preparer taking his own case back is not one.
    reviewed = source == "in_review" and decision and user.id != preparer
    want_approvals = [(decision, user.id)] if reviewed else []
    if [tuple(x) for x in approvals] != want_approvals:
        failures.append(f"{where}: approvals {approvals} (want {want_approvals})")


def test_only_known_actions_guard_transitions() -> None:
    used = {a for t in states.TRANSITIONS for a in t.actions}
    assert used == {Action.CASES_SUBMIT, Action.CASES_WORK, Action.CASES_APPROVE}
    assert [t for t in states.TRANSITIONS if t.four_eyes] == [
        states.transition("in_review", "delivered")
    ]
