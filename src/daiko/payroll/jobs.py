"""Payroll job handlers (merged into `daiko.jobs.handlers` by kind).

`payroll_calculate` is chunked: the run's members (numbered at start) are split into
ranges; a chunk computes its employees and inserts their results with `on conflict do
nothing` on (run, employee), so a chunk that runs twice writes once. After each chunk
the run row is locked and the results counted: the chunk that completes the run moves
it to review with its totals and journal.

`payroll_outputs` runs after approval: items 0…n-1 are payslips (one PDF document per
employee, skipped when already there), item n the run-level files (賃金台帳 CSV/XLSX, the
Zengin bank file whose SHA-256 is kept on the run, the journal posted to the books).
The chunk that finds everything there locks the run and links the payslips to its case
as deliverables.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
import structlog
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import record
from daiko.cases.models import CaseDeliverable
from daiko.documents.models import Document, DocumentVersion
from daiko.documents.retention import earliest_deletion_date
from daiko.documents.service import version_key
from daiko.documents.store import DocumentStore
from daiko.errors import InvalidInput
from daiko.ids import new_id
from daiko.jobs.handlers import ChunkPlan, Handler
from daiko.jobs.kinds import JobKind
from daiko.jobs.models import Job, JobChunk
from daiko.payroll import repository as repo
from daiko.payroll import service
from daiko.payroll.journal import JournalLine, journal_lines, post_to_bookkeeping
from daiko.payroll.ledger import LedgerRow, ledger_table, to_csv, to_xlsx
from daiko.payroll.models import AMOUNT_COLUMNS, PayrollResult, PayrollRun, PayrollRunDocument
from daiko.payroll.payslip import PayslipData, render_payslips
from daiko.payroll.zengin import (
    KIND_BONUS,
    KIND_SALARY,
    ZenginHeader,
    ZenginTransfer,
    build_transfer_file,
)
from daiko.tenancy.models import Tenant

log = structlog.get_logger("daiko.payroll")


class RunChunksPayload(msgspec.Struct, forbid_unknown_fields=True):
    run_id: uuid.UUID
    count: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
    chunk_size: Annotated[int, msgspec.Meta(ge=1, le=5_000)] = 500


def _payload(job: Job) -> RunChunksPayload:
    return msgspec.convert(job.payload, RunChunksPayload)


# --- payroll_calculate ----------------------------------------------------------------------


def plan_calculate(job: Job) -> list[ChunkPlan]:
    p = _payload(job)
    return [
        ChunkPlan(start, min(p.chunk_size, p.count - start))
        for start in range(0, p.count, p.chunk_size)
    ]


async def run_calculate_chunk(session: AsyncSession, job: Job, chunk: JobChunk) -> None:
    from daiko.payroll.inputs import build_results

    p = _payload(job)
    run = await repo.get_run_in(session, job.tenant_id, p.run_id)
    if run is None or run.status != "calculating" or run.calculate_job_id != job.id:
        return  # superseded by a recalculation, or the run moved on: nothing to do
    members = await repo.members_range(session, run, chunk.item_start, chunk.item_count)
    settings = await repo.get_settings(session, run.tenant_id)
    rows = await build_results(session, run, members, settings)
    await repo.insert_results(session, rows)
    if len(rows) < len(members):
        # Employees deleted from the master meanwhile: the run covers who is left.
        locked = await repo.get_run(session, run.id, for_update=True)
        if locked is not None:
            locked.employee_count -= len(members) - len(rows)
    await service.finish_calculation_if_complete(session, run.id)


# --- payroll_outputs ------------------------------------------------------------------------


def plan_outputs(job: Job) -> list[ChunkPlan]:
    p = _payload(job)
    total = p.count + 1  # the last item is the run-level files
    return [
        ChunkPlan(start, min(p.chunk_size, total - start))
        for start in range(0, total, p.chunk_size)
    ]


def _store() -> DocumentStore:
    from daiko.documents.tasks import current_store

    return current_store()


async def store_document(
    session: AsyncSession,
    store: DocumentStore,
    run: PayrollRun,
    *,
    kind: str,
    title: str,
    filename: str,
    content_type: str,
    data: bytes,
    employee_id: uuid.UUID | None = None,
    classification: str = "other",
) -> PayrollRunDocument:
    """A generated output as a verified document (we made the bytes), linked to the run."""
    document_id = new_id()
    key = version_key(run.tenant_id, document_id, 1)
    await store.put(key, data, content_type)
    digest = hashlib.sha256(data).hexdigest()
    now = datetime.now(UTC)
    session.add(
        Document(
            tenant_id=run.tenant_id,
            id=document_id,
            title=title[:200],
            classification=classification,
            transaction_date=run.pay_date,
            retention_class="payroll_record",
            retention_base_date=run.pay_date,
            retain_until=earliest_deletion_date("payroll_record", run.pay_date),
            legal_hold=False,
        )
    )
    await session.flush()
    session.add(
        DocumentVersion(
            tenant_id=run.tenant_id,
            id=new_id(),
            document_id=document_id,
            n=1,
            storage_key=key,
            declared_size=len(data),
            declared_sha256=digest,
            filename=filename,
            declared_content_type=content_type,
            sniffed_type=content_type,
            status="verified",
            upload_expires_at=now,
            uploaded_at=now,
            verified_at=now,
        )
    )
    link = PayrollRunDocument(
        tenant_id=run.tenant_id,
        id=new_id(),
        run_id=run.id,
        kind=kind,
        employee_id=employee_id,
        document_id=document_id,
        sha256=digest,
    )
    session.add(link)
    await session.flush()
    return link


def payslip_data(run: PayrollRun, tenant: Tenant, r: PayrollResult) -> PayslipData:
    lines = r.lines or {}
    deductions = [
        ("健康保険料" + ("(介護含)" if r.nursing_care else ""), r.health_insurance),
        ("子ども・子育て支援金", r.child_support_levy),
        ("厚生年金保険料", r.pension),
        ("雇用保険料", r.employment_insurance),
        ("所得税", r.income_tax),
        ("住民税", r.resident_tax),
        ("その他控除", r.other_deductions),
    ]
    return PayslipData(
        company_name=tenant.name,
        employee_code=r.employee_code,
        employee_name=r.employee_name,
        department=r.department or "",
        pay_date=run.pay_date,
        period=run.period,
        kind=run.kind,
        attendance=[(str(a), str(b)) for a, b in lines.get("attendance", [])],
        payments=[(str(a), int(b)) for a, b in lines.get("payments", [])],
        deductions=[(label, v) for label, v in deductions if v],
        gross=r.gross_pay,
        deductions_total=r.total_deductions,
        net=r.net_pay,
        transfer=r.net_pay,
    )


async def run_outputs_chunk(session: AsyncSession, job: Job, chunk: JobChunk) -> None:
    p = _payload(job)
    run = await repo.get_run_in(session, job.tenant_id, p.run_id)
    if run is None or run.status != "approved" or run.outputs_job_id != job.id:
        return
    tenant = await session.get(Tenant, run.tenant_id)
    assert tenant is not None
    store = _store()
    end = chunk.item_start + chunk.item_count
    slips = min(end, run.employee_count) - chunk.item_start
    if slips > 0:
        results = await repo.results_range(session, run, chunk.item_start, slips)
        done = await repo.documented_employees(session, run, [r.employee_id for r in results])
        todo = [r for r in results if r.employee_id not in done]
        pdfs = render_payslips([payslip_data(run, tenant, r) for r in todo])
        for r, pdf in zip(todo, pdfs, strict=True):
            label = "賞与明細書" if run.kind == "bonus" else "給与明細書"
            await store_document(
                session,
                store,
                run,
                kind="payslip",
                title=f"{label} {run.period} {r.employee_code} {r.employee_name}",
                filename=f"payslip-{run.period}-{r.employee_code}.pdf",
                content_type="application/pdf",
                data=pdf,
                employee_id=r.employee_id,
                classification="payslip",
            )
    if chunk.item_start <= run.employee_count < end:
        await run_level_outputs(session, store, run, tenant, job.created_by)
    await lock_if_complete(session, run.id)


async def run_level_outputs(
    session: AsyncSession,
    store: DocumentStore,
    run: PayrollRun,
    tenant: Tenant,
    actor_id: uuid.UUID | None,
) -> None:
    have = await repo.count_documents(session, run)
    if have.get("ledger_csv"):
        return  # done by an earlier attempt
    results = await repo.all_results(session, run)
    table = ledger_table(
        run.pay_date,
        run.period,
        [
            LedgerRow(
                employee_code=r.employee_code,
                employee_name=r.employee_name,
                department=r.department or "",
                amounts={c: getattr(r, c) for c in AMOUNT_COLUMNS},
                payments=[(str(a), int(b)) for a, b in (r.lines or {}).get("payments", [])],
                attendance=(r.lines or {}).get("ledger", {}),
            )
            for r in results
        ],
    )
    base = f"wage-ledger-{run.period}-{run.pay_group}" + ("-bonus" if run.kind == "bonus" else "")
    title = f"賃金台帳 {run.title}"
    for kind, filename, ctype, data in (
        ("ledger_csv", f"{base}.csv", "text/csv", to_csv(table)),
        ("ledger_csv_cp932", f"{base}-sjis.csv", "text/csv", to_csv(table, "cp932")),
        (
            "ledger_xlsx",
            f"{base}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            to_xlsx(table),
        ),
    ):
        await store_document(
            session,
            store,
            run,
            kind=kind,
            title=title,
            filename=filename,
            content_type=ctype,
            data=data,
        )
    zengin = await bank_file(session, run, results)
    if zengin is not None:
        link = await store_document(
            session,
            store,
            run,
            kind="zengin",
            title=f"給与振込データ {run.title}",
            filename=f"zengin-{run.pay_date:%Y%m%d}-{run.pay_group}.txt",
            content_type="text/plain",
            data=zengin,
        )
        locked = await repo.get_run(session, run.id, for_update=True)
        assert locked is not None
        locked.zengin_sha256 = link.sha256
        await record(
            session,
            tenant_id=run.tenant_id,
            actor=service.PUBLISHER,
            action="payroll_run.bank_file_created",
            resource_type="payroll_run",
            resource_id=run.id,
            details={"sha256": link.sha256, "document_id": str(link.document_id)},
        )
    await post_journal(session, run, tenant, actor_id)


async def bank_file(
    session: AsyncSession, run: PayrollRun, results: Sequence[PayrollResult]
) -> bytes | None:
    """The Zengin file for employees with a salary account (the rest are paid in cash);
    None when nobody has one."""
    from daiko.employees.models import HOLDER_NAME_PURPOSE, EmployeeBankAccount
    from daiko.security.fields import decrypt_fields

    ids = [r.employee_id for r in results if r.net_pay > 0]
    if not ids:
        return None
    accounts = (
        (
            await session.execute(
                select(EmployeeBankAccount)
                .where(
                    EmployeeBankAccount.tenant_id == run.tenant_id,
                    EmployeeBankAccount.employee_id.in_(ids),
                )
                .order_by(EmployeeBankAccount.employee_id, EmployeeBankAccount.position)
            )
        )
        .scalars()
        .all()
    )
    if not accounts:
        return None
    settings = await repo.get_settings(session, run.tenant_id)
    if settings is None or not settings.company_code or not settings.bank_code:
        raise InvalidInput.field(
            "payroll_settings",
            "the tenant's payroll settings lack the company code or paying bank "
            "for the Zengin header",
        )
    from daiko.employees.models import ACCOUNT_NUMBER_PURPOSE

    numbers = await decrypt_fields(
        session,
        run.tenant_id,
        [a.account_number_token for a in accounts],
        purpose=ACCOUNT_NUMBER_PURPOSE,
    )
    holders = await decrypt_fields(
        session,
        run.tenant_id,
        [a.holder_name_token for a in accounts],
        purpose=HOLDER_NAME_PURPOSE,
    )
    by_employee: dict[uuid.UUID, list[tuple[Any, str, str]]] = {}
    for account, number, holder in zip(accounts, numbers, holders, strict=True):
        by_employee.setdefault(account.employee_id, []).append((account, number, holder))
    transfers: list[ZenginTransfer] = []
    for r in results:
        own = by_employee.get(r.employee_id)
        if not own or r.net_pay <= 0:
            continue
        remaining = r.net_pay
        # Further accounts take their fixed amounts; the main account the rest.
        for account, number, holder in sorted(own, key=lambda t: -t[0].position):
            amount = remaining
            if account.position != 1 and account.fixed_amount:
                amount = min(account.fixed_amount, remaining)
            elif account.position != 1:
                continue
            if amount <= 0:
                continue
            remaining -= amount
            transfers.append(
                ZenginTransfer(
                    bank_code=account.bank_code,
                    bank_name_kana=account.bank_name_kana or "",
                    branch_code=account.branch_code,
                    branch_name_kana=account.branch_name_kana or "",
                    account_type=int(account.account_type),
                    account_number=number.rjust(7, "0"),
                    holder_name_kana=holder,
                    amount=amount,
                    customer_code1=r.employee_code if r.employee_code.isdigit() else "",
                )
            )
    if not transfers:
        return None
    header = ZenginHeader(
        kind=KIND_BONUS if run.kind == "bonus" else KIND_SALARY,
        company_code=settings.company_code,
        company_name_kana=settings.company_name_kana,
        transfer_date=run.pay_date,
        bank_code=settings.bank_code,
        bank_name_kana=settings.bank_name_kana,
        branch_code=settings.branch_code,
        branch_name_kana=settings.branch_name_kana,
        account_type=settings.account_type,
        account_number=settings.account_number.rjust(7, "0"),
    )
    return build_transfer_file(header, transfers, line_breaks=settings.zengin_line_breaks)


async def post_journal(
    session: AsyncSession, run: PayrollRun, tenant: Tenant, actor_id: uuid.UUID | None
) -> None:
    """The run's journal into the tenant's books (when it keeps them with us)."""
    if "bookkeeping" not in (tenant.services or []) or run.journal_entry_id is not None:
        return
    label = f"{run.period} {'賞与' if run.kind == 'bonus' else '給与'} {run.pay_group}"
    lines: list[JournalLine] = journal_lines(run.kind, run.totals, label)
    entry_id = await post_to_bookkeeping(
        session,
        tenant_id=run.tenant_id,
        run_id=run.id,
        entry_date=run.pay_date,
        description=run.title,
        lines=lines,
        created_by=actor_id,
    )
    if entry_id is not None:
        locked = await repo.get_run(session, run.id, for_update=True)
        assert locked is not None
        locked.journal_entry_id = entry_id


async def lock_if_complete(session: AsyncSession, run_id: uuid.UUID) -> bool:
    run = await repo.get_run(session, run_id, for_update=True)
    if run is None or run.status != "approved":
        return False
    have = await repo.count_documents(session, run)
    if have.get("payslip", 0) < run.employee_count or not have.get("ledger_csv"):
        return False
    run.status = service.check_transition(run.status, "lock")
    run.locked_at = datetime.now(UTC)
    run.version += 1
    docs = await repo.run_documents(session, run)
    await session.execute(
        insert(CaseDeliverable)
        .values(
            [
                {
                    "tenant_id": run.tenant_id,
                    "id": new_id(),
                    "case_id": run.case_id,
                    "document_id": d.document_id,
                    "title": d.kind,
                }
                for d, _ in docs
            ]
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "case_id", "document_id"])
    )
    await session.flush()
    await record(
        session,
        tenant_id=run.tenant_id,
        actor=service.PUBLISHER,
        action="payroll_run.locked",
        resource_type="payroll_run",
        resource_id=run.id,
        details={"documents": len(docs), "zengin_sha256": run.zengin_sha256},
    )
    return True


HANDLERS: dict[JobKind, Handler] = {
    JobKind.PAYROLL_CALCULATE: Handler(
        payload_type=RunChunksPayload, plan=plan_calculate, run_chunk=run_calculate_chunk
    ),
    JobKind.PAYROLL_OUTPUTS: Handler(
        payload_type=RunChunksPayload, plan=plan_outputs, run_chunk=run_outputs_chunk
    ),
}
