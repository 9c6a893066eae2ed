"""JSON shapes of the social-insurance API (msgspec)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec

from daiko.social_insurance import catalogue
from daiko.social_insurance.models import (
    SiProcedure,
    SiProcedureDocument,
    SiProcedureEvent,
    SiReview,
    SiReviewItem,
)

LifeEventName = Literal["hire", "leave", "dependants_change", "bonus"]
RecordableStatus = Literal["arrived", "under_review", "completed", "returned", "cancelled"]
ReviewKind = Literal["santei", "monthly_change"]


class LifeEventIn(msgspec.Struct, forbid_unknown_fields=True):
    employee_id: uuid.UUID
    event: LifeEventName
    event_date: dt.date
    tenant_id: uuid.UUID | None = None
    # bonus: {"amount": 500000}; hire: {"weekly_hours": 40, "monthly_remuneration": …};
    # leave: {"rishoku": true, "leave_reason": "自己都合"}
    inputs: dict[str, Any] = msgspec.field(default_factory=dict)


class StatusIn(msgspec.Struct, forbid_unknown_fields=True):
    status: RecordableStatus
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    document_id: uuid.UUID | None = None


class FilingIn(msgspec.Struct, forbid_unknown_fields=True):
    submit: bool = False


class FilingOut(msgspec.Struct):
    job_id: uuid.UUID


class ReviewIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: ReviewKind
    period: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}(-[0-9]{2})?$")]
    tenant_id: uuid.UUID | None = None


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    decision: Literal["approve", "dismiss"]


class ProcedureOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    case_id: uuid.UUID
    employee_id: uuid.UUID | None
    kind: str
    title: str
    office: str
    event: str
    event_date: dt.date
    status: str
    due_date: dt.date | None
    clock_started_on: dt.date
    arrival_id: str | None
    return_reason: str | None
    inputs: dict[str, Any]
    data_file: bool

    @classmethod
    def of(cls, p: SiProcedure) -> ProcedureOut:
        spec = catalogue.SPECS[p.kind]
        return cls(
            id=p.id,
            tenant_id=p.tenant_id,
            case_id=p.case_id,
            employee_id=p.employee_id,
            kind=p.kind,
            title=spec.title,
            office=spec.office,
            event=p.event,
            event_date=p.event_date,
            status=p.status,
            due_date=p.due_date,
            clock_started_on=p.clock_started_on,
            arrival_id=p.arrival_id,
            return_reason=p.return_reason,
            inputs=dict(p.inputs or {}),
            data_file="data_csv" in spec.outputs,
        )


class EventOut(msgspec.Struct):
    from_status: str | None
    to_status: str
    actor: str | None
    note: str | None
    document_id: uuid.UUID | None
    at: dt.datetime

    @classmethod
    def of(cls, e: SiProcedureEvent) -> EventOut:
        return cls(e.from_status, e.to_status, e.actor_display, e.note, e.document_id, e.at)


class DocumentOut(msgspec.Struct):
    kind: str
    document_id: uuid.UUID
    filename: str
    sha256: str

    @classmethod
    def of(cls, d: SiProcedureDocument) -> DocumentOut:
        return cls(d.kind, d.document_id, d.filename, d.sha256)


class ProcedureDetail(msgspec.Struct):
    procedure: ProcedureOut
    history: list[EventOut]
    documents: list[DocumentOut]


class ProcedurePage(msgspec.Struct):
    items: list[ProcedureOut]
    next_cursor: str | None


class ProceduresCreated(msgspec.Struct):
    items: list[ProcedureOut]


class ItemOut(msgspec.Struct):
    id: uuid.UUID
    employee_id: uuid.UUID
    status: str
    current_health: int | None
    current_pension: int | None
    new_health: int | None
    new_pension: int | None
    average: int | None
    effective_month: dt.date | None
    months: list[dict[str, Any]]
    reason: str
    procedure_id: uuid.UUID | None

    @classmethod
    def of(cls, i: SiReviewItem) -> ItemOut:
        return cls(
            i.id,
            i.employee_id,
            i.status,
            i.current_health,
            i.current_pension,
            i.new_health,
            i.new_pension,
            i.average,
            i.effective_month,
            list(i.months or []),
            i.reason,
            i.procedure_id,
        )


class ReviewOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    kind: str
    period: str
    status: str
    case_id: uuid.UUID | None
    summary: dict[str, Any]

    @classmethod
    def of(cls, r: SiReview) -> ReviewOut:
        return cls(r.id, r.tenant_id, r.kind, r.period, r.status, r.case_id, dict(r.summary or {}))


class ReviewDetail(msgspec.Struct):
    review: ReviewOut
    items: list[ItemOut]


class ReviewPage(msgspec.Struct):
    items: list[ReviewOut]
    next_cursor: str | None


Relationship = Literal["spouse", "child", "parent", "grandchild", "sibling", "other"]


class OfficeIn(msgspec.Struct, forbid_unknown_fields=True):
    prefecture_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{2}$")]
    area_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{2}$")]
    office_code: Annotated[str, msgspec.Meta(min_length=1, max_length=4)]
    office_number: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,5}$")]
    zip_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{7}$")]
    address: Annotated[str, msgspec.Meta(min_length=1, max_length=75)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    owner_name: Annotated[str, msgspec.Meta(min_length=1, max_length=25)]
    phone: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{2,5}-[0-9]{1,4}-[0-9]{4,5}$")]
    koyo_office_number: Annotated[str, msgspec.Meta(max_length=13)] | None = None
    tenant_id: uuid.UUID | None = None


class OfficeOut(msgspec.Struct):
    tenant_id: uuid.UUID
    prefecture_code: str
    area_code: str
    office_code: str
    office_number: str
    zip_code: str
    address: str
    name: str
    owner_name: str
    phone: str
    koyo_office_number: str | None


class DependentIn(msgspec.Struct, forbid_unknown_fields=True):
    employee_id: uuid.UUID
    family_name: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    given_name: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    family_name_kana: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    given_name_kana: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    birth_date: dt.date
    relationship: Relationship
    started_on: dt.date
    annual_income: Annotated[int, msgspec.Meta(ge=0)] = 0
    ended_on: dt.date | None = None
    my_number: str | None = None
    tenant_id: uuid.UUID | None = None


class DependentOut(msgspec.Struct):
    id: uuid.UUID
    employee_id: uuid.UUID
    name: str
    birth_date: dt.date
    relationship: str
    annual_income: int
    my_number: str | None  # masked: ********9885
    started_on: dt.date
    ended_on: dt.date | None

    @classmethod
    def of(cls, d: Any) -> DependentOut:
        return cls(
            d.id,
            d.employee_id,
            d.full_name,
            d.birth_date,
            d.relationship,
            d.annual_income,
            "*" * 8 + d.my_number_last4 if d.my_number_last4 else None,
            d.started_on,
            d.ended_on,
        )
