"""Social-insurance rules: life events open procedures, the submission lifecycle, 返戻,
filing requests, and the 算定/月変 review decisions. Services only flush; the edge
commits. Every change is audited in the same transaction.

Lifecycle of a procedure (one form to one office):

```
draft → ready → submitted → arrived → under_review → completed
  │       │         └──────────┴───────────┴──→ returned → ready / submitted …
  └───────┴──→ cancelled
```

`ready` means its forms have been generated; the filing job moves it to `submitted`
(e-Gov answered an 到達番号). A 返戻 attaches the official reply, reopens the case if
it had been delivered or closed, and restarts the procedure's clock from the day the
reply came back (`catalogue.resubmission_due`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import Actor, SystemActor, record
from daiko.auth.principal import Principal
from daiko.cases.models import Case
from daiko.errors import Conflict, DaikoError, InvalidInput, NotFound
from daiko.ids import new_id
from daiko.social_insurance import catalogue
from daiko.social_insurance import repository as repo
from daiko.social_insurance.models import (
    SiProcedure,
    SiProcedureEvent,
    SiReview,
    SiReviewItem,
)

JST = ZoneInfo("Asia/Tokyo")
LifeEvent = Literal["hire", "leave", "dependants_change", "bonus"]

# status → the statuses it may move to
MOVES: dict[str, frozenset[str]] = {
    "draft": frozenset({"ready", "submitted", "cancelled"}),
    "ready": frozenset({"draft", "submitted", "cancelled"}),
    "submitted": frozenset({"arrived", "under_review", "completed", "returned"}),
    "arrived": frozenset({"under_review", "completed", "returned"}),
    "under_review": frozenset({"completed", "returned"}),
    "returned": frozenset({"ready", "submitted", "cancelled"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
}
# What an operator may record by hand (paper filings, or ahead of the status poll).
RECORDABLE = ("arrived", "under_review", "completed", "returned", "cancelled")
OPEN = frozenset({"draft", "ready", "submitted", "arrived", "under_review", "returned"})
STATUS_EVENT = "social_insurance.procedure_status_changed"


def today_jst() -> dt.date:
    return datetime.now(JST).date()


def _display(actor: Actor) -> str:
    if isinstance(actor, SystemActor):
        return actor.name
    if isinstance(actor, Principal):
        if actor.kind == "partner":
            return f"partner:{actor.client_id}"
        return actor.display_name or actor.email or "user"
    return "system"


def _user_id(actor: Actor) -> uuid.UUID | None:
    return actor.user_id if isinstance(actor, Principal) else None


async def _publish(session: AsyncSession, procedure: SiProcedure) -> None:
    """Tell partner subscribers, once the event type is registered with the partner API."""
    try:
        from daiko.partners import events
    except ImportError:  # pragma: no cover - the partner API is optional
        return
    if STATUS_EVENT not in events.EVENT_TYPES:
        return
    await events.publish(
        session,
        tenant_id=procedure.tenant_id,
        type=STATUS_EVENT,
        data={
            "procedure_id": str(procedure.id),
            "case_id": str(procedure.case_id),
            "kind": procedure.kind,
            "status": procedure.status,
            "due_date": procedure.due_date.isoformat() if procedure.due_date else None,
        },
    )


# ------------------------------------------------------------------ life events


async def _tenant_subscribes(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    from daiko.cases import repository as cases_repo

    tenant = await cases_repo.tenant(session, tenant_id)
    return tenant is not None and "social_insurance" in (tenant.services or [])


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


async def open_si_case(
    session: AsyncSession,
    actor: Principal | SystemActor,
    tenant_id: uuid.UUID,
    case_type: str,
    title: str,
    event_date: dt.date,
    period: str | None = None,
) -> Case:
    from daiko.cases import service as cases

    return await cases.open_case(
        session,
        actor,
        cases.NewCase(
            tenant_id=tenant_id,
            type=case_type,
            title=title[:200],
            period=period,
            pay_date=event_date,  # the date of the fact drives the statutory clocks
            status="submitted",
        ),
        reason="opened by a life event",
    )


async def add_procedure(
    session: AsyncSession,
    actor: Principal | SystemActor,
    case: Case,
    *,
    kind: str,
    event: str,
    event_date: dt.date,
    employee_id: uuid.UUID | None,
    inputs: Mapping[str, Any],
    clock_date: dt.date | None = None,
    review_id: uuid.UUID | None = None,
) -> SiProcedure:
    procedure = SiProcedure(
        tenant_id=case.tenant_id,
        id=new_id(),
        case_id=case.id,
        employee_id=employee_id,
        kind=kind,
        event=event,
        event_date=event_date,
        status="draft",
        due_date=catalogue.due_date(kind, clock_date or event_date),
        clock_started_on=clock_date or event_date,
        inputs=dict(inputs),
        review_id=review_id,
        version=1,
    )
    session.add(procedure)
    await session.flush()
    session.add(
        SiProcedureEvent(
            tenant_id=case.tenant_id,
            id=new_id(),
            procedure_id=procedure.id,
            from_status=None,
            to_status="draft",
            actor_display=_display(actor),
            note=catalogue.SPECS[kind].title,
        )
    )
    await session.flush()
    await record(
        session,
        tenant_id=case.tenant_id,
        actor=actor,
        action="si_procedure.created",
        resource_type="si_procedure",
        resource_id=procedure.id,
        details={
            "kind": kind,
            "case_id": str(case.id),
            "event_date": event_date.isoformat(),
            "due_date": procedure.due_date.isoformat() if procedure.due_date else None,
        },
    )
    return procedure


def _kinds_for(event: str, employee: Any, inputs: Mapping[str, Any]) -> list[str]:
    kinds = list(catalogue.BY_EVENT[event])
    if not getattr(employee, "social_insurance_enrolled", True):
        kinds = [k for k in kinds if not k.startswith("shaho") and k not in ("bonus",)]
    if not getattr(employee, "employment_insurance_enrolled", True):
        kinds = [k for k in kinds if not k.startswith("koyo")]
    if event == "dependants_change" and not getattr(employee, "social_insurance_enrolled", True):
        kinds = []
    return kinds


async def on_life_event(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    employee_id: uuid.UUID,
    event: LifeEvent,
    event_date: dt.date,
    actor: Principal | SystemActor,
    inputs: Mapping[str, Any] | None = None,
) -> list[SiProcedure]:
    """Open the procedures a life event requires (a hire: 健保厚年 取得届 + 雇用保険
    取得届; a leave: 喪失届 ×2 with the 離職証明書; a dependants change: 被扶養者(異動)届;
    a bonus: 賞与支払届), under one new case of the event's type. Idempotent: the same
    event for the same person and date returns the procedures already open. A tenant
    that does not subscribe to social insurance gets none."""
    if event not in catalogue.LIFE_EVENTS:
        raise InvalidInput.field("event", f"one of {', '.join(catalogue.LIFE_EVENTS)}")
    from daiko.employees import repository as employees_repo

    employee = await employees_repo.get_employee(session, tenant_id, employee_id)
    if employee is None:
        raise NotFound("no such employee")
    if not await _tenant_subscribes(session, tenant_id):
        return []
    given = dict(inputs or {})
    kinds = _kinds_for(event, employee, given)
    existing = [
        p
        for k in kinds
        if (p := await repo.open_procedure(session, tenant_id, employee_id, k, event_date))
        is not None
    ]
    if existing and len(existing) == len(kinds):
        return existing
    if not kinds:
        return []
    spec = catalogue.SPECS[kinds[0]]
    name = f"{employee.family_name} {employee.given_name}"
    labels = {
        "hire": "資格取得",
        "leave": "資格喪失",
        "dependants_change": "被扶養者異動",
        "bonus": "賞与支払届",
    }
    from daiko.auth.policy import Action
    from daiko.cases.service import may

    # Someone allowed to enter the fact (a partner with social_insurance:write) need not
    # be allowed to open cases: the system opens it for them.
    case_actor: Principal | SystemActor = (
        actor
        if may(actor, Action.CASES_SUBMIT, tenant_id) or may(actor, Action.CASES_WORK, tenant_id)
        else HOOK_ACTOR
    )
    case = await open_si_case(
        session,
        case_actor,
        tenant_id,
        spec.case_type,
        f"{labels[event]} {employee.code} {name} {event_date:%Y-%m-%d}",
        event_date,
    )
    if event == "leave":
        age = _age_on(employee.birth_date, event_date)
        given.setdefault("rishoku", bool(given.get("rishoku")) or age >= 59)
        given.setdefault("leave_reason", employee.leave_reason or "")
    if event == "hire":
        given.setdefault("monthly_remuneration", employee.base_amount)
    out: list[SiProcedure] = []
    have = {p.kind: p for p in existing}
    for kind in kinds:
        if kind in have:
            out.append(have[kind])
            continue
        out.append(
            await add_procedure(
                session,
                actor,
                case,
                kind=kind,
                event=event,
                event_date=event_date,
                employee_id=employee_id,
                inputs=given,
            )
        )
    return out


# ------------------------------------------------------------------ lifecycle


def check_move(current: str, to: str) -> None:
    if to not in MOVES.get(current, frozenset()):
        allowed = sorted(MOVES.get(current, frozenset()))
        raise Conflict(
            f"a {current} procedure cannot move to {to}",
            errors=[{"field": "status", "reason": f"allowed: {', '.join(allowed) or 'none'}"}],
        )


async def move(
    session: AsyncSession,
    actor: Actor,
    procedure: SiProcedure,
    to: str,
    *,
    note: str | None = None,
    document_id: uuid.UUID | None = None,
    arrival_id: str | None = None,
) -> SiProcedure:
    """One status change, with its history row, audit and partner event."""
    check_move(procedure.status, to)
    before = procedure.status
    now = datetime.now(UTC)
    procedure.status = to
    procedure.version += 1
    if to == "submitted":
        procedure.submitted_at = now
        if arrival_id:
            procedure.arrival_id = arrival_id
    elif to == "completed":
        procedure.completed_at = now
    elif to == "returned":
        returned_on = today_jst()
        procedure.returned_at = now
        procedure.return_reason = note
        procedure.clock_started_on = returned_on
        procedure.due_date = catalogue.resubmission_due(procedure.kind, returned_on)
    session.add(
        SiProcedureEvent(
            tenant_id=procedure.tenant_id,
            id=new_id(),
            procedure_id=procedure.id,
            from_status=before,
            to_status=to,
            actor_display=_display(actor),
            note=note,
            document_id=document_id,
        )
    )
    await session.flush()
    await record(
        session,
        tenant_id=procedure.tenant_id,
        actor=actor,
        action="si_procedure.status_changed",
        resource_type="si_procedure",
        resource_id=procedure.id,
        details={
            "from": before,
            "to": to,
            "note": (note or "")[:500] or None,
            "document_id": str(document_id) if document_id else None,
            "due_date": procedure.due_date.isoformat() if procedure.due_date else None,
        },
    )
    if to == "returned":
        await _reopen_case(session, procedure, note)
    await _publish(session, procedure)
    return procedure


async def _reopen_case(session: AsyncSession, procedure: SiProcedure, note: str | None) -> None:
    from daiko.cases import repository as cases_repo
    from daiko.cases import service as cases

    case = await cases_repo.get_case(session, procedure.case_id)
    if case is None or case.status not in ("delivered", "closed"):
        return
    await cases.transition(
        session,
        SystemActor("social_insurance.returned", "返戻"),
        case,
        "in_progress",
        f"返戻 ({catalogue.SPECS[procedure.kind].title}): {note or ''}".strip(),
    )


async def record_status(
    session: AsyncSession,
    actor: Actor,
    procedure: SiProcedure,
    to: str,
    *,
    note: str | None = None,
    document_id: uuid.UUID | None = None,
) -> SiProcedure:
    """An operator records what the office answered (or a paper filing's progress). A
    返戻 needs the reason and the official reply as a document of the tenant."""
    if to not in RECORDABLE:
        raise InvalidInput.field("status", f"one of {', '.join(RECORDABLE)}")
    check_move(procedure.status, to)
    if to == "returned":
        if not (note or "").strip():
            raise InvalidInput.field("note", "say why the office returned it")
        if document_id is None:
            raise InvalidInput.field("document_id", "attach the official reply (返戻通知)")
    if document_id is not None:
        await _check_document(session, procedure, document_id)
        await _link_reply(session, procedure, document_id)
    return await move(session, actor, procedure, to, note=note, document_id=document_id)


async def _check_document(
    session: AsyncSession, procedure: SiProcedure, document_id: uuid.UUID
) -> None:
    from daiko.documents import repository as documents_repo

    document = await documents_repo.get_document(session, document_id)
    if document is None or document.tenant_id != procedure.tenant_id:
        raise InvalidInput.field("document_id", "no such document in this tenant")


async def _link_reply(
    session: AsyncSession, procedure: SiProcedure, document_id: uuid.UUID
) -> None:
    from daiko.social_insurance.models import SiProcedureDocument

    session.add(
        SiProcedureDocument(
            tenant_id=procedure.tenant_id,
            id=new_id(),
            procedure_id=procedure.id,
            kind="reply",
            document_id=document_id,
            filename="reply",
            sha256="",
        )
    )
    await session.flush()


async def request_filing(
    session: AsyncSession, actor: Actor, procedure: SiProcedure, *, submit: bool
) -> uuid.UUID:
    """Queue the filing job: render the forms (and data file), and with `submit` send
    them through e-Gov. Returns the job id."""
    from daiko.jobs import service as jobs
    from daiko.jobs.kinds import JobKind

    if procedure.status not in ("draft", "ready", "returned"):
        raise Conflict(f"a {procedure.status} procedure is not filed again")
    if await repo.office(session, procedure.tenant_id) is None:
        raise InvalidInput.field("office", "record the 事業所 (整理記号, 番号, address) first")
    if procedure.kind in ("santei", "monthly_change") and not await _approved_items(
        session, procedure
    ):
        raise InvalidInput.field("review_items", "approve at least one result of the review first")
    job = await jobs.enqueue(
        session,
        procedure.tenant_id,
        JobKind.SOCIAL_INSURANCE_FILE,
        {"procedure_id": str(procedure.id), "submit": submit},
        created_by=_user_id(actor),
    )
    procedure.file_job_id = job.id
    await session.flush()
    return job.id


async def _approved_items(session: AsyncSession, procedure: SiProcedure) -> list[SiReviewItem]:
    if procedure.kind == "monthly_change":
        item_id = procedure.inputs.get("review_item_id")
        item = await repo.get_item(session, uuid.UUID(item_id)) if item_id else None
        return [item] if item is not None and item.status == "approved" else []
    if procedure.review_id is None:
        return []
    review = await repo.get_review(session, procedure.review_id)
    if review is None:
        return []
    return [i for i in await repo.items_of(session, review) if i.status == "approved"]


# ------------------------------------------------------------------ reviews


async def request_review(
    session: AsyncSession,
    actor: Principal | SystemActor,
    tenant_id: uuid.UUID,
    kind: str,
    period: str,
) -> SiReview:
    """Start (or restart) building a 算定基礎 (`period` = year) or 月額変更 (`period` =
    the month the changed wage was first paid) review list."""
    from daiko.jobs import service as jobs
    from daiko.jobs.kinds import JobKind

    if kind == "santei":
        if len(period) != 4 or not period.isdigit():
            raise InvalidInput.field("period", "a year, e.g. 2026")
    elif kind == "monthly_change":
        try:
            dt.date.fromisoformat(period + "-01")
        except ValueError:
            raise InvalidInput.field("period", "a month, e.g. 2026-04") from None
    else:
        raise InvalidInput.field("kind", "santei or monthly_change")
    review = await repo.find_review(session, tenant_id, kind, period)
    if review is not None and review.status == "closed":
        raise Conflict(f"the {kind} review of {period} is closed")
    if review is None:
        review = SiReview(tenant_id=tenant_id, id=new_id(), kind=kind, period=period)
        session.add(review)
    review.status = "building"
    await session.flush()
    job = await jobs.enqueue(
        session,
        tenant_id,
        JobKind.SOCIAL_INSURANCE_REVIEW,
        {"review_id": str(review.id)},
        created_by=_user_id(actor),
    )
    review.job_id = job.id
    await session.flush()
    await record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="si_review.requested",
        resource_type="si_review",
        resource_id=review.id,
        details={"kind": kind, "period": period},
    )
    return review


async def decide_item(
    session: AsyncSession,
    actor: Principal | SystemActor,
    item: SiReviewItem,
    decision: Literal["approve", "dismiss"],
) -> SiReviewItem:
    """Approve: the employee's recorded grade gets the new 標準報酬月額 from the
    effective month (employees' grade history), and a 月額変更 opens its procedure.
    Dismiss: nothing is recorded."""
    from daiko.employees import repository as employees_repo
    from daiko.employees import service as employees

    if item.status != "proposed":
        raise Conflict(f"this result is already {item.status}")
    review = await repo.get_review(session, item.review_id)
    if review is None:
        raise NotFound("no such review")
    if decision == "dismiss":
        item.status = "dismissed"
        await session.flush()
        await record(
            session,
            tenant_id=item.tenant_id,
            actor=actor,
            action="si_review.item_dismissed",
            resource_type="si_review_item",
            resource_id=item.id,
            details={"employee_id": str(item.employee_id)},
        )
        return item
    if item.new_health is None or item.new_pension is None or item.effective_month is None:
        raise Conflict("this result decides no grade")
    employee = await employees_repo.get_employee(session, item.tenant_id, item.employee_id)
    if employee is None:
        raise NotFound("no such employee")
    await employees.add_grade(
        session,
        actor,
        employee,
        effective_month=item.effective_month,
        health_standard=item.new_health,
        pension_standard=item.new_pension,
        reason="annual" if review.kind == "santei" else "change",
        source_ref=f"si_review_item:{item.id}",
    )
    item.status = "approved"
    item.approved_by = _user_id(actor)
    item.approved_at = datetime.now(UTC)
    await session.flush()
    if review.kind == "monthly_change":
        today = today_jst()
        case = await open_si_case(
            session,
            actor,
            item.tenant_id,
            "si_monthly_change",
            f"月額変更 {employee.code} {employee.family_name} {employee.given_name} "
            f"{item.effective_month:%Y-%m}",
            today,
        )
        procedure = await add_procedure(
            session,
            actor,
            case,
            kind="monthly_change",
            event="monthly_change",
            event_date=today,
            employee_id=employee.id,
            inputs={"review_item_id": str(item.id)},
            review_id=review.id,
        )
        item.procedure_id = procedure.id
        await session.flush()
    await record(
        session,
        tenant_id=item.tenant_id,
        actor=actor,
        action="si_review.item_approved",
        resource_type="si_review_item",
        resource_id=item.id,
        details={
            "employee_id": str(item.employee_id),
            "effective_month": f"{item.effective_month:%Y-%m}",
            "health_standard": item.new_health,
            "pension_standard": item.new_pension,
        },
    )
    return item


def months_json(rows: Sequence[tuple[dt.date, int, int, str | None]]) -> list[dict[str, Any]]:
    return [
        {"month": f"{m:%Y-%m}", "remuneration": pay, "base_days": days, "excluded": why}
        for m, pay, days, why in rows
    ]


# ------------------------------------------------------------------ employee-master hooks

# A master record whose fact is older than this is data entry of the past (an initial
# load of existing staff), not a new fact to file.
HOOK_WINDOW = dt.timedelta(days=60)
HOOK_ACTOR = SystemActor("social_insurance.life_event", "Life event")


async def on_employee_event(
    session: AsyncSession, employee: Any, event: Literal["hire", "leave"]
) -> list[SiProcedure]:
    """Called by the employee master after a hire is recorded or a leave date set: opens
    the procedures when the fact is recent (within `HOOK_WINDOW` of today, or ahead),
    as the system (the person who entered it need not be allowed to open cases). Runs in
    a savepoint: a refusal here never undoes the master change; it is logged."""
    import structlog

    day = employee.hire_date if event == "hire" else employee.leave_date
    if day is None or day < today_jst() - HOOK_WINDOW:
        return []
    try:
        async with session.begin_nested():
            return await on_life_event(
                session,
                tenant_id=employee.tenant_id,
                employee_id=employee.id,
                event=event,
                event_date=day,
                actor=HOOK_ACTOR,
            )
    except (DaikoError, LookupError) as exc:
        structlog.get_logger("daiko.social_insurance").warning(
            "life event not opened", employee_id=str(employee.id), event=event, error=str(exc)
        )
        return []


# ------------------------------------------------------------------ office and dependants


async def set_office(
    session: AsyncSession, actor: Actor, tenant_id: uuid.UUID, values: Mapping[str, Any]
) -> Any:
    """Record (or replace) the tenant's 事業所 record; the data files need it exactly."""
    from daiko.social_insurance.datafile import office_record
    from daiko.social_insurance.models import SiOffice

    row = await repo.office(session, tenant_id)
    if row is None:
        row = SiOffice(tenant_id=tenant_id, id=new_id())
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    try:
        office_record(_as_office(row)).encode("cp932")
    except (ValueError, UnicodeEncodeError) as exc:
        raise InvalidInput.field("office", f"not writable in a data file: {exc}") from None
    await session.flush()
    await record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="si_office.set",
        resource_type="si_office",
        resource_id=row.id,
        details={"fields": sorted(values)},
    )
    return row


def _as_office(row: Any) -> Any:
    from daiko.social_insurance.datafile import Office

    return Office(
        prefecture_code=row.prefecture_code,
        area_code=row.area_code,
        office_code=row.office_code,
        office_number=row.office_number,
        zip_code=row.zip_code,
        address=row.address,
        name=row.name,
        owner_name=row.owner_name,
        phone=row.phone,
    )


async def add_dependent(
    session: AsyncSession,
    actor: Actor,
    tenant_id: uuid.UUID,
    employee_id: uuid.UUID,
    values: Mapping[str, Any],
    my_number: str | None,
) -> Any:
    """A 被扶養者 of an employee; the My Number (check digit verified) sealed with the
    tenant's field key, only its last four digits kept in clear."""
    from daiko.employees import repository as employees_repo
    from daiko.employees import rules
    from daiko.security.fields import encrypt_field
    from daiko.social_insurance.models import DEPENDENT_MY_NUMBER_PURPOSE, SiDependent

    if await employees_repo.get_employee(session, tenant_id, employee_id) is None:
        raise NotFound("no such employee")
    dependent = SiDependent(tenant_id=tenant_id, id=new_id(), employee_id=employee_id, **values)
    if my_number:
        try:
            digits = rules.my_number(my_number)
        except ValueError as exc:
            raise InvalidInput.field("my_number", str(exc)) from None
        dependent.my_number_token = await encrypt_field(
            session, tenant_id, digits, purpose=DEPENDENT_MY_NUMBER_PURPOSE
        )
        dependent.my_number_last4 = digits[-4:]
    session.add(dependent)
    await session.flush()
    await record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="si_dependent.added",
        resource_type="si_dependent",
        resource_id=dependent.id,
        details={
            "employee_id": str(employee_id),
            "relationship": dependent.relationship,
            "masked": "*" * 8 + dependent.my_number_last4 if dependent.my_number_last4 else None,
        },
    )
    return dependent
