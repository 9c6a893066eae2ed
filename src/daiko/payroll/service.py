"""Payroll-run rules: create, calculate (a chunked job), review, four-eyes approval,
rejection, outputs and lock. Services only flush; the edge owns the transaction.

```
draft ─calculate─► calculating ─(last chunk)─► review ─approve─► approved ─(outputs)─► locked
  ▲                                              │ └─ calculate again
  └─────────────────── reject ◄──────────────────┘
```

An approved or locked run never changes: a correction is a new run naming the one it
corrects (`corrects_run_id`). The approver is never the person who created or last
calculated the run (four eyes). Outputs (payslips, 賃金台帳, bank file, journal) exist
only after approval. Every step is audited in the same transaction.
"""

from __future__ import annotations

import importlib
import importlib.util
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import SystemActor, record
from daiko.auth.policy import Action, authorize
from daiko.auth.principal import Principal
from daiko.cases import repository as cases_repo
from daiko.cases import service as cases
from daiko.errors import Conflict, Forbidden, InvalidInput, NotFound
from daiko.ids import new_id
from daiko.jobs import service as jobs
from daiko.jobs.kinds import JobKind
from daiko.jobs.models import Job
from daiko.payroll import repository as repo
from daiko.payroll.journal import journal_lines
from daiko.payroll.models import PayrollRun, PayrollSettings
from daiko.payroll.schemas import RunCreate, SettingsIn
from daiko.tenancy.models import Tenant

log = structlog.get_logger("daiko.payroll")

CHUNK_SIZE: Final = 500
OUTPUT_CHUNK_SIZE: Final = 100
SWING_PERCENT: Final = 20
CALCULATOR = SystemActor("worker.payroll_calculate", "給与計算 / payroll calculation")
PUBLISHER = SystemActor("worker.payroll_outputs", "給与出力 / payroll outputs")


# --------------------------------------------------------------------------- errors


class RunStateConflict(Conflict):
    slug = "payroll-run-state"
    title = "The payroll run's status does not allow this"


class RunApproved(Conflict):
    slug = "payroll-run-approved"
    title = "An approved payroll run cannot be changed"


class RunExists(Conflict):
    slug = "payroll-run-exists"
    title = "A run for this pay group, kind and pay date exists"


class FourEyesViolation(Forbidden):
    slug = "four-eyes"
    title = "The preparer of a payroll run may not approve it"


class OutputsNotReady(Conflict):
    slug = "payroll-outputs-not-ready"
    title = "Outputs exist only after approval"


# --------------------------------------------------------------------------- states

# verb → (statuses it may start from, status it leads to)
TRANSITIONS: Final[dict[str, tuple[frozenset[str], str]]] = {
    "calculate": (frozenset({"draft", "review"}), "calculating"),
    "finish": (frozenset({"calculating"}), "review"),
    "fail": (frozenset({"calculating"}), "draft"),
    "approve": (frozenset({"review"}), "approved"),
    "reject": (frozenset({"review"}), "draft"),
    "lock": (frozenset({"approved"}), "locked"),
}
FINAL: Final = frozenset({"approved", "locked"})


def check_transition(status: str, verb: str) -> str:
    """The status `verb` leads to from `status`, or the exact problem why not."""
    sources, target = TRANSITIONS[verb]
    if status in sources:
        return target
    if verb == "calculate" and status in FINAL:
        raise RunApproved(
            f"the run is {status}: it cannot be recalculated; open a correction run",
            extra={"run_status": status},
        )
    raise RunStateConflict(
        f"cannot {verb} a run that is {status} (only from {', '.join(sorted(sources))})",
        extra={"run_status": status, "allowed_from": sorted(sources)},
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _bump(run: PayrollRun) -> None:
    run.version += 1
    run.updated_at = _now()


# --------------------------------------------------------------------------- create


def _pay_groups(tenant: Tenant) -> dict[str, dict[str, Any]]:
    payroll = (tenant.settings or {}).get("payroll") or {}
    return {g["code"]: g for g in payroll.get("pay_groups", []) if "code" in g}


def _period_of(pay_date: date, group: Mapping[str, Any] | None) -> str:
    offset = int((group or {}).get("pay_month_offset", 0) or 0)
    index = pay_date.year * 12 + pay_date.month - 1 - offset
    return f"{index // 12}-{index % 12 + 1:02d}"


async def _tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("no such tenant")
    return tenant


async def create_run(
    session: AsyncSession, principal: Principal, tenant_id: uuid.UUID, data: RunCreate
) -> PayrollRun:
    """A draft run for a pay group and pay date, tied to its payroll case (the period's
    recurring case when it exists, else a new one)."""
    authorize(principal, Action.PAYROLL_RUN, tenant_id)
    tenant = await _tenant(session, tenant_id)
    if "payroll" not in (tenant.services or []):
        raise InvalidInput.field("tenant_id", "the tenant does not subscribe to payroll")
    groups = _pay_groups(tenant)
    if groups and data.pay_group not in groups:
        raise InvalidInput.field(
            "pay_group", f"unknown pay group; the tenant has {', '.join(sorted(groups))}"
        )
    period = data.period or _period_of(data.pay_date, groups.get(data.pay_group))
    original: PayrollRun | None = None
    if data.corrects_run_id is not None:
        original = await repo.get_run_in(session, tenant_id, data.corrects_run_id)
        if original is None:
            raise InvalidInput.field("corrects_run_id", "no such run in this tenant")
        if original.status not in FINAL:
            raise RunStateConflict(
                f"only an approved run can be corrected; run {original.id} is {original.status}",
                extra={"run_status": original.status},
            )
        if (original.kind, original.pay_group, original.pay_date) != (
            data.kind,
            data.pay_group,
            data.pay_date,
        ):
            raise InvalidInput.field(
                "corrects_run_id", "a correction has the kind, pay group and pay date it corrects"
            )
    else:
        existing = await repo.original_run(
            session, tenant_id, data.kind, data.pay_group, data.pay_date
        )
        if existing is not None:
            raise RunExists(
                f"run {existing.id} already covers {data.pay_group} {data.kind} pay on "
                f"{data.pay_date.isoformat()}; correct it with corrects_run_id",
                extra={"run_id": str(existing.id), "run_status": existing.status},
            )
    label = "賞与" if data.kind == "bonus" else "給与"
    group_name = str((groups.get(data.pay_group) or {}).get("name", data.pay_group))
    title = data.title or f"{label}計算 {period} {group_name}" + (" (訂正)" if original else "")
    if original is not None:
        case_id = original.case_id
    else:
        case_id = await _case_for(session, principal, tenant_id, data, period, title)
    run = PayrollRun(
        tenant_id=tenant_id,
        id=new_id(),
        case_id=case_id,
        kind=data.kind,
        pay_group=data.pay_group,
        period=period,
        pay_date=data.pay_date,
        status="draft",
        corrects_run_id=data.corrects_run_id,
        title=title,
        employee_count=0,
        totals={},
        created_by=principal.user_id,
        version=1,
    )
    session.add(run)
    await session.flush()
    await record(
        session,
        tenant_id=tenant_id,
        actor=principal,
        action="payroll_run.created",
        resource_type="payroll_run",
        resource_id=run.id,
        details={
            "kind": run.kind,
            "pay_group": run.pay_group,
            "pay_date": run.pay_date.isoformat(),
            "period": run.period,
            "case_id": str(run.case_id),
            "corrects_run_id": str(run.corrects_run_id) if run.corrects_run_id else None,
        },
    )
    return run


async def _case_for(
    session: AsyncSession,
    principal: Principal,
    tenant_id: uuid.UUID,
    data: RunCreate,
    period: str,
    title: str,
) -> uuid.UUID:
    if data.case_id is not None:
        chosen = await cases_repo.get_case(session, data.case_id)
        if chosen is None or chosen.tenant_id != tenant_id:
            raise InvalidInput.field("case_id", "no such case in this tenant")
        if chosen.type != "payroll" or chosen.status in ("closed", "rejected", "cancelled"):
            raise InvalidInput.field("case_id", "not an open payroll case")
        return chosen.id
    key = f"{data.pay_group}/{period}" if data.kind == "monthly" else None
    if key is not None:
        case = await repo.payroll_case(session, tenant_id, key)
        if case is not None:
            return case.id
    case = await cases.open_case(
        session,
        principal,
        cases.NewCase(
            tenant_id=tenant_id,
            type="payroll",
            title=title,
            period=period,
            pay_group=data.pay_group,
            pay_date=data.pay_date,
            status="submitted",
            recurrence_key=key,
        ),
        reason="payroll run created",
    )
    return case.id


# --------------------------------------------------------------------------- calculate


async def start_calculation(session: AsyncSession, principal: Principal, run: PayrollRun) -> Job:
    """Fix the run's employees and queue the chunked calculation. Allowed from draft and
    review (a recalculation), and from calculating when the last job failed."""
    authorize(principal, Action.PAYROLL_RUN, run.tenant_id)
    locked = await repo.get_run_in(session, run.tenant_id, run.id, for_update=True)
    assert locked is not None
    run = locked
    if run.status == "calculating" and not await _job_dead(session, run):
        raise RunStateConflict(
            "the run is calculating; wait for its job to finish",
            extra={"run_status": run.status, "job_id": str(run.calculate_job_id)},
        )
    if run.status != "calculating":
        check_transition(run.status, "calculate")
    from daiko.payroll import inputs

    await repo.clear_calculation(session, run)
    count = await inputs.fix_members(session, run)
    if not count:
        raise InvalidInput.field(
            "pay_group",
            f"no employee of pay group {run.pay_group} is employed in {run.period}",
        )
    job = await jobs.enqueue(
        session,
        run.tenant_id,
        JobKind.PAYROLL_CALCULATE,
        {"run_id": str(run.id), "count": count, "chunk_size": CHUNK_SIZE},
        created_by=principal.user_id,
    )
    previous = run.status
    run.status = "calculating"
    run.prepared_by = principal.user_id
    run.calculate_job_id = job.id
    run.employee_count = count
    run.totals = {}
    run.calculated_at = None
    run.last_error = None
    _bump(run)
    await session.flush()
    await record(
        session,
        tenant_id=run.tenant_id,
        actor=principal,
        action="payroll_run.calculation_started",
        resource_type="payroll_run",
        resource_id=run.id,
        details={"from": previous, "employees": count, "job_id": str(job.id)},
    )
    return job


async def _job_dead(session: AsyncSession, run: PayrollRun) -> bool:
    if run.calculate_job_id is None:
        return True
    job = await session.get(Job, (run.tenant_id, run.calculate_job_id))
    return job is None or job.status in ("failed", "cancelled")


async def finish_calculation_if_complete(session: AsyncSession, run_id: uuid.UUID) -> bool:
    """After a chunk: with the run row locked (chunks finishing at once queue here, and
    the last sees every other's rows), move a fully calculated run to review with its
    totals and journal. True when this call finished it."""
    run = await repo.get_run(session, run_id, for_update=True)
    if run is None or run.status != "calculating":
        return False
    if await repo.count_results(session, run) < run.employee_count:
        return False
    totals = await repo.result_totals(session, run)
    run.totals = totals
    run.status = check_transition(run.status, "finish")
    run.calculated_at = _now()
    _bump(run)
    await write_journal(session, run)
    await session.flush()
    await record(
        session,
        tenant_id=run.tenant_id,
        actor=CALCULATOR,
        action="payroll_run.calculated",
        resource_type="payroll_run",
        resource_id=run.id,
        details={
            "employees": totals.get("employees", 0),
            "gross_pay": totals.get("gross_pay", 0),
            "net_pay": totals.get("net_pay", 0),
        },
    )
    return True


async def write_journal(session: AsyncSession, run: PayrollRun) -> None:
    label = f"{run.period} {'賞与' if run.kind == 'bonus' else '給与'} {run.pay_group}"
    lines = journal_lines(run.kind, run.totals, label)
    await repo.replace_journal(
        session,
        run,
        [
            {
                "tenant_id": run.tenant_id,
                "id": new_id(),
                "run_id": run.id,
                "line_no": n,
                "account_code": line.account.code,
                "account_name": line.account.name,
                "sub_account": line.account.sub,
                "debit": line.debit,
                "credit": line.credit,
                "description": line.description,
            }
            for n, line in enumerate(lines, 1)
        ],
    )


# --------------------------------------------------------------------------- review


@dataclass(frozen=True)
class EmployeeFlag:
    employee_id: uuid.UUID
    employee_code: str
    employee_name: str
    flags: tuple[str, ...]
    gross: int | None
    previous_gross: int | None
    net: int | None
    previous_net: int | None


def swing(current: int, previous: int) -> bool:
    """More than 20 % away from the previous amount (exact, in integers)."""
    if previous == 0:
        return current != 0
    return abs(current - previous) * 100 > SWING_PERCENT * abs(previous)


@dataclass(frozen=True)
class Review:
    previous: PayrollRun | None
    flags: list[EmployeeFlag]


async def review(session: AsyncSession, run: PayrollRun) -> Review:
    """Differences from the previous approved run of the pay group, per employee:
    joiners, leavers, and net or gross swings of more than 20 %."""
    previous = await repo.previous_approved_run(session, run)
    if previous is None or run.status in ("draft", "calculating"):
        return Review(previous, [])
    out: list[EmployeeFlag] = []
    for c in await repo.compare(session, run, previous):
        flags: list[str] = []
        if c.previous_net is None:
            flags.append("joiner")
        elif c.net is None:
            flags.append("leaver")
        else:
            assert c.gross is not None
            assert c.previous_gross is not None
            if swing(c.net, c.previous_net):
                flags.append("net_swing")
            if swing(c.gross, c.previous_gross):
                flags.append("gross_swing")
        if flags:
            out.append(
                EmployeeFlag(
                    c.employee_id,
                    c.employee_code,
                    c.employee_name,
                    tuple(flags),
                    c.gross,
                    c.previous_gross,
                    c.net,
                    c.previous_net,
                )
            )
    return Review(previous, out)


# --------------------------------------------------------------------------- decide


async def approve(session: AsyncSession, principal: Principal, run: PayrollRun) -> Job:
    """Four-eyes approval; queues the outputs (payslips, 賃金台帳, bank file, journal)."""
    authorize(principal, Action.PAYROLL_APPROVE, run.tenant_id)
    locked = await repo.get_run_in(session, run.tenant_id, run.id, for_update=True)
    assert locked is not None
    run = locked
    target = check_transition(run.status, "approve")
    if principal.user_id is not None and principal.user_id in (run.prepared_by, run.created_by):
        raise FourEyesViolation(
            "you created or calculated this run; another person must approve it"
        )
    job = await jobs.enqueue(
        session,
        run.tenant_id,
        JobKind.PAYROLL_OUTPUTS,
        {
            "run_id": str(run.id),
            "count": run.employee_count,
            "chunk_size": OUTPUT_CHUNK_SIZE,
        },
        created_by=principal.user_id,
    )
    run.status = target
    run.approved_by = principal.user_id
    run.approved_at = _now()
    run.outputs_job_id = job.id
    _bump(run)
    await session.flush()
    await record(
        session,
        tenant_id=run.tenant_id,
        actor=principal,
        action="payroll_run.approved",
        resource_type="payroll_run",
        resource_id=run.id,
        details={"prepared_by": str(run.prepared_by) if run.prepared_by else None},
    )
    await _publish(
        session,
        run.tenant_id,
        "payroll_run.approved",
        {
            "run_id": str(run.id),
            "kind": run.kind,
            "pay_group": run.pay_group,
            "period": run.period,
            "pay_date": run.pay_date.isoformat(),
            "employees": run.employee_count,
        },
    )
    return job


async def reject(
    session: AsyncSession, principal: Principal, run: PayrollRun, reason: str
) -> PayrollRun:
    """Send a run in review back to draft for recalculation, with the reason."""
    authorize(principal, Action.PAYROLL_APPROVE, run.tenant_id)
    locked = await repo.get_run_in(session, run.tenant_id, run.id, for_update=True)
    assert locked is not None
    run = locked
    if not reason.strip():
        raise InvalidInput.field("reason", "say why the run is rejected")
    run.status = check_transition(run.status, "reject")
    run.rejected_by = principal.user_id
    run.rejected_at = _now()
    run.reject_reason = reason.strip()
    _bump(run)
    await session.flush()
    await record(
        session,
        tenant_id=run.tenant_id,
        actor=principal,
        action="payroll_run.rejected",
        resource_type="payroll_run",
        resource_id=run.id,
        details={"reason": run.reject_reason},
    )
    return run


async def _publish(
    session: AsyncSession, tenant_id: uuid.UUID, type_: str, data: dict[str, Any]
) -> None:
    if importlib.util.find_spec("daiko.partners") is None:
        return
    if importlib.util.find_spec("daiko.partners.events") is None:
        return
    events = importlib.import_module("daiko.partners.events")
    try:
        await events.publish(session, tenant_id=tenant_id, type=type_, data=data)
    except getattr(events, "UnknownEventType", ()) as exc:  # not declared there (yet)
        log.warning("event type unknown to partners", type=type_, error=str(exc))


def require_outputs(run: PayrollRun) -> None:
    if run.status not in FINAL:
        raise OutputsNotReady(
            f"the run is {run.status}; payslips, ledger and bank file are produced "
            "only after approval",
            extra={"run_status": run.status},
        )


# --------------------------------------------------------------------------- settings


SETTINGS_FIELDS: Final = (
    "company_code",
    "company_name_kana",
    "bank_code",
    "bank_name_kana",
    "branch_code",
    "branch_name_kana",
    "account_type",
    "account_number",
    "zengin_line_breaks",
    "withholding_method",
    "premium_collection",
    "pay_day",
    "closing_day",
)


async def settings_of(session: AsyncSession, tenant_id: uuid.UUID) -> PayrollSettings:
    return await repo.ensure_settings(session, tenant_id)


async def update_settings(
    session: AsyncSession, principal: Principal, tenant_id: uuid.UUID, data: SettingsIn
) -> PayrollSettings:
    """Edit the tenant's payroll settings (operators and leads); kana fields are checked
    against what a bank file can carry."""
    authorize(principal, Action.PAYROLL_RUN, tenant_id)
    from daiko.payroll.zengin import to_zengin_kana

    settings = await repo.ensure_settings(session, tenant_id)
    changed: dict[str, Any] = {}
    for name in SETTINGS_FIELDS:
        value = getattr(data, name)
        if value is None:
            continue
        if name.endswith("_kana") and value:
            to_zengin_kana(value, name)
        if name == "account_number":
            value = value.rjust(7, "0")
        if getattr(settings, name) != value:
            setattr(settings, name, value)
            changed[name] = value
    if changed:
        settings.version += 1
        settings.updated_at = _now()
        await session.flush()
        await record(
            session,
            tenant_id=tenant_id,
            actor=principal,
            action="payroll_settings.updated",
            resource_type="payroll_settings",
            resource_id=settings.id,
            details={"fields": sorted(changed)},
        )
    return settings


def run_label(run: PayrollRun) -> str:
    return run.title


__all__: Sequence[str] = (
    "FourEyesViolation",
    "OutputsNotReady",
    "RunApproved",
    "RunExists",
    "RunStateConflict",
    "approve",
    "check_transition",
    "create_run",
    "finish_calculation_if_complete",
    "reject",
    "review",
    "start_calculation",
)
