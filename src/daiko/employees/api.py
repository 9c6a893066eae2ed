"""Employee master API: employees, their grades, resident tax, bank accounts, My Number,
monthly inputs, health-insurance societies and file imports.

The tenant comes from the principal's scope (like cases): an employee is loaded through
the tenant-scoped session, so another tenant's employee is a 404 before any permission
is checked. Whoever acts for several tenants names one with `tenant_id` when creating.

Optimistic concurrency: GET returns the employee's version as its ETag; PATCH requires
If-Match (428 without, 412 when stale). The My Number never leaves in clear except
through `POST …/my-number/reveal`, which requires `sensitive:reveal`, a stated purpose,
and writes an audit event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, HeaderParameter, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.policy import Action, authorize, require_principal
from daiko.auth.principal import Principal
from daiko.employees import imports, rules, service
from daiko.employees import repository as repo
from daiko.employees.models import Employee, EmployeeImport
from daiko.employees.schemas import (
    BankAccountOut,
    BankAccountSet,
    BulkEmployees,
    BulkResult,
    EmployeeCreate,
    EmployeeOut,
    EmployeePage,
    EmployeeUpdate,
    GradeCreate,
    GradeOut,
    ImportOut,
    ImportProblem,
    MonthlyInputOut,
    MonthlyInputPage,
    MonthlyInputRow,
    MonthlyInputSet,
    MyNumberOut,
    MyNumberSet,
    ResidentTaxCreate,
    ResidentTaxOut,
    RevealOut,
    RevealRequest,
    SocietyCreate,
    SocietyOut,
)
from daiko.errors import InvalidInput, NotFound
from daiko.jobs import repository as jobs_repo
from daiko.pagination import cursor_after, encode_cursor

MAX_PAGE = 200
READ = {"action": Action.EMPLOYEES_READ}
WRITE = {"action": Action.EMPLOYEES_WRITE}
IfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", description="The ETag of the employee you read"),
]
MonthParam = Annotated[str, Parameter(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]


def _with_etag(content: Any, version: int, status_code: int = HTTP_200_OK) -> Response[Any]:
    return Response(content, status_code=status_code, headers={"ETag": service.etag(version)})


async def _out(session: AsyncSession, employee: Employee) -> EmployeeOut:
    last4 = await repo.my_number_last4(session, employee.tenant_id, [employee.id])
    return _out_of(employee, last4.get(employee.id))


def _out_of(employee: Employee, last4: str | None) -> EmployeeOut:
    return EmployeeOut.of(employee, my_number_last4=last4, bank_name=service.bank_name_of(employee))


async def _outs(session: AsyncSession, employees: list[Employee]) -> list[EmployeeOut]:
    by_tenant: dict[uuid.UUID, list[uuid.UUID]] = {}
    for e in employees:
        by_tenant.setdefault(e.tenant_id, []).append(e.id)
    last4: dict[uuid.UUID, str] = {}
    for tenant_id, ids in by_tenant.items():
        last4 |= await repo.my_number_last4(session, tenant_id, ids)
    return [
        EmployeeOut.of(e, my_number_last4=last4.get(e.id), bank_name=service.bank_name_of(e))
        for e in employees
    ]


def _fields(data: msgspec.Struct) -> dict[str, Any]:
    out = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    if "allowances" in out:
        out["allowances"] = msgspec.to_builtins(out["allowances"])
    out.pop("tenant_id", None)
    return out


def _month(text: str, name: str = "month") -> date:
    try:
        return rules.parse_month(text)
    except ValueError as exc:
        raise InvalidInput.field(name, str(exc)) from None


def _import_out(imp: EmployeeImport) -> ImportOut:
    return ImportOut(
        id=imp.id,
        kind=imp.kind,
        status=imp.status,
        filename=imp.filename,
        encoding=imp.encoding,
        row_count=imp.row_count,
        errors=[
            ImportProblem(line=e["line"], column=e["column"], reason=e["reason"])
            for e in imp.errors
        ],
        creates=int(imp.summary.get("creates", 0)),
        updates=int(imp.summary.get("updates", 0)),
        job_id=imp.job_id,
        summary=dict(imp.summary),
    )


@dataclass
class ImportForm:
    """An employees or attendance file (multipart/form-data)."""

    file: UploadFile
    kind: str = "employees"
    pay_month: str | None = None
    tenant_id: str | None = None


async def _load_import(
    session: AsyncSession, principal: Principal, import_id: uuid.UUID, action: Action
) -> EmployeeImport:
    imp = await repo.get_import(session, import_id)
    if imp is None or imp.tenant_id not in principal.scope:
        raise NotFound("no such import")
    authorize(principal, action, imp.tenant_id)
    return imp


class EmployeeController(Controller):
    path = "/api/v1/employees"
    tags = ["employees"]

    @get("/", opt=READ)
    async def list_employees(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
        active_on: Annotated[date | None, Parameter(description="employed on this day")] = None,
        department: Annotated[str | None, Parameter(max_length=100)] = None,
        pay_group: Annotated[str | None, Parameter(max_length=64)] = None,
        q: Annotated[str | None, Parameter(max_length=100, description="code or name")] = None,
        updated_since: Annotated[
            datetime | None,
            Parameter(description="sync mode: changed since, ordered by (updated_at, id)"),
        ] = None,
        cursor: Annotated[str | None, Parameter(max_length=300)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> EmployeePage:
        """Employees of your tenants by code; or, with `updated_since`, those changed since
        then, oldest change first (for partner sync)."""
        principal = require_principal(request)
        if tenant_id is not None and tenant_id not in principal.scope:
            raise NotFound("no such tenant")
        where = repo.EmployeeFilter(
            tenant_id=tenant_id,
            active_on=active_on,
            department=department,
            pay_group=pay_group,
            q=q.strip() if q else None,
        )
        if updated_since is not None and updated_since.tzinfo is None:
            updated_since = updated_since.replace(tzinfo=UTC)  # a time without zone is UTC
        if updated_since is not None:
            after_t = cursor_after(cursor, datetime)
            stmt = repo.updated_since_stmt(where, updated_since, after=after_t, limit=limit + 1)
            rows = await repo.with_my_number_last4(db_session, stmt)
            page = rows[:limit]
            next_cursor = (
                encode_cursor(page[-1][0].updated_at, page[-1][0].id) if len(rows) > limit else None
            )
        else:
            after_c = cursor_after(cursor, str)
            stmt = repo.list_stmt(where, after=after_c, limit=limit + 1)
            rows = await repo.with_my_number_last4(db_session, stmt)
            page = rows[:limit]
            next_cursor = (
                encode_cursor(page[-1][0].code, page[-1][0].id) if len(rows) > limit else None
            )
        return EmployeePage(items=[_out_of(e, last4) for e, last4 in page], next_cursor=next_cursor)

    @post("/", opt=WRITE, status_code=HTTP_201_CREATED)
    async def create_employee(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: EmployeeCreate
    ) -> Response[EmployeeOut]:
        """Add an employee. Kana are checked (カタカナ), the insurer must be complete
        (協会けんぽ with a prefecture, or a 健保組合), the code unused."""
        principal = require_principal(request)
        tenant_id = service.resolve_tenant(principal, data.tenant_id, Action.EMPLOYEES_WRITE)
        employee = await service.create_employee(db_session, principal, tenant_id, _fields(data))
        return _with_etag(await _out(db_session, employee), employee.version, HTTP_201_CREATED)

    @post("/bulk", opt=WRITE, status_code=HTTP_200_OK)
    async def bulk_upsert(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: BulkEmployees
    ) -> BulkResult:
        """Create or update up to 1,000 employees by code, all or nothing: any problem
        answers 422 listing every one as `items[i].field`, and nothing is written."""
        principal = require_principal(request)
        tenant_id = service.resolve_tenant(principal, data.tenant_id, Action.EMPLOYEES_WRITE)
        outcome = await service.bulk_upsert(
            db_session, principal, tenant_id, [_fields(i) for i in data.items]
        )
        everyone = [*outcome.created, *outcome.updated]
        return BulkResult(
            created=len(outcome.created),
            updated=len(outcome.updated),
            items=await _outs(db_session, everyone),
        )

    @get("/{employee_id:uuid}", opt=READ)
    async def get_employee(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, employee_id: uuid.UUID
    ) -> Response[EmployeeOut]:
        """One employee (My Number masked). ETag: its version."""
        principal = require_principal(request)
        found = await repo.with_my_number_last4(db_session, repo.find_stmt(employee_id))
        employee, last4 = found[0] if found else (None, None)
        employee = service.visible(principal, employee, Action.EMPLOYEES_READ)
        return _with_etag(_out_of(employee, last4), employee.version)

    @patch("/{employee_id:uuid}", opt=WRITE)
    async def update_employee(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        employee_id: uuid.UUID,
        data: EmployeeUpdate,
        if_match: IfMatch = None,
    ) -> Response[EmployeeOut]:
        """Change fields. Requires If-Match with the ETag you read (428 / 412)."""
        principal = require_principal(request)
        employee = await service.load_employee(
            db_session, principal, employee_id, Action.EMPLOYEES_WRITE, for_update=True
        )
        service.check_if_match(employee.version, if_match, required=True)
        await service.update_employee(db_session, principal, employee, _fields(data))
        return _with_etag(await _out(db_session, employee), employee.version)

    @delete("/{employee_id:uuid}", opt=WRITE, status_code=HTTP_200_OK)
    async def leave(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        employee_id: uuid.UUID,
        reason: Annotated[str | None, Parameter(max_length=2000)] = None,
        leave_date: date | None = None,
        if_match: IfMatch = None,
    ) -> Response[EmployeeOut]:
        """Soft delete: the employee leaves on `leave_date` (default today, JST) for
        `reason`; the record stays for payroll history and filings."""
        principal = require_principal(request)
        employee = await service.load_employee(
            db_session, principal, employee_id, Action.EMPLOYEES_WRITE, for_update=True
        )
        service.check_if_match(employee.version, if_match, required=False)
        if not reason or not reason.strip():
            raise InvalidInput.field("reason", "required: why the employee leaves")
        await service.leave_employee(
            db_session, principal, employee, leave_date or rules.today_jst(), reason.strip()
        )
        return _with_etag(await _out(db_session, employee), employee.version)

    # ------------------------------------------------------------------ grades

    @get("/{employee_id:uuid}/grades", opt=READ)
    async def list_grades(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, employee_id: uuid.UUID
    ) -> list[GradeOut]:
        """標準報酬月額 history, newest first."""
        employee = await service.load_employee(
            db_session, require_principal(request), employee_id, Action.EMPLOYEES_READ
        )
        return [GradeOut.of(g) for g in await repo.grades(db_session, employee)]

    @post("/{employee_id:uuid}/grades", opt=WRITE, status_code=HTTP_201_CREATED)
    async def add_grade(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        employee_id: uuid.UUID,
        data: GradeCreate,
    ) -> GradeOut:
        """Record a grade decision (資格取得時決定, 定時決定, 随時改定) from a month."""
        principal = require_principal(request)
        employee = await service.load_employee(
            db_session, principal, employee_id, Action.EMPLOYEES_WRITE
        )
        grade = await service.add_grade(
            db_session,
            principal,
            employee,
            effective_month=_month(data.effective_month, "effective_month"),
            health_standard=data.health_standard,
            pension_standard=data.pension_standard,
            reason=data.reason,
            source_ref=data.source_ref,
        )
        return GradeOut.of(grade)

    # ------------------------------------------------------------------ resident tax

    @get("/{employee_id:uuid}/resident-tax", opt=READ)
    async def list_resident_tax(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, employee_id: uuid.UUID
    ) -> list[ResidentTaxOut]:
        """住民税 特別徴収 notices, newest fiscal year first."""
        employee = await service.load_employee(
            db_session, require_principal(request), employee_id, Action.EMPLOYEES_READ
        )
        return [ResidentTaxOut.of(n) for n in await repo.resident_tax_notices(db_session, employee)]

    @post("/{employee_id:uuid}/resident-tax", opt=WRITE, status_code=HTTP_201_CREATED)
    async def add_resident_tax(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        employee_id: uuid.UUID,
        data: ResidentTaxCreate,
    ) -> ResidentTaxOut:
        """Record a 決定通知 (June amount, July–May amount); the same fiscal year again
        replaces it (変更通知)."""
        principal = require_principal(request)
        employee = await service.load_employee(
            db_session, principal, employee_id, Action.EMPLOYEES_WRITE
        )
        notice = await service.set_resident_tax(
            db_session,
            principal,
            employee,
            fiscal_year=data.fiscal_year,
            municipality_code=data.municipality_code,
            municipality_name=data.municipality_name,
            june_amount=data.june_amount,
            monthly_amount=data.monthly_amount,
        )
        return ResidentTaxOut.of(notice)

    # ------------------------------------------------------------------ bank accounts

    @get("/{employee_id:uuid}/bank-accounts", opt=READ)
    async def list_bank_accounts(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, employee_id: uuid.UUID
    ) -> list[BankAccountOut]:
        """Salary accounts, account numbers masked."""
        employee = await service.load_employee(
            db_session, require_principal(request), employee_id, Action.EMPLOYEES_READ
        )
        return [BankAccountOut.of(a) for a in await repo.bank_accounts(db_session, employee)]

    @put("/{employee_id:uuid}/bank-accounts", opt=WRITE, status_code=HTTP_200_OK)
    async def set_bank_account(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        employee_id: uuid.UUID,
        data: BankAccountSet,
    ) -> BankAccountOut:
        """Set the account at `position` (1 = main). Number and holder name are stored
        encrypted; the answer shows the number masked."""
        principal = require_principal(request)
        employee = await service.load_employee(
            db_session, principal, employee_id, Action.EMPLOYEES_WRITE
        )
        account = await service.set_bank_account(
            db_session, principal, employee, msgspec.structs.asdict(data)
        )
        return BankAccountOut.of(account)

    # ------------------------------------------------------------------ My Number

    @get("/{employee_id:uuid}/my-number", opt=READ)
    async def my_number(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, employee_id: uuid.UUID
    ) -> MyNumberOut:
        """Whether a My Number is registered, masked."""
        employee = await service.load_employee(
            db_session, require_principal(request), employee_id, Action.EMPLOYEES_READ
        )
        vault = await repo.my_number(db_session, employee)
        return MyNumberOut(registered=vault is not None, masked=vault.masked if vault else None)

    @put("/{employee_id:uuid}/my-number", opt=WRITE, status_code=HTTP_200_OK)
    async def set_my_number(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        employee_id: uuid.UUID,
        data: MyNumberSet,
    ) -> MyNumberOut:
        """Register or replace the My Number (check digit verified), stored encrypted."""
        principal = require_principal(request)
        employee = await service.load_employee(
            db_session, principal, employee_id, Action.EMPLOYEES_WRITE
        )
        masked = await service.set_my_number(db_session, principal, employee, data.my_number)
        return MyNumberOut(registered=True, masked=masked)

    @post(
        "/{employee_id:uuid}/my-number/reveal",
        opt={"action": Action.SENSITIVE_REVEAL},
        status_code=HTTP_200_OK,
    )
    async def reveal_my_number(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        employee_id: uuid.UUID,
        data: RevealRequest,
    ) -> Response[RevealOut]:
        """The clear My Number for a stated purpose (個人番号関係事務); audited."""
        principal = require_principal(request)
        employee = await service.load_employee(
            db_session, principal, employee_id, Action.SENSITIVE_REVEAL
        )
        number = await service.reveal_my_number(
            db_session, principal, employee, data.purpose, data.purpose_text
        )
        return Response(
            RevealOut(my_number=number, purpose=data.purpose),
            headers={"Cache-Control": "no-store"},
        )

    # ------------------------------------------------------------------ monthly inputs

    @get("/{employee_id:uuid}/monthly-inputs/{pay_month:str}", opt=READ)
    async def get_monthly_input(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        employee_id: uuid.UUID,
        pay_month: str,
    ) -> Response[MonthlyInputOut]:
        """勤怠 and variable pay of one pay month (YYYY-MM). ETag: its version."""
        employee = await service.load_employee(
            db_session, require_principal(request), employee_id, Action.EMPLOYEES_READ
        )
        row = await repo.monthly_input(db_session, employee, _month(pay_month, "pay_month"))
        if row is None:
            raise NotFound("no inputs for this month")
        return _with_etag(MonthlyInputOut.of(row), row.version)

    @put("/{employee_id:uuid}/monthly-inputs/{pay_month:str}", opt=WRITE, status_code=HTTP_200_OK)
    async def put_monthly_input(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        employee_id: uuid.UUID,
        pay_month: str,
        data: MonthlyInputSet,
        if_match: IfMatch = None,
    ) -> Response[MonthlyInputOut]:
        """Replace the month's inputs (If-Match honoured when sent)."""
        principal = require_principal(request)
        employee = await service.load_employee(
            db_session, principal, employee_id, Action.EMPLOYEES_WRITE
        )
        row = await service.put_monthly_input(
            db_session,
            principal,
            employee,
            _month(pay_month, "pay_month"),
            msgspec.structs.asdict(data),
            if_match=if_match,
        )
        return _with_etag(MonthlyInputOut.of(row), row.version)

    # ------------------------------------------------------------------ imports

    @post("/imports", opt=WRITE, status_code=HTTP_201_CREATED)
    async def upload_import(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        data: Annotated[ImportForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> ImportOut:
        """Upload an employees or attendance file (CSV UTF-8/cp932 or XLSX). Every row is
        checked; the answer lists every problem (line, column, reason) and what would be
        created or updated. Nothing is written until you confirm a clean file."""
        principal = require_principal(request)
        try:
            tenant_arg = uuid.UUID(data.tenant_id) if data.tenant_id else None
        except ValueError:
            raise InvalidInput.field("tenant_id", "not an id") from None
        tenant_id = service.resolve_tenant(principal, tenant_arg, Action.EMPLOYEES_WRITE)
        if data.kind not in ("employees", "attendance"):
            raise InvalidInput.field("kind", "employees or attendance")
        pay_month = _month(data.pay_month, "pay_month") if data.pay_month else None
        content = await data.file.read()
        imp = await imports.stage(
            db_session,
            principal,
            tenant_id=tenant_id,
            kind=data.kind,
            filename=data.file.filename or "upload",
            content=content,
            pay_month=pay_month,
            created_by=principal.user_id,
        )
        return _import_out(imp)

    @get("/imports/{employee_import_id:uuid}", opt=READ)
    async def get_import(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        employee_import_id: uuid.UUID,
    ) -> ImportOut:
        """An upload's preview and state (with its job's progress in `summary`)."""
        imp = await _load_import(
            db_session, require_principal(request), employee_import_id, Action.EMPLOYEES_READ
        )
        out = _import_out(imp)
        if imp.job_id is not None:
            job = await jobs_repo.get_job(db_session, imp.job_id)
            if job is not None:
                out.summary["job_status"] = job.status
                out.summary["progress_done"] = job.progress_done
                out.summary["progress_total"] = job.progress_total
        return out

    @post("/imports/{employee_import_id:uuid}/confirm", opt=WRITE, status_code=HTTP_200_OK)
    async def confirm_import(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        employee_import_id: uuid.UUID,
    ) -> ImportOut:
        """Write a clean upload: at once when small, else by a job (see `job_id`)."""
        principal = require_principal(request)
        imp = await _load_import(db_session, principal, employee_import_id, Action.EMPLOYEES_WRITE)
        await imports.confirm(db_session, principal, imp, created_by=principal.user_id)
        return _import_out(imp)


class MonthlyInputController(Controller):
    path = "/api/v1/monthly-inputs"
    tags = ["employees"]

    @get("/", opt=READ)
    async def list_month(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        month: MonthParam,
        tenant_id: uuid.UUID | None = None,
        cursor: Annotated[str | None, Parameter(max_length=300)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 100,
    ) -> MonthlyInputPage:
        """Every employee employed in `month` (by code) with that month's inputs, or null
        where none are entered yet."""
        principal = require_principal(request)
        if tenant_id is not None and tenant_id not in principal.scope:
            raise NotFound("no such tenant")
        first = _month(month)
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        after = cursor_after(cursor, str)
        rows = list(
            await repo.list_employees(
                db_session,
                repo.EmployeeFilter(tenant_id=tenant_id, employed_in=(first, last)),
                after=after,
                limit=limit + 1,
            )
        )
        page = rows[:limit]
        inputs = await repo.monthly_inputs_for_month(
            db_session, first, employee_ids=[e.id for e in page]
        )
        return MonthlyInputPage(
            month=month,
            items=[
                MonthlyInputRow(
                    employee_id=e.id,
                    code=e.code,
                    name=e.full_name,
                    input=MonthlyInputOut.of(inputs[e.id]) if e.id in inputs else None,
                )
                for e in page
            ],
            next_cursor=encode_cursor(page[-1].code, page[-1].id) if len(rows) > limit else None,
        )


class SocietyController(Controller):
    path = "/api/v1/health-insurance-societies"
    tags = ["employees"]

    @get("/", opt=READ)
    async def list_societies(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID | None = None,
    ) -> list[SocietyOut]:
        """健康保険組合 of a tenant with their rates per `valid_from`."""
        principal = require_principal(request)
        tid = service.resolve_tenant(principal, tenant_id, Action.EMPLOYEES_READ)
        return [SocietyOut.of(s) for s in await repo.societies(db_session, tid)]

    @post("/", opt=WRITE, status_code=HTTP_201_CREATED)
    async def add_society(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, data: SocietyCreate
    ) -> SocietyOut:
        """Add a society, or a society's rates from a new `valid_from`."""
        principal = require_principal(request)
        tid = service.resolve_tenant(principal, data.tenant_id, Action.EMPLOYEES_WRITE)
        values = _fields(data)
        row = await service.add_society(db_session, principal, tid, values)
        return SocietyOut.of(row)


routes = [EmployeeController, MonthlyInputController, SocietyController]
