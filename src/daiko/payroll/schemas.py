"""API shapes of payroll runs and settings (msgspec structs)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from daiko.payroll.models import AMOUNT_COLUMNS, PayrollResult, PayrollRun, PayrollSettings

RunKind = Literal["monthly", "bonus"]
RunStatus = Literal["draft", "calculating", "review", "approved", "locked"]
Flag = Literal["joiner", "leaver", "net_swing", "gross_swing"]
OutputKind = Literal["payslip", "ledger_csv", "ledger_csv_cp932", "ledger_xlsx", "zengin"]


class RunCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    kind: RunKind
    pay_group: Annotated[
        str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    ]
    pay_date: date
    tenant_id: uuid.UUID | None = None
    period: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")] | None = None
    corrects_run_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    """The payroll case the run answers (e.g. the client's payroll-inputs request);
    default: the period's recurring payroll case, else a new one."""
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    calculate: bool = False
    """Start the calculation right away."""


class RejectRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class RunOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    tenant_id: uuid.UUID
    case_id: uuid.UUID
    kind: RunKind
    pay_group: str
    period: str
    pay_date: date
    status: RunStatus
    title: str
    corrects_run_id: uuid.UUID | None
    employee_count: int
    totals: dict[str, int]
    calculate_job_id: uuid.UUID | None
    outputs_job_id: uuid.UUID | None
    created_by: uuid.UUID | None
    prepared_by: uuid.UUID | None
    calculated_at: datetime | None
    approved_by: uuid.UUID | None
    approved_at: datetime | None
    rejected_by: uuid.UUID | None
    rejected_at: datetime | None
    reject_reason: str | None
    locked_at: datetime | None
    zengin_sha256: str | None
    journal_entry_id: uuid.UUID | None
    last_error: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, run: PayrollRun) -> RunOut:
        return cls(
            id=run.id,
            tenant_id=run.tenant_id,
            case_id=run.case_id,
            kind=run.kind,  # type: ignore[arg-type]
            pay_group=run.pay_group,
            period=run.period,
            pay_date=run.pay_date,
            status=run.status,  # type: ignore[arg-type]
            title=run.title,
            corrects_run_id=run.corrects_run_id,
            employee_count=run.employee_count,
            totals={k: int(v) for k, v in (run.totals or {}).items()},
            calculate_job_id=run.calculate_job_id,
            outputs_job_id=run.outputs_job_id,
            created_by=run.created_by,
            prepared_by=run.prepared_by,
            calculated_at=run.calculated_at,
            approved_by=run.approved_by,
            approved_at=run.approved_at,
            rejected_by=run.rejected_by,
            rejected_at=run.rejected_at,
            reject_reason=run.reject_reason,
            locked_at=run.locked_at,
            zengin_sha256=run.zengin_sha256,
            journal_entry_id=run.journal_entry_id,
            last_error=run.last_error,
            version=run.version,
            created_at=run.created_at,
            updated_at=run.updated_at,
        )


class RunPage(msgspec.Struct):
    items: list[RunOut]
    next_cursor: str | None


class ResultOut(msgspec.Struct, kw_only=True):
    employee_id: uuid.UUID
    employee_code: str
    employee_name: str
    department: str | None
    standard_monthly_remuneration: int | None
    nursing_care: bool
    amounts: dict[str, int]
    lines: dict[str, Any]

    @classmethod
    def of(cls, r: PayrollResult) -> ResultOut:
        return cls(
            employee_id=r.employee_id,
            employee_code=r.employee_code,
            employee_name=r.employee_name,
            department=r.department,
            standard_monthly_remuneration=r.standard_monthly_remuneration,
            nursing_care=r.nursing_care,
            amounts={c: int(getattr(r, c)) for c in AMOUNT_COLUMNS},
            lines=r.lines or {},
        )


class ResultPage(msgspec.Struct):
    items: list[ResultOut]
    next_cursor: str | None


class FlagOut(msgspec.Struct, kw_only=True):
    employee_id: uuid.UUID
    employee_code: str
    employee_name: str
    flags: list[Flag]
    gross: int | None
    previous_gross: int | None
    net: int | None
    previous_net: int | None


class ReviewOut(msgspec.Struct, kw_only=True):
    run: RunOut
    previous_run_id: uuid.UUID | None
    previous_totals: dict[str, int] | None
    flags: list[FlagOut]


class OutputLink(msgspec.Struct, kw_only=True):
    kind: OutputKind
    document_id: uuid.UUID
    employee_id: uuid.UUID | None
    employee_code: str | None
    sha256: str
    download: str


class OutputsOut(msgspec.Struct, kw_only=True):
    run_id: uuid.UUID
    status: RunStatus
    zengin_sha256: str | None
    items: list[OutputLink]
    next_cursor: str | None = None


class SettingsIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    tenant_id: uuid.UUID | None = None
    company_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{10}$")] | None = None
    company_name_kana: Annotated[str, msgspec.Meta(max_length=80)] | None = None
    bank_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}$")] | None = None
    bank_name_kana: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    branch_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{3}$")] | None = None
    branch_name_kana: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    account_type: Literal[1, 2] | None = None
    account_number: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,7}$")] | None = None
    zengin_line_breaks: bool | None = None
    withholding_method: Literal["table", "formula"] | None = None
    premium_collection: Literal["next_month", "current_month"] | None = None
    pay_day: Annotated[int, msgspec.Meta(ge=1, le=31)] | None = None
    closing_day: Annotated[int, msgspec.Meta(ge=1, le=31)] | None = None


class SettingsOut(msgspec.Struct, kw_only=True):
    tenant_id: uuid.UUID
    company_code: str
    company_name_kana: str
    bank_code: str
    bank_name_kana: str
    branch_code: str
    branch_name_kana: str
    account_type: int
    account_number: str
    zengin_line_breaks: bool
    withholding_method: str
    premium_collection: str
    pay_day: int
    closing_day: int
    version: int

    @classmethod
    def of(cls, s: PayrollSettings) -> SettingsOut:
        return cls(
            tenant_id=s.tenant_id,
            company_code=s.company_code,
            company_name_kana=s.company_name_kana,
            bank_code=s.bank_code,
            bank_name_kana=s.bank_name_kana,
            branch_code=s.branch_code,
            branch_name_kana=s.branch_name_kana,
            account_type=s.account_type,
            account_number=s.account_number,
            zengin_line_breaks=s.zengin_line_breaks,
            withholding_method=s.withholding_method,
            premium_collection=s.premium_collection,
            pay_day=s.pay_day,
            closing_day=s.closing_day,
            version=s.version,
        )
