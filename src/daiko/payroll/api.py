"""Payroll runs API: create, calculate, review, approve or reject, results, payslips and
outputs; the tenant's payroll settings.

A run is loaded through the request's tenant-scoped session, so another tenant's run is
a 404 before any permission is checked. Reads need `payroll:read`; creating and
calculating `payroll:run` (operators); approving and rejecting `payroll:approve` (lead or
the client's admin), never by whoever created or calculated the run (403 four-eyes).
Outputs exist only after approval (409 before).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, allows, authorize, require_principal
from daiko.auth.principal import Principal
from daiko.errors import InvalidInput, NotFound
from daiko.pagination import cursor_after, encode_cursor
from daiko.payroll import repository as repo
from daiko.payroll import service
from daiko.payroll.models import PayrollRun
from daiko.payroll.schemas import (
    FlagOut,
    OutputLink,
    OutputsOut,
    RejectRequest,
    ResultOut,
    ResultPage,
    ReviewOut,
    RunCreate,
    RunKind,
    RunOut,
    RunPage,
    RunStatus,
    SettingsIn,
    SettingsOut,
)

MAX_PAGE = 200


async def load_run(
    session: AsyncSession,
    principal: Principal,
    run_id: uuid.UUID,
    action: Action = Action.PAYROLL_READ,
) -> PayrollRun:
    run = await repo.get_run(session, run_id)
    if run is None or run.tenant_id not in principal.scope:
        raise NotFound("no such payroll run")
    authorize(principal, action, run.tenant_id)
    return run


def tenant_for(principal: Principal, tenant_id: uuid.UUID | None, action: Action) -> uuid.UUID:
    """The tenant a request acts in: the one named, or the only one the principal may
    act in with `action`."""
    if tenant_id is not None:
        if tenant_id not in principal.scope:
            raise NotFound("no such tenant")
        return tenant_id
    able = [t for t in principal.scope.tenant_ids if allows(principal, action, t)]
    if len(able) == 1:
        return able[0]
    if not able and len(principal.scope.tenant_ids) == 1:
        return next(iter(principal.scope.tenant_ids))  # refused by the policy next (403)
    raise InvalidInput.field("tenant_id", "required: you act for several tenants")


def download_path(document_id: uuid.UUID) -> str:
    return f"/api/v1/documents/{document_id}/versions/1/download"


async def review_out(session: AsyncSession, run: PayrollRun) -> ReviewOut:
    r = await service.review(session, run)
    return ReviewOut(
        run=RunOut.of(run),
        previous_run_id=r.previous.id if r.previous else None,
        previous_totals=(
            {k: int(v) for k, v in (r.previous.totals or {}).items()} if r.previous else None
        ),
        flags=[
            FlagOut(
                employee_id=f.employee_id,
                employee_code=f.employee_code,
                employee_name=f.employee_name,
                flags=list(f.flags),  # type: ignore[arg-type]
                gross=f.gross,
                previous_gross=f.previous_gross,
                net=f.net,
                previous_net=f.previous_net,
            )
            for f in r.flags
        ],
    )


class PayrollRunController(Controller):
    path = "/api/v1/payroll/runs"
    tags = ["payroll"]

    @get("/", opt={"action": Action.PAYROLL_READ})
    async def list_runs(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
        status: RunStatus | None = None,
        kind: RunKind | None = None,
        pay_group: Annotated[str | None, Parameter(max_length=64)] = None,
        cursor: Annotated[str | None, Parameter(max_length=200)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> RunPage:
        """Runs of your tenants, latest pay date first."""
        require_principal(request)
        after = cursor_after(cursor, date)
        rows = await repo.list_runs(
            db_session,
            repo.RunFilter(tenant_id=tenant_id, status=status, kind=kind, pay_group=pay_group),
            after=after,
            limit=limit + 1,
        )
        page = list(rows[:limit])
        more = len(rows) > limit
        return RunPage(
            items=[RunOut.of(r) for r in page],
            next_cursor=encode_cursor(page[-1].pay_date, page[-1].id) if more and page else None,
        )

    @post("/", opt={"action": Action.PAYROLL_RUN}, status_code=HTTP_201_CREATED)
    async def create_run(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: RunCreate
    ) -> RunOut:
        """Open a run (draft) for a pay group and pay date; `calculate: true` starts it."""
        principal = require_principal(request)
        tenant_id = tenant_for(principal, data.tenant_id, Action.PAYROLL_RUN)
        run = await service.create_run(db_session, principal, tenant_id, data)
        if data.calculate:
            await service.start_calculation(db_session, principal, run)
        return RunOut.of(run)

    @get("/{run_id:uuid}", opt={"action": Action.PAYROLL_READ})
    async def get_run(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, run_id: uuid.UUID
    ) -> RunOut:
        """A run with its status, totals and jobs."""
        return RunOut.of(await load_run(db_session, require_principal(request), run_id))

    @post(
        "/{run_id:uuid}/calculate",
        opt={"action": Action.PAYROLL_RUN},
        status_code=HTTP_202_ACCEPTED,
    )
    async def calculate(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, run_id: uuid.UUID
    ) -> RunOut:
        """(Re)calculate a draft or reviewed run on the workers; 409 once approved."""
        principal = require_principal(request)
        run = await load_run(db_session, principal, run_id, Action.PAYROLL_RUN)
        await service.start_calculation(db_session, principal, run)
        return RunOut.of(await load_run(db_session, principal, run_id))

    @get("/{run_id:uuid}/review", opt={"action": Action.PAYROLL_READ})
    async def review(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, run_id: uuid.UUID
    ) -> ReviewOut:
        """Totals and the employees flagged against the previous approved run: joiners,
        leavers, net or gross more than 20 % away."""
        run = await load_run(db_session, require_principal(request), run_id)
        return await review_out(db_session, run)

    @post("/{run_id:uuid}/approve", opt={"action": Action.PAYROLL_APPROVE}, status_code=HTTP_200_OK)
    async def approve(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, run_id: uuid.UUID
    ) -> RunOut:
        """Approve a run in review (four eyes); its outputs are produced on the workers."""
        principal = require_principal(request)
        run = await load_run(db_session, principal, run_id, Action.PAYROLL_APPROVE)
        await service.approve(db_session, principal, run)
        return RunOut.of(await load_run(db_session, principal, run_id))

    @post("/{run_id:uuid}/reject", opt={"action": Action.PAYROLL_APPROVE}, status_code=HTTP_200_OK)
    async def reject(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        run_id: uuid.UUID,
        data: RejectRequest,
    ) -> RunOut:
        """Send a run in review back to draft, saying why."""
        principal = require_principal(request)
        run = await load_run(db_session, principal, run_id, Action.PAYROLL_APPROVE)
        return RunOut.of(await service.reject(db_session, principal, run, data.reason))

    @get("/{run_id:uuid}/results", opt={"action": Action.PAYROLL_READ})
    async def results(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        run_id: uuid.UUID,
        cursor: Annotated[str | None, Parameter(max_length=200)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> ResultPage:
        """One payslip per employee (integer yen), in employee-code order."""
        run = await load_run(db_session, require_principal(request), run_id)
        position = cursor_after(cursor, int)
        after = position[0] if position else None
        rows = await repo.results_page(db_session, run, after_seq=after, limit=limit + 1)
        page = list(rows[:limit])
        more = len(rows) > limit
        return ResultPage(
            items=[ResultOut.of(r) for r in page],
            next_cursor=encode_cursor(page[-1].seq, page[-1].id) if more and page else None,
        )

    @get("/{run_id:uuid}/payslips", opt={"action": Action.PAYROLL_READ})
    async def payslips(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        run_id: uuid.UUID,
        cursor: Annotated[str | None, Parameter(max_length=200)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> OutputsOut:
        """Links to the payslip PDFs (after approval; 409 before)."""
        return await self._outputs(request, db_session, run_id, "payslip", cursor, limit)

    @get("/{run_id:uuid}/outputs", opt={"action": Action.PAYROLL_READ})
    async def outputs(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        run_id: uuid.UUID,
        cursor: Annotated[str | None, Parameter(max_length=200)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> OutputsOut:
        """Every output: 賃金台帳 (CSV UTF-8, CSV cp932, XLSX), the Zengin bank file (its
        SHA-256 is on the run) and the payslips; 409 before approval."""
        return await self._outputs(request, db_session, run_id, None, cursor, limit)

    async def _outputs(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        run_id: uuid.UUID,
        kind: str | None,
        cursor: str | None,
        limit: int,
    ) -> OutputsOut:
        principal = require_principal(request)
        run = await load_run(db_session, principal, run_id)
        service.require_outputs(run)
        after = cursor_after(cursor, str)
        docs = await repo.run_documents(db_session, run, kind=kind, after=after, limit=limit + 1)
        page = docs[:limit]
        more = len(docs) > limit
        return OutputsOut(
            run_id=run.id,
            status=run.status,  # type: ignore[arg-type]
            zengin_sha256=run.zengin_sha256,
            items=[
                OutputLink(
                    kind=d.kind,  # type: ignore[arg-type]
                    document_id=d.document_id,
                    employee_id=d.employee_id,
                    employee_code=code,
                    sha256=d.sha256,
                    download=download_path(d.document_id),
                )
                for d, code in page
            ],
            next_cursor=encode_cursor(page[-1][0].kind, page[-1][0].id) if more and page else None,
        )


class PayrollSettingsController(Controller):
    path = "/api/v1/payroll/settings"
    tags = ["payroll"]

    @get("/", opt={"action": Action.PAYROLL_READ})
    async def get_settings(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
    ) -> SettingsOut:
        """The tenant's payroll settings: paying account for the Zengin header,
        withholding method, premium collection (翌月/当月), pay and closing days."""
        principal = require_principal(request)
        tid = tenant_for(principal, tenant_id, Action.PAYROLL_READ)
        authorize(principal, Action.PAYROLL_READ, tid)
        return SettingsOut.of(await service.settings_of(db_session, tid))

    @put("/", opt={"action": Action.PAYROLL_RUN}, status_code=HTTP_200_OK)
    async def put_settings(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: SettingsIn
    ) -> SettingsOut:
        """Change the fields given; the rest stay."""
        principal = require_principal(request)
        tid = tenant_for(principal, data.tenant_id, Action.PAYROLL_RUN)
        return SettingsOut.of(await service.update_settings(db_session, principal, tid, data))


routes = [PayrollRunController, PayrollSettingsController]
