"""Social-insurance API: `/api/v1/social-insurance`.

Procedures are loaded through the request's tenant-scoped session, so another tenant's
procedure is a 404 before any permission is checked. Opening procedures from a life
event (hire, leave, dependants change, bonus) is open to client staff, operators and
partners with `social_insurance:write`; recording an office's answer, filing, and the
review lists are operator work (`cases:work` in the procedure's tenant).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, allows, authorize, require_principal
from daiko.auth.principal import Principal
from daiko.errors import InvalidInput, NotFound
from daiko.pagination import decode_cursor, encode_cursor
from daiko.social_insurance import repository as repo
from daiko.social_insurance import service
from daiko.social_insurance.models import PROCEDURE_KINDS, PROCEDURE_STATUSES, SiProcedure
from daiko.social_insurance.schemas import (
    DecisionIn,
    DependentIn,
    DependentOut,
    DocumentOut,
    EventOut,
    FilingIn,
    FilingOut,
    ItemOut,
    LifeEventIn,
    OfficeIn,
    OfficeOut,
    ProcedureDetail,
    ProcedureOut,
    ProcedurePage,
    ProceduresCreated,
    ReviewDetail,
    ReviewIn,
    ReviewOut,
    ReviewPage,
    StatusIn,
)

MAX_PAGE = 200


def tenant_for(principal: Principal, tenant_id: uuid.UUID | None, action: Action) -> uuid.UUID:
    if tenant_id is not None:
        if tenant_id not in principal.scope:
            raise NotFound("no such tenant")
        authorize(principal, action, tenant_id)
        return tenant_id
    able = [t for t in principal.scope.tenant_ids if allows(principal, action, t)]
    if len(able) == 1:
        return able[0]
    if not able:
        authorize(principal, action, next(iter(principal.scope.tenant_ids), None))
    raise InvalidInput.field("tenant_id", "required: you act for several tenants")


async def load_procedure(db_session: AsyncSession, procedure_id: uuid.UUID) -> SiProcedure:
    procedure = await repo.get_procedure(db_session, procedure_id, for_update=True)
    if procedure is None:
        raise NotFound("no such procedure")
    return procedure


async def detail(db_session: AsyncSession, procedure: SiProcedure) -> ProcedureDetail:
    return ProcedureDetail(
        procedure=ProcedureOut.of(procedure),
        history=[EventOut.of(e) for e in await repo.events_of(db_session, procedure)],
        documents=[DocumentOut.of(d) for d in await repo.documents_of(db_session, procedure)],
    )


def _after(cursor: str | None) -> uuid.UUID | None:
    return decode_cursor(cursor)[1] if cursor else None


class SocialInsuranceController(Controller):
    path = "/api/v1/social-insurance"
    tags = ["social insurance"]

    @get("/procedures", opt={"action": Action.SOCIAL_INSURANCE_READ})
    async def list_procedures(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
        case_id: uuid.UUID | None = None,
        employee_id: uuid.UUID | None = None,
        kind: Annotated[str | None, Parameter(pattern=r"^[a-z_]{1,24}$")] = None,
        status: Annotated[str | None, Parameter(pattern=r"^[a-z_]{1,16}$")] = None,
        cursor: Annotated[str | None, Parameter(max_length=200)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> ProcedurePage:
        """Procedures of your tenants, oldest first."""
        require_principal(request)
        if kind is not None and kind not in PROCEDURE_KINDS:
            raise InvalidInput.field("kind", f"one of {', '.join(PROCEDURE_KINDS)}")
        if status is not None and status not in PROCEDURE_STATUSES:
            raise InvalidInput.field("status", f"one of {', '.join(PROCEDURE_STATUSES)}")
        found = await repo.list_procedures(
            db_session,
            repo.ProcedureFilter(tenant_id, case_id, employee_id, kind, status),
            after=_after(cursor),
            limit=limit + 1,
        )
        page = list(found[:limit])
        more = len(found) > limit
        return ProcedurePage(
            items=[ProcedureOut.of(p) for p in page],
            next_cursor=encode_cursor(str(page[-1].id), page[-1].id) if more and page else None,
        )

    @post(
        "/procedures", opt={"action": Action.SOCIAL_INSURANCE_WRITE}, status_code=HTTP_201_CREATED
    )
    async def create_from_event(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: LifeEventIn
    ) -> ProceduresCreated:
        """Open the procedures a life event requires (idempotent per person, event, date)."""
        principal = require_principal(request)
        tenant_id = tenant_for(principal, data.tenant_id, Action.SOCIAL_INSURANCE_WRITE)
        made = await service.on_life_event(
            db_session,
            tenant_id=tenant_id,
            employee_id=data.employee_id,
            event=data.event,
            event_date=data.event_date,
            actor=principal,
            inputs=data.inputs,
        )
        return ProceduresCreated(items=[ProcedureOut.of(p) for p in made])

    @get("/procedures/{procedure_id:uuid}", opt={"action": Action.SOCIAL_INSURANCE_READ})
    async def get_procedure(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, procedure_id: uuid.UUID
    ) -> ProcedureDetail:
        principal = require_principal(request)
        procedure = await load_procedure(db_session, procedure_id)
        authorize(principal, Action.SOCIAL_INSURANCE_READ, procedure.tenant_id)
        return await detail(db_session, procedure)

    @post(
        "/procedures/{procedure_id:uuid}/status",
        opt={"action": Action.SOCIAL_INSURANCE_WRITE},
        status_code=HTTP_200_OK,
    )
    async def record_status(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        procedure_id: uuid.UUID,
        data: StatusIn,
    ) -> ProcedureDetail:
        """Record the office's answer: arrived, under review, completed, or returned (返戻,
        with the reason and the official reply as a document)."""
        principal = require_principal(request)
        procedure = await load_procedure(db_session, procedure_id)
        authorize(principal, Action.CASES_WORK, procedure.tenant_id)
        await service.record_status(
            db_session,
            principal,
            procedure,
            data.status,
            note=data.note,
            document_id=data.document_id,
        )
        return await detail(db_session, procedure)

    @post(
        "/procedures/{procedure_id:uuid}/filing",
        opt={"action": Action.SOCIAL_INSURANCE_WRITE},
        status_code=HTTP_202_ACCEPTED,
    )
    async def file(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        procedure_id: uuid.UUID,
        data: FilingIn,
    ) -> FilingOut:
        """Generate the forms (and data file); with `submit`, send them through e-Gov."""
        principal = require_principal(request)
        procedure = await load_procedure(db_session, procedure_id)
        authorize(principal, Action.CASES_WORK, procedure.tenant_id)
        job_id = await service.request_filing(db_session, principal, procedure, submit=data.submit)
        return FilingOut(job_id=job_id)

    @post(
        "/procedures/{procedure_id:uuid}/egov-status",
        opt={"action": Action.SOCIAL_INSURANCE_WRITE},
        status_code=HTTP_200_OK,
    )
    async def egov_status(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, procedure_id: uuid.UUID
    ) -> ProcedureDetail:
        """Ask e-Gov now where a submitted procedure stands (the scheduler asks every
        ten minutes) and record any change with the official documents it sent."""
        from daiko.social_insurance.filing import apply_status

        principal = require_principal(request)
        procedure = await load_procedure(db_session, procedure_id)
        authorize(principal, Action.CASES_WORK, procedure.tenant_id)
        await apply_status(db_session, procedure)
        return await detail(db_session, procedure)

    @post("/office", opt={"action": Action.SOCIAL_INSURANCE_WRITE}, status_code=HTTP_200_OK)
    async def set_office(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: OfficeIn
    ) -> OfficeOut:
        """Record the 事業所 as the 日本年金機構 knows it (the data files' company record)."""
        principal = require_principal(request)
        tenant_id = tenant_for(principal, data.tenant_id, Action.SOCIAL_INSURANCE_WRITE)
        values = msgspec.structs.asdict(data)
        values.pop("tenant_id")
        row = await service.set_office(db_session, principal, tenant_id, values)
        return OfficeOut(tenant_id=tenant_id, **{k: getattr(row, k) for k in values})

    @post(
        "/dependents", opt={"action": Action.SOCIAL_INSURANCE_WRITE}, status_code=HTTP_201_CREATED
    )
    async def add_dependent(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: DependentIn
    ) -> DependentOut:
        """Add a 被扶養者 (My Number sealed; answered masked). File the change with a
        `dependants_change` life event."""
        principal = require_principal(request)
        tenant_id = tenant_for(principal, data.tenant_id, Action.SOCIAL_INSURANCE_WRITE)
        values = msgspec.structs.asdict(data)
        for key in ("tenant_id", "employee_id", "my_number"):
            values.pop(key)
        row = await service.add_dependent(
            db_session, principal, tenant_id, data.employee_id, values, data.my_number
        )
        return DependentOut.of(row)

    @get("/reviews", opt={"action": Action.SOCIAL_INSURANCE_READ})
    async def list_reviews(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
        kind: Annotated[str | None, Parameter(pattern=r"^(santei|monthly_change)$")] = None,
        cursor: Annotated[str | None, Parameter(max_length=200)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> ReviewPage:
        require_principal(request)
        found = await repo.list_reviews(
            db_session, tenant_id=tenant_id, kind=kind, after=_after(cursor), limit=limit + 1
        )
        page = list(found[:limit])
        more = len(found) > limit
        return ReviewPage(
            items=[ReviewOut.of(r) for r in page],
            next_cursor=encode_cursor(str(page[-1].id), page[-1].id) if more and page else None,
        )

    @post("/reviews", opt={"action": Action.SOCIAL_INSURANCE_WRITE}, status_code=HTTP_202_ACCEPTED)
    async def request_review(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: ReviewIn
    ) -> ReviewOut:
        """Build (or rebuild) the 算定基礎 (period = year) or 月額変更 (period = the month
        the changed wage was first paid) review list from approved payroll results."""
        principal = require_principal(request)
        tenant_id = tenant_for(principal, data.tenant_id, Action.CASES_WORK)
        review = await service.request_review(
            db_session, principal, tenant_id, data.kind, data.period
        )
        return ReviewOut.of(review)

    @get("/reviews/{review_id:uuid}", opt={"action": Action.SOCIAL_INSURANCE_READ})
    async def get_review(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, review_id: uuid.UUID
    ) -> ReviewDetail:
        principal = require_principal(request)
        review = await repo.get_review(db_session, review_id)
        if review is None:
            raise NotFound("no such review")
        authorize(principal, Action.SOCIAL_INSURANCE_READ, review.tenant_id)
        items = await repo.items_of(db_session, review)
        return ReviewDetail(ReviewOut.of(review), [ItemOut.of(i) for i in items])

    @post(
        "/reviews/{review_id:uuid}/items/{review_item_id:uuid}/decision",
        opt={"action": Action.SOCIAL_INSURANCE_WRITE},
        status_code=HTTP_200_OK,
    )
    async def decide(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        review_id: uuid.UUID,
        review_item_id: uuid.UUID,
        data: DecisionIn,
    ) -> ItemOut:
        """Approve (records the new grade from its effective month) or dismiss a result."""
        principal = require_principal(request)
        item = await repo.get_item(db_session, review_item_id, for_update=True)
        if item is None or item.review_id != review_id:
            raise NotFound("no such review item")
        authorize(principal, Action.CASES_WORK, item.tenant_id)
        await service.decide_item(db_session, principal, item, data.decision)
        return ItemOut.of(item)


routes = [SocialInsuranceController]
