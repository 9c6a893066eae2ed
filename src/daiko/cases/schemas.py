"""API shapes of the cases domain (msgspec structs)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from daiko.cases.models import (
    Case,
    CaseApproval,
    CaseChecklistItem,
    CaseDeliverable,
    CaseMessage,
    CaseStatusChange,
    CaseWatcher,
)

CaseType = Literal[
    "payroll",
    "bookkeeping_close",
    "si_hire",
    "si_leave",
    "si_dependants",
    "si_santei",
    "si_monthly_change",
    "si_bonus",
    "si_other",
    "inquiry",
]
Priority = Literal["urgent", "high", "normal", "low"]
StatusName = Literal[
    "draft",
    "submitted",
    "accepted",
    "in_progress",
    "waiting_on_client",
    "in_review",
    "delivered",
    "closed",
    "rejected",
    "cancelled",
]
Visibility = Literal["public", "internal"]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
LongText = Annotated[str, msgspec.Meta(min_length=1, max_length=20000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Period = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}(-(0[1-9]|1[0-2]))?$")]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class ChecklistItemCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    label: Title
    kind: Literal["document", "data"] = "document"
    required: bool = True


class CaseCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    type: CaseType
    title: Title
    tenant_id: uuid.UUID | None = None
    """Needed only when you act for more than one tenant."""
    description: LongText | None = None
    period: Period | None = None
    pay_group: Code | None = None
    priority: Priority = "normal"
    draft: bool = False
    """Keep it as a draft (not yet submitted to the operators)."""
    checklist: list[ChecklistItemCreate] = msgspec.field(default_factory=list)


class CaseUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title | msgspec.UnsetType = msgspec.UNSET
    description: LongText | msgspec.UnsetType | None = msgspec.UNSET
    priority: Priority | msgspec.UnsetType = msgspec.UNSET
    period: Period | msgspec.UnsetType | None = msgspec.UNSET


class TransitionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    to: StatusName
    reason: Reason | None = None


class AssignmentRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    assignee_id: uuid.UUID | None = None
    """An operator assigned to the case's tenant; leave out with `auto` to pick the one
    with the fewest open cases, or send null without `auto` to unassign."""
    auto: bool = False


class BulkAssignmentRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    case_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=500)]
    assignee_id: uuid.UUID | None = None
    auto: bool = False


class MessageCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    body: LongText
    visibility: Visibility = "public"
    mentions: Annotated[list[uuid.UUID], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )
    document_id: uuid.UUID | None = None


class WatcherCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    user_id: uuid.UUID | None = None
    """Default: yourself."""


class ChecklistProvide(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    document_id: uuid.UUID | None = None
    value: LongText | None = None


class DeliverableCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    document_id: uuid.UUID
    title: Title | None = None


# --------------------------------------------------------------------------- out


class CaseOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    tenant_id: uuid.UUID
    type: str
    service: str
    title: str
    description: str | None
    period: str | None
    pay_group: str | None
    pay_date: date | None
    priority: str
    status: str
    status_changed_at: datetime
    assignee_id: uuid.UUID | None
    requester_id: uuid.UUID | None
    requester_client: str | None
    prepared_by: uuid.UUID | None
    due_at: datetime | None
    statutory_due_at: datetime | None
    recurring: bool
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: Case) -> CaseOut:
        return cls(
            id=c.id,
            tenant_id=c.tenant_id,
            type=c.type,
            service=c.service,
            title=c.title,
            description=c.description,
            period=c.period,
            pay_group=c.pay_group,
            pay_date=c.pay_date,
            priority=c.priority,
            status=c.status,
            status_changed_at=c.status_changed_at,
            assignee_id=c.assignee_id,
            requester_id=c.requester_id,
            requester_client=c.requester_client,
            prepared_by=c.prepared_by,
            due_at=c.due_at,
            statutory_due_at=c.statutory_due_at,
            recurring=c.recurrence_key is not None,
            version=c.version,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


class CasePage(msgspec.Struct, kw_only=True):
    items: list[CaseOut]
    next_cursor: str | None


class StatusChangeOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    from_status: str | None
    to_status: str
    at: datetime
    actor_kind: str
    actor_id: uuid.UUID | None
    actor_display: str | None
    reason: str | None

    @classmethod
    def of(cls, s: CaseStatusChange) -> StatusChangeOut:
        return cls(
            id=s.id,
            from_status=s.from_status,
            to_status=s.to_status,
            at=s.at,
            actor_kind=s.actor_kind,
            actor_id=s.actor_id,
            actor_display=s.actor_display,
            reason=s.reason,
        )


class MessageOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    case_id: uuid.UUID
    visibility: str
    body: str
    author_id: uuid.UUID | None
    author_client: str | None
    author_display: str | None
    mentions: list[uuid.UUID]
    document_id: uuid.UUID | None
    created_at: datetime

    @classmethod
    def of(cls, m: CaseMessage) -> MessageOut:
        return cls(
            id=m.id,
            case_id=m.case_id,
            visibility=m.visibility,
            body=m.body,
            author_id=m.author_id,
            author_client=m.author_client,
            author_display=m.author_display,
            mentions=list(m.mentioned_user_ids),
            document_id=m.document_id,
            created_at=m.created_at,
        )


class ChecklistItemOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    case_id: uuid.UUID
    label: str
    kind: str
    required: bool
    position: int
    provided_at: datetime | None
    provided_by: uuid.UUID | None
    document_id: uuid.UUID | None
    value: str | None

    @classmethod
    def of(cls, i: CaseChecklistItem) -> ChecklistItemOut:
        return cls(
            id=i.id,
            case_id=i.case_id,
            label=i.label,
            kind=i.kind,
            required=i.required,
            position=i.position,
            provided_at=i.provided_at,
            provided_by=i.provided_by,
            document_id=i.document_id,
            value=i.value,
        )


class WatcherOut(msgspec.Struct, kw_only=True):
    user_id: uuid.UUID
    created_at: datetime

    @classmethod
    def of(cls, w: CaseWatcher) -> WatcherOut:
        return cls(user_id=w.user_id, created_at=w.created_at)


class DeliverableOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    case_id: uuid.UUID
    document_id: uuid.UUID
    title: str | None
    created_by: uuid.UUID | None
    created_at: datetime

    @classmethod
    def of(cls, d: CaseDeliverable) -> DeliverableOut:
        return cls(
            id=d.id,
            case_id=d.case_id,
            document_id=d.document_id,
            title=d.title,
            created_by=d.created_by,
            created_at=d.created_at,
        )


class ApprovalOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    decision: str
    approver_id: uuid.UUID | None
    preparer_id: uuid.UUID | None
    comment: str | None
    created_at: datetime

    @classmethod
    def of(cls, a: CaseApproval) -> ApprovalOut:
        return cls(
            id=a.id,
            decision=a.decision,
            approver_id=a.approver_id,
            preparer_id=a.preparer_id,
            comment=a.comment,
            created_at=a.created_at,
        )


class AllowedTransition(msgspec.Struct, kw_only=True):
    to: str
    name: str
    reason_required: bool


class TransitionsOut(msgspec.Struct, kw_only=True):
    current: str
    version: int
    allowed: list[AllowedTransition]


class CaseDetail(msgspec.Struct, kw_only=True):
    case: CaseOut
    history: list[StatusChangeOut]
    checklist: list[ChecklistItemOut]
    messages: list[MessageOut]
    watchers: list[WatcherOut]
    deliverables: list[DeliverableOut]
    approvals: list[ApprovalOut]
    allowed_transitions: list[AllowedTransition]


class AssignmentResult(msgspec.Struct, kw_only=True):
    items: list[CaseOut]
