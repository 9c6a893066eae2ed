"""Case rules: open, edit, move through the status machine, assign, talk, collect inputs,
deliver.

Services only flush; the edge (request, scheduler run, CLI) owns the transaction. Every
function takes a tenant-scoped session and a case loaded through it, so a case of
another tenant never reaches this module. Who may do what comes from the one policy
(`daiko.auth.policy.allows`) evaluated in the case's tenant; the status machine is
`daiko.cases.states`. Every change is audited (`daiko.audit.service.record`) in the same
transaction; status changes are also written to `case_status_changes`, the history the
SLA clocks are computed from.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import SystemActor, record
from daiko.auth.policy import Action, allows
from daiko.auth.principal import Principal
from daiko.cases import repository as repo
from daiko.cases import states
from daiko.cases.models import (
    CASE_TYPES,
    Case,
    CaseApproval,
    CaseChecklistItem,
    CaseDeliverable,
    CaseMessage,
    CaseStatusChange,
)
from daiko.errors import Conflict, DaikoError, Forbidden, InvalidInput, NotFound
from daiko.ids import new_id
from daiko.sla.service import refresh_case_sla

log = structlog.get_logger("daiko.cases")

Actor = Principal | SystemActor


# --------------------------------------------------------------------------- errors


class IllegalTransition(Conflict):
    slug = "illegal-transition"
    title = "This status change is not possible from the case's current status"


class FourEyesViolation(Forbidden):
    slug = "four-eyes"
    title = "The preparer of a case may not approve it"


class PreconditionFailed(DaikoError):
    status = 412
    slug = "precondition-failed"
    title = "The case changed since you read it"


class PreconditionRequired(DaikoError):
    status = 428
    slug = "precondition-required"
    title = "Send If-Match with the ETag you read"


# --------------------------------------------------------------------------- actors


def may(actor: Actor, action: Action, tenant_id: uuid.UUID) -> bool:
    if isinstance(actor, SystemActor):
        return True
    return allows(actor, action, tenant_id)


def require_any(actor: Actor, tenant_id: uuid.UUID, *actions: Action) -> None:
    if not any(may(actor, a, tenant_id) for a in actions):
        raise Forbidden(f"{' or '.join(str(a) for a in actions)} is not allowed")


def is_operator_side(actor: Actor, tenant_id: uuid.UUID) -> bool:
    """Operators (and system work) see internal notes; client users and partners never."""
    return may(actor, Action.CASES_WORK, tenant_id)


def _user_id(actor: Actor) -> uuid.UUID | None:
    return actor.user_id if isinstance(actor, Principal) else None


def _actor_row(actor: Actor) -> dict[str, Any]:
    if isinstance(actor, SystemActor):
        return {"actor_kind": "system", "actor_id": None, "actor_display": actor.name}
    if actor.kind == "partner":
        return {"actor_kind": "partner", "actor_id": None, "actor_display": actor.client_id}
    return {
        "actor_kind": "operator" if actor.is_operator else "user",
        "actor_id": actor.user_id,
        "actor_display": actor.display_name or actor.email,
    }


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- ETag


def etag(case: Case) -> str:
    return f'"{case.version}"'


def check_if_match(case: Case, if_match: str | None, *, required: bool) -> None:
    """RFC 9110 If-Match against the case's version: a stale tag → 412, nothing changed."""
    if if_match is None or not if_match.strip():
        if required:
            raise PreconditionRequired(headers={"ETag": etag(case)})
        return
    tags = [t.strip() for t in if_match.split(",")]
    if "*" in tags:
        return
    wanted = {t.removeprefix("W/").strip('"') for t in tags}
    if str(case.version) not in wanted:
        raise PreconditionFailed(
            f"the case is at version {case.version}; reload it and try again",
            extra={"current_version": case.version},
            headers={"ETag": etag(case)},
        )


def _bump(case: Case) -> None:
    case.version += 1
    case.updated_at = _now()


# --------------------------------------------------------------------------- open


@dataclass(frozen=True)
class NewChecklistItem:
    label: str
    kind: str = "document"
    required: bool = True


@dataclass
class NewCase:
    tenant_id: uuid.UUID
    type: str
    title: str
    description: str | None = None
    period: str | None = None
    pay_group: str | None = None
    pay_date: date | None = None
    priority: str = "normal"
    status: str = "submitted"
    recurrence_key: str | None = None
    checklist: Sequence[NewChecklistItem] = field(default_factory=tuple)


async def _subscribed(session: AsyncSession, tenant_id: uuid.UUID, service: str) -> bool:
    if service == "general":
        return True
    tenant = await repo.tenant(session, tenant_id)
    return tenant is not None and service in (tenant.services or [])


async def open_case(
    session: AsyncSession, actor: Actor, new: NewCase, *, reason: str | None = None
) -> Case:
    """Create a case (client submission, operator creation on the client's behalf):
    history starts with its first status, the requester watches it, a submitted case
    is assigned automatically."""
    require_any(actor, new.tenant_id, Action.CASES_SUBMIT, Action.CASES_WORK)
    service = CASE_TYPES[new.type]
    if not await _subscribed(session, new.tenant_id, service):
        raise InvalidInput.field("type", f"the tenant does not subscribe to {service}")
    if new.status not in ("draft", "submitted"):
        raise InvalidInput.field("status", "a case starts as draft or submitted")
    user_id = _user_id(actor)
    requester_is_client = isinstance(actor, Principal) and not is_operator_side(
        actor, new.tenant_id
    )
    now = _now()
    case = Case(
        id=new_id(),
        tenant_id=new.tenant_id,
        type=new.type,
        service=service,
        title=new.title,
        description=new.description,
        period=new.period,
        pay_group=new.pay_group,
        pay_date=new.pay_date,
        priority=new.priority,
        status=new.status,
        status_changed_at=now,
        requester_id=user_id if requester_is_client else None,
        requester_client=actor.client_id
        if isinstance(actor, Principal) and actor.kind == "partner"
        else None,
        recurrence_key=new.recurrence_key,
        version=1,
    )
    session.add(case)
    await session.flush()
    await _after_open(session, actor, case, new.checklist, reason=reason)
    return case


async def _after_open(
    session: AsyncSession,
    actor: Actor,
    case: Case,
    checklist: Sequence[NewChecklistItem],
    *,
    reason: str | None,
) -> None:
    session.add(
        CaseStatusChange(
            id=new_id(),
            tenant_id=case.tenant_id,
            case_id=case.id,
            from_status=None,
            to_status=case.status,
            reason=reason,
            at=case.status_changed_at,
            **_actor_row(actor),
        )
    )
    for position, item in enumerate(checklist):
        session.add(
            CaseChecklistItem(
                id=new_id(),
                tenant_id=case.tenant_id,
                case_id=case.id,
                label=item.label,
                kind=item.kind,
                required=item.required,
                position=position,
            )
        )
    await session.flush()
    user_id = _user_id(actor)
    if user_id is not None:
        await repo.add_watcher(session, case, user_id)
    if case.status == "submitted" and case.assignee_id is None:
        case.assignee_id = await repo.least_loaded_operator(session, case.tenant_id)
        await session.flush()
    await refresh_case_sla(session, case)
    await record(
        session,
        tenant_id=case.tenant_id,
        actor=actor,
        action="case.created",
        resource_type="case",
        resource_id=case.id,
        details={
            "type": case.type,
            "period": case.period,
            "status": case.status,
            "assignee_id": str(case.assignee_id) if case.assignee_id else None,
            "recurrence_key": case.recurrence_key,
        },
    )


async def open_recurring_case(
    session: AsyncSession, actor: SystemActor, new: NewCase, *, reason: str
) -> Case | None:
    """Open a period's case exactly once: `insert … on conflict do nothing` on (tenant,
    type, recurrence key). None when it already exists (an earlier or concurrent run)."""
    if new.recurrence_key is None:
        raise ValueError("a recurring case needs a recurrence key")
    now = _now()
    case_id = await repo.insert_recurring(
        session,
        {
            "id": new_id(),
            "tenant_id": new.tenant_id,
            "type": new.type,
            "service": CASE_TYPES[new.type],
            "title": new.title,
            "description": new.description,
            "period": new.period,
            "pay_group": new.pay_group,
            "pay_date": new.pay_date,
            "priority": new.priority,
            "status": new.status,
            "status_changed_at": now,
            "recurrence_key": new.recurrence_key,
            "version": 1,
        },
    )
    if case_id is None:
        return None
    case = await repo.get_case(session, case_id)
    assert case is not None
    await _after_open(session, actor, case, new.checklist, reason=reason)
    return case


# --------------------------------------------------------------------------- edit


async def update_case(
    session: AsyncSession, actor: Principal, case: Case, changes: dict[str, Any]
) -> Case:
    """Edit a case's fields: operators any time until it is closed; the client while it
    is still a draft or just submitted."""
    operator = is_operator_side(actor, case.tenant_id)
    if operator:
        if case.status in states.TERMINAL or case.status == "closed":
            raise Conflict(f"a {case.status} case cannot be edited")
    elif may(actor, Action.CASES_SUBMIT, case.tenant_id):
        if case.status not in ("draft", "submitted"):
            raise Conflict("the operators are working on it: ask them by message")
    else:
        raise Forbidden("cases:submit or cases:work is not allowed")
    before = {k: getattr(case, k) for k in changes}
    changed = {k: v for k, v in changes.items() if before[k] != v}
    if not changed:
        return case
    for key, value in changed.items():
        setattr(case, key, value)
    _bump(case)
    await session.flush()
    await refresh_case_sla(session, case)
    await record(
        session,
        tenant_id=case.tenant_id,
        actor=actor,
        action="case.updated",
        resource_type="case",
        resource_id=case.id,
        details={
            "changes": {k: {"from": before[k], "to": v} for k, v in changed.items()},
            "version": case.version,
        },
    )
    return case


# --------------------------------------------------------------------------- transitions


def _is_preparer(actor: Actor, case: Case) -> bool:
    return case.prepared_by is not None and _user_id(actor) == case.prepared_by


def allowed_transitions(actor: Actor, case: Case) -> list[states.Transition]:
    preparer = _is_preparer(actor, case)
    return [
        t
        for t in states.from_status(case.status)
        if states.permitted(t, lambda a: may(actor, a, case.tenant_id), is_preparer=preparer)
    ]


async def transition(
    session: AsyncSession, actor: Actor, case: Case, to: str, reason: str | None
) -> CaseStatusChange:
    """Move the case to `to`. Not in the machine from here → 409 with the caller's
    allowed targets; in the machine but not for this caller → 403 (four eyes: the
    preparer never approves); a reason where one is owed → 422."""
    allowed = [t.target for t in allowed_transitions(actor, case)]
    step = states.transition(case.status, to)
    if step is None:
        raise IllegalTransition(
            f"a {case.status} case cannot move to {to}",
            extra={"current": case.status, "allowed": allowed},
        )
    if to not in allowed:
        if step.four_eyes and _is_preparer(actor, case):
            raise FourEyesViolation(
                "you sent this case to review; another lead must approve and deliver it",
                extra={"current": case.status, "allowed": allowed},
            )
        needed = " or ".join(sorted(str(a) for a in step.actions))
        raise Forbidden(
            f"{step.name} needs {needed}", extra={"current": case.status, "allowed": allowed}
        )
    reason = reason.strip() if reason else None
    if step.reason_required and not reason:
        raise InvalidInput.field("reason", f"say why ({step.name})")
    source = case.status
    now = _now()
    user_id = _user_id(actor)
    # A reviewer's decision is recorded; a preparer taking his own case back is not one.
    reviewed = step.four_eyes or (source == "in_review" and not _is_preparer(actor, case))
    if reviewed:
        session.add(
            CaseApproval(
                id=new_id(),
                tenant_id=case.tenant_id,
                case_id=case.id,
                decision="approved" if to == "delivered" else "changes_requested",
                approver_id=user_id,
                preparer_id=case.prepared_by,
                comment=reason,
            )
        )
    if to == "in_review":
        case.prepared_by = user_id
    elif step.name == "reopen":
        case.prepared_by = None
    case.status = to
    case.status_changed_at = now
    _bump(case)
    change = CaseStatusChange(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        from_status=source,
        to_status=to,
        reason=reason,
        at=now,
        **_actor_row(actor),
    )
    session.add(change)
    await session.flush()
    if to == "submitted" and case.assignee_id is None:
        case.assignee_id = await repo.least_loaded_operator(session, case.tenant_id)
        await session.flush()
    await refresh_case_sla(session, case)
    await record(
        session,
        tenant_id=case.tenant_id,
        actor=actor,
        action="case.status_changed",
        resource_type="case",
        resource_id=case.id,
        details={
            "from": source,
            "to": to,
            "transition": step.name,
            "reason": reason,
            "version": case.version,
        },
    )
    from daiko.partners.events import case_status_changed

    await case_status_changed(session, case, source, change)
    return change


# --------------------------------------------------------------------------- assignment


async def assign(
    session: AsyncSession,
    actor: Principal,
    case: Case,
    assignee_id: uuid.UUID | None,
    *,
    auto: bool = False,
) -> Case:
    """Leads assign anyone assigned to the tenant; an operator may take a case himself.
    `auto`: the tenant's operator with the fewest open cases."""
    lead = may(actor, Action.CASES_ASSIGN, case.tenant_id)
    if not lead:
        taking = not auto and assignee_id is not None and assignee_id == actor.user_id
        if not (taking and may(actor, Action.CASES_WORK, case.tenant_id)):
            raise Forbidden("cases:assign is not allowed (operators may only take a case)")
    if case.status in states.TERMINAL or case.status == "closed":
        raise Conflict(f"a {case.status} case is not assigned")
    if auto:
        assignee_id = await repo.least_loaded_operator(session, case.tenant_id)
    elif (
        assignee_id is not None
        and await repo.operator_role(session, case.tenant_id, assignee_id) is None
    ):
        raise InvalidInput.field("assignee_id", "not an operator assigned to the case's tenant")
    if case.assignee_id == assignee_id:
        return case
    before = case.assignee_id
    case.assignee_id = assignee_id
    _bump(case)
    await session.flush()
    await record(
        session,
        tenant_id=case.tenant_id,
        actor=actor,
        action="case.assigned",
        resource_type="case",
        resource_id=case.id,
        details={
            "from": str(before) if before else None,
            "to": str(assignee_id) if assignee_id else None,
            "auto": auto,
        },
    )
    return case


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class Notification:
    to: str
    subject: str
    body: str


async def post_message(
    session: AsyncSession,
    actor: Principal,
    case: Case,
    *,
    body: str,
    visibility: str,
    mentions: Iterable[uuid.UUID],
    document_id: uuid.UUID | None,
    base_url: str,
) -> tuple[CaseMessage, list[Notification]]:
    """Post a message (client ↔ operators) or an internal note (operators only). Mentioned
    people must belong to the case's tenant (operators only, for a note); each gets a
    mail once the request commits."""
    operator = is_operator_side(actor, case.tenant_id)
    if visibility == "internal":
        if not operator:
            raise Forbidden("internal notes are for operators")
    else:
        require_any(actor, case.tenant_id, Action.CASES_SUBMIT, Action.CASES_WORK)
    if document_id is not None and not await repo.document_exists(
        session, case.tenant_id, document_id
    ):
        raise InvalidInput.field("document_id", "no such document in the case's tenant")
    wanted = list(dict.fromkeys(mentions))
    people = await repo.people_of_tenant(session, case.tenant_id, wanted)
    for index, user_id in enumerate(wanted):
        found = people.get(user_id)
        if found is None:
            raise InvalidInput.field(f"mentions[{index}]", "not a person of the case's tenant")
        if visibility == "internal" and found[1] != "operator":
            raise InvalidInput.field(
                f"mentions[{index}]", "an internal note can mention operators only"
            )
    author = _actor_row(actor)
    message = CaseMessage(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        visibility=visibility,
        body=body,
        author_id=actor.user_id,
        author_client=actor.client_id if actor.kind == "partner" else None,
        author_display=author["actor_display"],
        mentioned_user_ids=wanted,
        document_id=document_id,
        created_at=_now(),
    )
    session.add(message)
    await session.flush()
    for user_id in wanted:
        await repo.add_watcher(session, case, user_id)
    if operator and visibility == "public":
        await refresh_case_sla(session, case)  # the operators' reply answers the client
    await record(
        session,
        tenant_id=case.tenant_id,
        actor=actor,
        action="case.message_posted",
        resource_type="case",
        resource_id=case.id,
        details={
            "message_id": str(message.id),
            "visibility": visibility,
            "mentions": [str(u) for u in wanted],
            "document_id": str(document_id) if document_id else None,
        },
    )
    who = author["actor_display"] or "Someone"
    link = f"{base_url.rstrip('/')}/cases/{case.id}"
    notes = [
        Notification(
            to=people[user_id][0].email,
            subject=f"[Daiko] {who} mentioned you on {case.title}",
            body=(
                f"{who} mentioned you on the case “{case.title}”"
                f"{' in an internal note' if visibility == 'internal' else ''}:\n\n"
                f"{body[:1000]}\n\n{link}\n"
            ),
        )
        for user_id in wanted
        if user_id != actor.user_id
    ]
    return message, notes


# --------------------------------------------------------------------------- watchers


async def watch(
    session: AsyncSession, actor: Principal, case: Case, user_id: uuid.UUID | None
) -> uuid.UUID:
    """Watch a case yourself; operators may add anyone of the tenant."""
    target = user_id or actor.user_id
    if target is None:
        raise InvalidInput.field("user_id", "a partner names the user to add")
    if target != actor.user_id:
        require_any(actor, case.tenant_id, Action.CASES_WORK)
    if target not in await repo.people_of_tenant(session, case.tenant_id, [target]):
        raise InvalidInput.field("user_id", "not a person of the case's tenant")
    if await repo.add_watcher(session, case, target):
        await record(
            session,
            tenant_id=case.tenant_id,
            actor=actor,
            action="case.watcher_added",
            resource_type="case",
            resource_id=case.id,
            details={"user_id": str(target)},
        )
    return target


async def unwatch(session: AsyncSession, actor: Principal, case: Case, user_id: uuid.UUID) -> None:
    if user_id != actor.user_id:
        require_any(actor, case.tenant_id, Action.CASES_WORK)
    if not await repo.remove_watcher(session, case, user_id):
        raise NotFound("not watching this case")
    await record(
        session,
        tenant_id=case.tenant_id,
        actor=actor,
        action="case.watcher_removed",
        resource_type="case",
        resource_id=case.id,
        details={"user_id": str(user_id)},
    )


# --------------------------------------------------------------------------- checklist


async def add_checklist_item(
    session: AsyncSession, actor: Principal, case: Case, item: NewChecklistItem
) -> CaseChecklistItem:
    """Operators list what they need from the client."""
    require_any(actor, case.tenant_id, Action.CASES_WORK)
    row = CaseChecklistItem(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        label=item.label,
        kind=item.kind,
        required=item.required,
        position=await repo.next_checklist_position(session, case),
    )
    session.add(row)
    await session.flush()
    await refresh_case_sla(session, case)  # a missing required input may pause a clock
    await record(
        session,
        tenant_id=case.tenant_id,
        actor=actor,
        action="case.checklist_item_added",
        resource_type="case",
        resource_id=case.id,
        details={"item_id": str(row.id), "label": row.label, "required": row.required},
    )
    return row


async def provide_checklist_item(
    session: AsyncSession,
    actor: Principal,
    case: Case,
    item: CaseChecklistItem,
    *,
    document_id: uuid.UUID | None,
    value: str | None,
) -> CaseChecklistItem:
    """The client (or an operator on its behalf) provides an input: a document of the
    tenant for a document item, a value for a data item."""
    require_any(actor, case.tenant_id, Action.CASES_SUBMIT, Action.CASES_WORK)
    if case.status in states.TERMINAL or case.status == "closed":
        raise Conflict(f"a {case.status} case takes no more inputs")
    if item.kind == "document":
        if document_id is None:
            raise InvalidInput.field("document_id", "this item needs a document")
        if not await repo.document_exists(session, case.tenant_id, document_id):
            raise InvalidInput.field("document_id", "no such document in the case's tenant")
    elif value is None:
        raise InvalidInput.field("value", "this item needs a value")
    item.document_id = document_id
    item.value = value
    item.provided_at = _now()
    item.provided_by = actor.user_id
    item.updated_at = item.provided_at
    await session.flush()
    await refresh_case_sla(session, case)  # the input arrived: a paused clock resumes
    await record(
        session,
        tenant_id=case.tenant_id,
        actor=actor,
        action="case.checklist_item_provided",
        resource_type="case",
        resource_id=case.id,
        details={
            "item_id": str(item.id),
            "document_id": str(document_id) if document_id else None,
        },
    )
    return item


# --------------------------------------------------------------------------- deliverables


async def add_deliverable(
    session: AsyncSession,
    actor: Principal,
    case: Case,
    document_id: uuid.UUID,
    title: str | None,
) -> CaseDeliverable:
    require_any(actor, case.tenant_id, Action.CASES_WORK)
    if case.status in states.TERMINAL:
        raise Conflict(f"a {case.status} case has no deliverables")
    if not await repo.document_exists(session, case.tenant_id, document_id):
        raise InvalidInput.field("document_id", "no such document in the case's tenant")
    if any(d.document_id == document_id for d in await repo.deliverables(session, case)):
        raise Conflict("this document is already a deliverable of the case")
    row = CaseDeliverable(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        document_id=document_id,
        title=title,
        created_by=actor.user_id,
        created_at=_now(),
    )
    session.add(row)
    await session.flush()
    await record(
        session,
        tenant_id=case.tenant_id,
        actor=actor,
        action="case.deliverable_added",
        resource_type="case",
        resource_id=case.id,
        details={"deliverable_id": str(row.id), "document_id": str(document_id)},
    )
    return row
