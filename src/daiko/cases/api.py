"""Cases API: the hand-off between client staff and operators.

A case is loaded through the request's tenant-scoped session, so another tenant's case
is a 404 before any permission is checked; in scope but without the permission, 403.
Routes used by both sides (client and operator) declare `cases:read` for the router
guard and check the precise action in the case's tenant in the service.

Optimistic concurrency: GET returns the case's version as its ETag. PATCH requires
If-Match (428 without it); a transition honours it when sent. A stale tag answers 412
and changes nothing, so of two operators saving the same case the second learns it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import msgspec
import structlog
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.background_tasks import BackgroundTask
from litestar.params import HeaderParameter, Parameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, allows, authorize, require_principal
from daiko.auth.principal import Principal
from daiko.cases import repository as repo
from daiko.cases import service
from daiko.cases.models import Case
from daiko.cases.schemas import (
    AllowedTransition,
    ApprovalOut,
    AssignmentRequest,
    AssignmentResult,
    BulkAssignmentRequest,
    CaseCreate,
    CaseDetail,
    CaseOut,
    CasePage,
    CaseType,
    CaseUpdate,
    ChecklistItemCreate,
    ChecklistItemOut,
    ChecklistProvide,
    DeliverableCreate,
    DeliverableOut,
    MessageCreate,
    MessageOut,
    Priority,
    StatusChangeOut,
    StatusName,
    TransitionRequest,
    TransitionsOut,
    WatcherCreate,
    WatcherOut,
)
from daiko.config import Settings
from daiko.errors import InvalidInput, NotFound
from daiko.mail import Mail, send_mail
from daiko.pagination import cursor_after
from daiko.runtime import Runtime

log = structlog.get_logger("daiko.cases")
MAX_PAGE = 200
IfMatch = Annotated[
    str | None, HeaderParameter(name="If-Match", description="The ETag of the case you read")
]


async def _case(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, *, for_update: bool = False
) -> Case:
    case = await repo.get_case(session, case_id, for_update=for_update)
    if case is None or case.tenant_id not in principal.scope:
        raise NotFound("no such case")
    authorize(principal, Action.CASES_READ, case.tenant_id)
    return case


def _allowed(principal: Principal, case: Case) -> list[AllowedTransition]:
    return [
        AllowedTransition(to=t.target, name=t.name, reason_required=t.reason_required)
        for t in service.allowed_transitions(principal, case)
    ]


def _with_etag(content: Any, case: Case, status_code: int = HTTP_200_OK) -> Response[Any]:
    return Response(content, status_code=status_code, headers={"ETag": service.etag(case)})


async def _send_notifications(settings: Settings, notes: Sequence[service.Notification]) -> None:
    """After the response (so after commit): a failed mail never undoes the message."""
    for note in notes:
        try:
            await send_mail(settings, Mail(to=note.to, subject=note.subject, body=note.body))
        except Exception:
            log.exception("mention mail failed", to_domain=note.to.rpartition("@")[2])


async def _create_tenant(principal: Principal, tenant_id: uuid.UUID | None) -> uuid.UUID:
    if tenant_id is not None:
        if tenant_id not in principal.scope:
            raise NotFound("no such tenant")
        return tenant_id
    able = [
        t
        for t in principal.scope.tenant_ids
        if allows(principal, Action.CASES_SUBMIT, t) or allows(principal, Action.CASES_WORK, t)
    ]
    if len(able) == 1:
        return able[0]
    if not able and len(principal.scope.tenant_ids) == 1:
        return next(iter(principal.scope.tenant_ids))  # refused by the policy next (403)
    raise InvalidInput.field("tenant_id", "required: you act for several tenants")


class CaseController(Controller):
    path = "/api/v1/cases"
    tags = ["cases"]

    @get("/", opt={"action": Action.CASES_READ})
    async def list_cases(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
        service_: Annotated[
            str | None, QueryParameter(name="service", pattern=r"^[a-z_]{1,32}$")
        ] = None,
        type_: Annotated[CaseType | None, QueryParameter(name="type")] = None,
        status: Annotated[list[StatusName] | None, Parameter(description="repeatable")] = None,
        assignee_id: uuid.UUID | None = None,
        unassigned: bool = False,
        priority: Priority | None = None,
        period: Annotated[str | None, Parameter(pattern=r"^[0-9]{4}(-[0-9]{2})?$")] = None,
        cursor: Annotated[str | None, Parameter(max_length=200)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> CasePage:
        """Cases of your tenants, nearest due time first, then oldest first."""
        require_principal(request)
        rows = await repo.list_cases(
            db_session,
            repo.CaseFilter(
                tenant_id=tenant_id,
                service=service_,
                type=type_,
                statuses=status or (),
                assignee_id=assignee_id,
                unassigned=unassigned,
                priority=priority,
                period=period,
            ),
            after=cursor_after(cursor, datetime),
            limit=limit + 1,
        )
        page = list(rows[:limit])
        more = len(rows) > limit
        return CasePage(
            items=[CaseOut.of(c) for c in page],
            next_cursor=repo.case_cursor(page[-1]) if more and page else None,
        )

    @post("/", opt={"action": Action.CASES_READ}, status_code=HTTP_201_CREATED)
    async def create_case(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: CaseCreate
    ) -> Response[CaseOut]:
        """Open a case: a client submits work, or an operator records it for the client."""
        principal = require_principal(request)
        tenant_id = await _create_tenant(principal, data.tenant_id)
        if data.type == "payroll" and data.pay_group is None:
            raise InvalidInput.field("pay_group", "a payroll case names its pay group")
        case = await service.open_case(
            db_session,
            principal,
            service.NewCase(
                tenant_id=tenant_id,
                type=data.type,
                title=data.title,
                description=data.description,
                period=data.period,
                pay_group=data.pay_group,
                priority=data.priority,
                status="draft" if data.draft else "submitted",
                checklist=[
                    service.NewChecklistItem(i.label, i.kind, i.required) for i in data.checklist
                ],
            ),
        )
        return _with_etag(CaseOut.of(case), case, HTTP_201_CREATED)

    @post("/assign", opt={"action": Action.CASES_ASSIGN}, status_code=HTTP_200_OK)
    async def assign_many(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        data: BulkAssignmentRequest,
    ) -> AssignmentResult:
        """Assign several cases at once (to one operator, or each automatically)."""
        principal = require_principal(request)
        if data.assignee_id is not None and data.auto:
            raise InvalidInput.field("auto", "either an assignee or auto, not both")
        done: list[Case] = []
        for index, case_id in enumerate(dict.fromkeys(data.case_ids)):
            case = await repo.get_case(db_session, case_id, for_update=True)
            if case is None or case.tenant_id not in principal.scope:
                raise InvalidInput.field(f"case_ids[{index}]", "no such case")
            authorize(principal, Action.CASES_ASSIGN, case.tenant_id)
            done.append(
                await service.assign(db_session, principal, case, data.assignee_id, auto=data.auto)
            )
        return AssignmentResult(items=[CaseOut.of(c) for c in done])

    @get("/{case_id:uuid}", opt={"action": Action.CASES_READ})
    async def get_case(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, case_id: uuid.UUID
    ) -> Response[CaseDetail]:
        """A case with its history, checklist, messages (internal notes for operators
        only), watchers, deliverables and approvals. ETag: its version."""
        principal = require_principal(request)
        case = await _case(db_session, principal, case_id)
        internal = service.is_operator_side(principal, case.tenant_id)
        detail = CaseDetail(
            case=CaseOut.of(case),
            history=[StatusChangeOut.of(s) for s in await repo.history(db_session, case)],
            checklist=[ChecklistItemOut.of(i) for i in await repo.checklist(db_session, case)],
            messages=[
                MessageOut.of(m)
                for m in await repo.messages(db_session, case, include_internal=internal)
            ],
            watchers=[WatcherOut.of(w) for w in await repo.watchers(db_session, case)],
            deliverables=[DeliverableOut.of(d) for d in await repo.deliverables(db_session, case)],
            approvals=[ApprovalOut.of(a) for a in await repo.approvals(db_session, case)],
            allowed_transitions=_allowed(principal, case),
        )
        return _with_etag(detail, case)

    @patch("/{case_id:uuid}", opt={"action": Action.CASES_READ})
    async def update_case(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        case_id: uuid.UUID,
        data: CaseUpdate,
        if_match: IfMatch = None,
    ) -> Response[CaseOut]:
        """Edit title, description, priority or period. Requires If-Match."""
        principal = require_principal(request)
        case = await _case(db_session, principal, case_id, for_update=True)
        service.check_if_match(case, if_match, required=True)
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        await service.update_case(db_session, principal, case, changes)
        return _with_etag(CaseOut.of(case), case)

    # ------------------------------------------------------------------ transitions

    @get("/{case_id:uuid}/transitions", opt={"action": Action.CASES_READ})
    async def list_transitions(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, case_id: uuid.UUID
    ) -> Response[TransitionsOut]:
        """The status changes you may make now."""
        principal = require_principal(request)
        case = await _case(db_session, principal, case_id)
        out = TransitionsOut(
            current=case.status, version=case.version, allowed=_allowed(principal, case)
        )
        return _with_etag(out, case)

    @post(
        "/{case_id:uuid}/transitions",
        opt={"action": Action.CASES_READ},
        status_code=HTTP_200_OK,
    )
    async def make_transition(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        case_id: uuid.UUID,
        data: TransitionRequest,
        if_match: IfMatch = None,
    ) -> Response[CaseOut]:
        """Move the case to another status (409 with the allowed ones if it cannot)."""
        principal = require_principal(request)
        case = await _case(db_session, principal, case_id, for_update=True)
        service.check_if_match(case, if_match, required=False)
        await service.transition(db_session, principal, case, data.to, data.reason)
        return _with_etag(CaseOut.of(case), case)

    @get("/{case_id:uuid}/history", opt={"action": Action.CASES_READ})
    async def history(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, case_id: uuid.UUID
    ) -> list[StatusChangeOut]:
        """Every status change: who, when, from, to, why."""
        case = await _case(db_session, require_principal(request), case_id)
        return [StatusChangeOut.of(s) for s in await repo.history(db_session, case)]

    # ------------------------------------------------------------------ assignment

    @post("/{case_id:uuid}/assignment", opt={"action": Action.CASES_WORK}, status_code=HTTP_200_OK)
    async def assign(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        case_id: uuid.UUID,
        data: AssignmentRequest,
        if_match: IfMatch = None,
    ) -> Response[CaseOut]:
        """Assign the case (leads), take it (operators: yourself), or pick automatically."""
        principal = require_principal(request)
        case = await _case(db_session, principal, case_id, for_update=True)
        service.check_if_match(case, if_match, required=False)
        if data.assignee_id is not None and data.auto:
            raise InvalidInput.field("auto", "either an assignee or auto, not both")
        await service.assign(db_session, principal, case, data.assignee_id, auto=data.auto)
        return _with_etag(CaseOut.of(case), case)

    # ------------------------------------------------------------------ messages

    @get("/{case_id:uuid}/messages", opt={"action": Action.CASES_READ})
    async def list_messages(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, case_id: uuid.UUID
    ) -> list[MessageOut]:
        """Messages of the case, oldest first; internal notes only for operators."""
        principal = require_principal(request)
        case = await _case(db_session, principal, case_id)
        internal = service.is_operator_side(principal, case.tenant_id)
        rows = await repo.messages(db_session, case, include_internal=internal)
        return [MessageOut.of(m) for m in rows]

    @post("/{case_id:uuid}/messages", opt={"action": Action.CASES_READ})
    async def post_message(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        runtime: Runtime,
        case_id: uuid.UUID,
        data: MessageCreate,
    ) -> Response[MessageOut]:
        """Write to the other side, or an internal note (operators). Mentioned people get
        a mail."""
        principal = require_principal(request)
        case = await _case(db_session, principal, case_id)
        message, notes = await service.post_message(
            db_session,
            principal,
            case,
            body=data.body,
            visibility=data.visibility,
            mentions=data.mentions,
            document_id=data.document_id,
            base_url=runtime.settings.base_url,
        )
        return Response(
            MessageOut.of(message),
            status_code=HTTP_201_CREATED,
            background=BackgroundTask(_send_notifications, runtime.settings, notes)
            if notes
            else None,
        )

    # ------------------------------------------------------------------ watchers

    @get("/{case_id:uuid}/watchers", opt={"action": Action.CASES_READ})
    async def list_watchers(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, case_id: uuid.UUID
    ) -> list[WatcherOut]:
        """Who follows the case."""
        case = await _case(db_session, require_principal(request), case_id)
        return [WatcherOut.of(w) for w in await repo.watchers(db_session, case)]

    @post("/{case_id:uuid}/watchers", opt={"action": Action.CASES_READ}, status_code=HTTP_200_OK)
    async def add_watcher(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        case_id: uuid.UUID,
        data: WatcherCreate,
    ) -> list[WatcherOut]:
        """Follow the case (operators may add anyone of the tenant)."""
        principal = require_principal(request)
        case = await _case(db_session, principal, case_id)
        await service.watch(db_session, principal, case, data.user_id)
        return [WatcherOut.of(w) for w in await repo.watchers(db_session, case)]

    @delete(
        "/{case_id:uuid}/watchers/{watcher_id:uuid}",
        opt={"action": Action.CASES_READ},
        status_code=HTTP_204_NO_CONTENT,
    )
    async def remove_watcher(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        case_id: uuid.UUID,
        watcher_id: uuid.UUID,
    ) -> None:
        """Stop following (yourself; operators: anyone). `watcher_id` is the user's id."""
        principal = require_principal(request)
        case = await _case(db_session, principal, case_id)
        await service.unwatch(db_session, principal, case, watcher_id)

    # ------------------------------------------------------------------ checklist

    @get("/{case_id:uuid}/checklist", opt={"action": Action.CASES_READ})
    async def list_checklist(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, case_id: uuid.UUID
    ) -> list[ChecklistItemOut]:
        """What the client must provide, and what has been provided."""
        case = await _case(db_session, require_principal(request), case_id)
        return [ChecklistItemOut.of(i) for i in await repo.checklist(db_session, case)]

    @post("/{case_id:uuid}/checklist", opt={"action": Action.CASES_WORK})
    async def add_checklist_item(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        case_id: uuid.UUID,
        data: ChecklistItemCreate,
    ) -> ChecklistItemOut:
        """Ask the client for an input (a document or a piece of data)."""
        principal = require_principal(request)
        case = await _case(db_session, principal, case_id)
        item = await service.add_checklist_item(
            db_session,
            principal,
            case,
            service.NewChecklistItem(data.label, data.kind, data.required),
        )
        return ChecklistItemOut.of(item)

    @post(
        "/{case_id:uuid}/checklist/{checklist_item_id:uuid}/provide",
        opt={"action": Action.CASES_READ},
        status_code=HTTP_200_OK,
    )
    async def provide_checklist_item(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        case_id: uuid.UUID,
        checklist_item_id: uuid.UUID,
        data: ChecklistProvide,
    ) -> ChecklistItemOut:
        """Provide an input: link an uploaded document, or give the value."""
        principal = require_principal(request)
        case = await _case(db_session, principal, case_id)
        item = await repo.checklist_item(db_session, case, checklist_item_id)
        if item is None:
            raise NotFound("no such checklist item")
        await service.provide_checklist_item(
            db_session, principal, case, item, document_id=data.document_id, value=data.value
        )
        return ChecklistItemOut.of(item)

    # ------------------------------------------------------------------ deliverables

    @get("/{case_id:uuid}/deliverables", opt={"action": Action.CASES_READ})
    async def list_deliverables(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, case_id: uuid.UUID
    ) -> list[DeliverableOut]:
        """Documents produced for the client."""
        case = await _case(db_session, require_principal(request), case_id)
        return [DeliverableOut.of(d) for d in await repo.deliverables(db_session, case)]

    @post("/{case_id:uuid}/deliverables", opt={"action": Action.CASES_WORK})
    async def add_deliverable(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        case_id: uuid.UUID,
        data: DeliverableCreate,
    ) -> DeliverableOut:
        """Link a produced document to the case."""
        principal = require_principal(request)
        case = await _case(db_session, principal, case_id)
        row = await service.add_deliverable(
            db_session, principal, case, data.document_id, data.title
        )
        return DeliverableOut.of(row)


routes = [CaseController]
