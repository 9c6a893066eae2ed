"""From the employee master to payslips: who a run covers, and each member's inputs
(`MonthInput` / `BonusInput`) turned into result rows by `daiko.payroll.calc`.

Reads the employees domain's tables in bulk (one query per table per chunk), so a chunk
of 500 employees costs a handful of round trips. Which date picks what (§1.1): the grade
(標準報酬月額) of the insurance month (翌月徴収: the month before the pay month, unless
the tenant collects 当月), resident tax of the pay month, attendance of the pay month.

Gross pay comes from `daiko.payroll.gross` (base pay, the employee's fixed allowances,
§37 premiums on the hourly base, absence and lateness, commuting up to its non-taxable
limit) plus the month's variable allowances (never in the hourly base); the month's
variable deductions go to other deductions.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, insert, literal, or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.employees.models import (
    Employee,
    EmployeeGrade,
    EmployeeMonthlyInput,
    HealthInsuranceSociety,
    ResidentTaxNotice,
)
from daiko.errors import InvalidInput
from daiko.payroll.calc import (
    BonusInput,
    Insurer,
    MonthInput,
    calculate_bonus,
    calculate_month,
)
from daiko.payroll.gross import Allowance, Attendance, calculate_gross
from daiko.payroll.models import PayrollResult, PayrollRun, PayrollRunMember, PayrollSettings
from daiko.payroll.premiums import charged_insurance_months

BONUS_KEYS = ("bonus", "賞与")
ALLOWANCE_NAMES = {
    "commuting": "通勤手当",
    "position": "役職手当",
    "family": "家族手当",
    "housing": "住宅手当",
    "other": "その他手当",
}


def month_bounds(period: str) -> tuple[date, date]:
    year, month = (int(p) for p in period.split("-"))
    first = date(year, month, 1)
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def _first(day: date) -> date:
    return day.replace(day=1)


def _prev_month(day: date) -> date:
    return (_first(day) - timedelta(days=1)).replace(day=1)


def eligible(run: PayrollRun) -> Any:
    """Employees of the run's pay group employed in its period (bonus: on the pay date)."""
    if run.kind == "bonus":
        start = end = run.pay_date
    else:
        start, end = month_bounds(run.period)
    return and_(
        Employee.tenant_id == run.tenant_id,
        Employee.pay_group == run.pay_group,
        Employee.hire_date <= end,
        or_(Employee.leave_date.is_(None), Employee.leave_date >= start),
    )


async def fix_members(session: AsyncSession, run: PayrollRun) -> int:
    """Number the run's employees in employee-code order, in one statement (no round trip
    per employee); returns how many."""
    seq = func.row_number().over(order_by=Employee.code) - 1
    source = select(
        literal(run.tenant_id).label("tenant_id"),
        func.gen_random_uuid().label("id"),
        literal(run.id).label("run_id"),
        seq.label("seq"),
        Employee.id.label("employee_id"),
    ).where(eligible(run))
    result = await session.execute(
        insert(PayrollRunMember).from_select(
            ["tenant_id", "id", "run_id", "seq", "employee_id"], source
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def eligible_employees(session: AsyncSession, run: PayrollRun) -> list[uuid.UUID]:
    """The ids `fix_members` would number, in the same order."""
    stmt = select(Employee.id).where(eligible(run)).order_by(Employee.code)
    return list((await session.execute(stmt)).scalars().all())


def _hours(value: Decimal | int | None) -> str:
    v = Decimal(value or 0)
    return f"{v.normalize():f}" if v else "0"


@dataclass(frozen=True)
class Gross:
    payments: list[tuple[str, int]]
    taxable: int
    non_taxable: int
    other_deductions: int
    attendance: list[tuple[str, str]]
    ledger: dict[str, str]


def gross_of(e: Employee, m: EmployeeMonthlyInput | None, pay_date: date) -> Gross:
    """Monthly gross lines of one employee from the master and the month's attendance,
    by `daiko.payroll.gross` (§37 premiums, 除外賃金, absence, commuting limit). Hourly
    staff are paid for days worked × their scheduled hours per day (the monthly input
    carries days, not hours)."""
    worked = Decimal(m.worked_days) if m else Decimal(0)
    absent = Decimal(m.absence_days) if m else Decimal(0)
    hours = Decimal(e.scheduled_monthly_hours or 0)
    days = Decimal(e.scheduled_days) if e.scheduled_days else None
    per_day = hours / days if hours and days else Decimal(8)
    allowances: list[Allowance] = []
    commuting = 0
    for allowance in e.allowances or []:
        amount = int(allowance.get("amount", 0))
        if not amount:
            continue
        kind = allowance.get("kind", "other")
        if kind == "commuting":
            commuting += amount
            continue
        name = str(allowance.get("name") or ALLOWANCE_NAMES.get(kind, kind))
        allowances.append(
            Allowance(name=name, amount=amount, taxable=bool(allowance.get("taxable", True)))
        )
    other = 0
    if m is not None:
        for name, amount in (m.variable_allowances or {}).items():
            if name in BONUS_KEYS or not amount:
                continue
            # 臨時に支払われた賃金: never part of the hourly base.
            allowances.append(Allowance(name=name, amount=int(amount), counts_for_overtime=False))
        other = sum(int(v) for v in (m.variable_deductions or {}).values())
    result = calculate_gross(
        Attendance(
            pay_date=pay_date,
            pay_basis=e.pay_basis,  # type: ignore[arg-type]
            base_rate=e.base_amount,
            average_monthly_scheduled_hours=hours or None,
            scheduled_daily_hours=per_day,
            scheduled_days=days,
            days_worked=worked,
            hours_worked=worked * per_day if e.pay_basis == "hourly" else Decimal(0),
            allowances=tuple(allowances),
            commuting_allowance=commuting,
            overtime_hours=Decimal(m.overtime_hours + m.overtime_over60_hours) if m else Decimal(0),
            statutory_rest_day_hours=Decimal(m.rest_day_hours) if m else Decimal(0),
            late_night_hours=Decimal(m.late_night_hours) if m else Decimal(0),
            absence_days=absent,
            lateness_hours=Decimal(m.lateness_hours) if m else Decimal(0),
        )
    )
    payments = [(line.name, line.amount) for line in result.lines]
    taxable, non_taxable = result.taxable_pay, result.non_taxable_pay
    attendance = [
        ("出勤日数", f"{worked.normalize():f}日" if m else "-"),
        ("欠勤日数", f"{absent.normalize():f}日" if m else "-"),
        ("有給取得", f"{Decimal(m.paid_leave_days).normalize():f}日" if m else "-"),
        ("時間外", f"{_hours(m.overtime_hours if m else None)}h"),
        ("60h超", f"{_hours(m.overtime_over60_hours if m else None)}h"),
        ("休日出勤", f"{_hours(m.rest_day_hours if m else None)}h"),
        ("深夜", f"{_hours(m.late_night_hours if m else None)}h"),
        ("遅刻早退", f"{_hours(m.lateness_hours if m else None)}h"),
    ]
    ledger = {
        "work_days": f"{worked.normalize():f}" if m else "",
        "work_hours": _hours(hours) if e.pay_basis != "daily" else "",
        "overtime_hours": _hours(
            (m.overtime_hours or 0) + (m.overtime_over60_hours or 0) if m else None
        ),
        "holiday_hours": _hours(m.rest_day_hours if m else None),
        "night_hours": _hours(m.late_night_hours if m else None),
    }
    return Gross(payments, taxable, non_taxable, other, attendance, ledger)


async def _by_employee(session: AsyncSession, stmt: Any) -> dict[uuid.UUID, Any]:
    return {row.employee_id: row for row in (await session.execute(stmt)).scalars().all()}


async def build_results(
    session: AsyncSession,
    run: PayrollRun,
    members: Sequence[tuple[int, uuid.UUID]],
    settings: PayrollSettings | None,
) -> list[dict[str, Any]]:
    """Result rows (ready to insert) for these members of the run."""
    if not members:
        return []
    first, last = min(seq for seq, _ in members), max(seq for seq, _ in members)
    # The chunk's employees as a subquery on the members table: an IN list of 500 bound
    # ids costs more to compile and plan than the whole query.
    ids: Any = (
        select(PayrollRunMember.employee_id)
        .where(
            PayrollRunMember.tenant_id == run.tenant_id,
            PayrollRunMember.run_id == run.id,
            PayrollRunMember.seq.between(first, last),
        )
        .scalar_subquery()
    )
    employees = {
        e.id: e
        for e in (
            await session.execute(
                select(Employee).where(Employee.tenant_id == run.tenant_id, Employee.id.in_(ids))
            )
        )
        .scalars()
        .all()
    }
    pay_month = _first(run.pay_date)
    collection = settings.premium_collection if settings else "next_month"
    insurance_month = _prev_month(pay_month) if collection == "next_month" else pay_month
    grades = await _by_employee(
        session,
        select(EmployeeGrade)
        .where(
            EmployeeGrade.tenant_id == run.tenant_id,
            EmployeeGrade.employee_id.in_(ids),
            EmployeeGrade.effective_month <= insurance_month,
        )
        .order_by(EmployeeGrade.employee_id, EmployeeGrade.effective_month.desc())
        .ext(distinct_on(EmployeeGrade.employee_id)),
    )
    fiscal_year = pay_month.year if pay_month.month >= 6 else pay_month.year - 1
    notices = await _by_employee(
        session,
        select(ResidentTaxNotice).where(
            ResidentTaxNotice.tenant_id == run.tenant_id,
            ResidentTaxNotice.employee_id.in_(ids),
            ResidentTaxNotice.fiscal_year == fiscal_year,
        ),
    )
    monthly = await _by_employee(
        session,
        select(EmployeeMonthlyInput).where(
            EmployeeMonthlyInput.tenant_id == run.tenant_id,
            EmployeeMonthlyInput.employee_id.in_(ids),
            EmployeeMonthlyInput.pay_month == pay_month,
        ),
    )
    society_ids = {e.society_id for e in employees.values() if e.society_id is not None}
    insurers = await _insurers(session, run.tenant_id, society_ids, insurance_month)
    previous_after_insurance: dict[uuid.UUID, int] = {}
    counted: dict[uuid.UUID, tuple[int, int]] = {}
    if run.kind == "bonus":
        member_ids = [eid for _, eid in members]
        previous_after_insurance = await _previous_month_after_insurance(session, run, member_ids)
        counted = await _bonus_already_counted(session, run, member_ids)
    method = settings.withholding_method if settings else "table"
    rows: list[dict[str, Any]] = []
    for seq, eid in members:
        e = employees.get(eid)
        if e is None:
            continue  # removed from the master since the run started
        try:
            rows.append(
                _row(
                    run,
                    seq,
                    e,
                    grades.get(eid),
                    notices.get(eid),
                    monthly.get(eid),
                    insurers.get(e.society_id) if e.society_id else None,
                    method,
                    collection,
                    previous_after_insurance.get(eid),
                    counted.get(eid, (0, 0)),
                )
            )
        except InvalidInput as exc:
            raise InvalidInput(f"employee {e.code}: {exc.detail}", errors=exc.errors) from None
    return rows


async def _insurers(
    session: AsyncSession, tenant_id: uuid.UUID, ids: set[uuid.UUID], month: date
) -> dict[uuid.UUID, Insurer]:
    if not ids:
        return {}
    rows = (
        (
            await session.execute(
                select(HealthInsuranceSociety).where(
                    HealthInsuranceSociety.tenant_id == tenant_id,
                    HealthInsuranceSociety.id.in_(list(ids)),
                )
            )
        )
        .scalars()
        .all()
    )
    return {
        s.id: Insurer(
            name=s.name,
            health_rate=s.health_rate,
            care_rate=s.care_rate,
            health_employee_rate=s.health_employee_rate,
            care_employee_rate=s.care_employee_rate,
        )
        for s in rows
    }


async def _previous_month_after_insurance(
    session: AsyncSession, run: PayrollRun, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Each employee's 社会保険料等控除後の給与 of the latest approved monthly run paid
    before the bonus (the bonus tax rate is read from it)."""
    last = (
        select(PayrollRun.id)
        .where(
            PayrollRun.tenant_id == run.tenant_id,
            PayrollRun.kind == "monthly",
            PayrollRun.status.in_(("approved", "locked")),
            PayrollRun.pay_date < run.pay_date,
        )
        .order_by(PayrollRun.pay_date.desc(), PayrollRun.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    stmt = select(PayrollResult.employee_id, PayrollResult.taxable_after_insurance).where(
        and_(
            PayrollResult.tenant_id == run.tenant_id,
            PayrollResult.run_id == last,
            PayrollResult.employee_id.in_(list(ids)),
        )
    )
    return {eid: int(v) for eid, v in (await session.execute(stmt)).all()}


async def _bonus_already_counted(
    session: AsyncSession, run: PayrollRun, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int]]:
    """Each employee's 標準賞与額 already counted before this bonus (§1.5): for health in
    the April–March year of the pay date, for pension in its calendar month. Earlier
    approved bonus runs count, except a run a later approved run corrects (and the run
    this one corrects): a correction replaces, it does not add."""
    pay = run.pay_date
    fy_start = date(pay.year if pay.month >= 4 else pay.year - 1, 4, 1)
    done = ("approved", "locked")
    corrected = select(PayrollRun.corrects_run_id).where(
        PayrollRun.tenant_id == run.tenant_id,
        PayrollRun.status.in_(done),
        PayrollRun.corrects_run_id.is_not(None),
    )
    earlier = select(PayrollRun.id, PayrollRun.pay_date).where(
        PayrollRun.tenant_id == run.tenant_id,
        PayrollRun.kind == "bonus",
        PayrollRun.status.in_(done),
        PayrollRun.id != run.id,
        PayrollRun.pay_date >= fy_start,
        PayrollRun.pay_date <= pay,
        PayrollRun.id.not_in(corrected),
    )
    if run.corrects_run_id is not None:
        earlier = earlier.where(PayrollRun.id != run.corrects_run_id)
    runs: dict[uuid.UUID, date] = {r.id: r.pay_date for r in (await session.execute(earlier)).all()}
    if not runs:
        return {}
    stmt = select(PayrollResult.run_id, PayrollResult.employee_id, PayrollResult.taxable_pay).where(
        PayrollResult.tenant_id == run.tenant_id,
        PayrollResult.run_id.in_(list(runs)),
        PayrollResult.employee_id.in_(list(ids)),
    )
    out: dict[uuid.UUID, tuple[int, int]] = {}
    for run_id, eid, amount in (await session.execute(stmt)).all():
        standard = int(amount) // 1000 * 1000  # 標準賞与額: below ¥1,000 truncated
        health, pension = out.get(eid, (0, 0))
        same_month = (runs[run_id].year, runs[run_id].month) == (pay.year, pay.month)
        out[eid] = (health + standard, pension + (standard if same_month else 0))
    return out


def _row(
    run: PayrollRun,
    seq: int,
    e: Employee,
    grade: EmployeeGrade | None,
    notice: ResidentTaxNotice | None,
    month: EmployeeMonthlyInput | None,
    insurer: Insurer | None,
    method: str,
    collection: str,
    previous_after_insurance: int | None,
    bonus_counted: tuple[int, int] = (0, 0),
) -> dict[str, Any]:
    prefecture = e.prefecture if insurer is None else None
    enrolled = e.social_insurance_enrolled and grade is not None
    notes: list[str] = []
    if e.social_insurance_enrolled and grade is None:
        notes.append("no 標準報酬月額 recorded: social insurance not charged")
    common: dict[str, Any] = {
        "tenant_id": run.tenant_id,
        "id": uuid.uuid4(),
        "run_id": run.id,
        "employee_id": e.id,
        "seq": seq,
        "employee_code": e.code,
        "employee_name": e.full_name,
        "department": e.department,
        "standard_monthly_remuneration": grade.health_standard if grade else None,
    }
    if run.kind == "bonus":
        variable = (month.variable_allowances if month else None) or {}
        bonus = sum(int(variable.get(k, 0)) for k in BONUS_KEYS)
        b = calculate_bonus(
            BonusInput(
                pay_date=run.pay_date,
                birth_date=e.birth_date,
                bonus_amount=bonus,
                prefecture=prefecture,
                insurer=insurer,
                employment_insurance_industry=e.employment_insurance_industry,  # type: ignore[arg-type]
                previous_month_after_insurance=previous_after_insurance,
                health_standard_bonus_this_fiscal_year=bonus_counted[0],
                pension_standard_bonus_this_month=bonus_counted[1],
                withholding_column=e.withholding_column,  # type: ignore[arg-type]
                dependents=e.dependents,
                withholding_method=method,  # type: ignore[arg-type]
                loss_date=(e.leave_date + timedelta(days=1)) if e.leave_date else None,
                social_insurance_enrolled=e.social_insurance_enrolled,
                employment_insurance_enrolled=e.employment_insurance_enrolled,
            )
        )
        return common | {
            "nursing_care": b.nursing_care,
            "gross_pay": bonus,
            "taxable_pay": bonus,
            "non_taxable_pay": 0,
            "health_insurance": b.health_insurance,
            "child_support_levy": b.child_support_levy,
            "pension": b.pension,
            "employment_insurance": b.employment_insurance,
            "social_insurance_total": b.social_insurance_total,
            "taxable_after_insurance": b.bonus_after_insurance,
            "income_tax": b.income_tax,
            "resident_tax": 0,
            "other_deductions": b.other_deductions,
            "total_deductions": b.total_deductions,
            "net_pay": b.net_pay,
            **_employer(b.employer),
            "lines": {
                "attendance": [],
                "payments": [["賞与", bonus]],
                "ledger": {},
                "notes": [*notes, *b.notes],
            },
        }
    g = gross_of(e, month, run.pay_date)
    pay_month = _first(run.pay_date)
    # Join and leave months (§1.6): the insurance months this payslip deducts. A
    # leaver's last pay (the run of the month they leave in, or later) also deducts
    # every premium month up to the one before the loss date's month.
    period_end = month_bounds(run.period)[1]
    charged = charged_insurance_months(
        insurance_month=_prev_month(pay_month) if collection == "next_month" else pay_month,
        hire_date=e.hire_date,
        loss_date=e.leave_date + timedelta(days=1) if e.leave_date else None,
        final_pay=e.leave_date is not None and e.leave_date <= period_end,
    )
    r = calculate_month(
        MonthInput(
            pay_date=run.pay_date,
            birth_date=e.birth_date,
            standard_monthly_remuneration=grade.health_standard if grade else 0,
            pension_standard_monthly_remuneration=grade.pension_standard if grade else None,
            taxable_pay=g.taxable,
            non_taxable_pay=g.non_taxable,
            prefecture=prefecture,
            insurer=insurer,
            employment_insurance_industry=e.employment_insurance_industry,  # type: ignore[arg-type]
            withholding_column=e.withholding_column,  # type: ignore[arg-type]
            dependents=e.dependents,
            withholding_method=method,  # type: ignore[arg-type]
            resident_tax=notice.amount_for(pay_month) if notice else 0,
            other_deductions=g.other_deductions,
            social_insurance_enrolled=enrolled,
            employment_insurance_enrolled=e.employment_insurance_enrolled,
            premium_collection=collection,  # type: ignore[arg-type]
            charged_insurance_months=charged,
        )
    )
    return common | {
        "nursing_care": r.nursing_care,
        "gross_pay": g.taxable + g.non_taxable,
        "taxable_pay": g.taxable,
        "non_taxable_pay": g.non_taxable,
        "health_insurance": r.health_insurance,
        "child_support_levy": r.child_support_levy,
        "pension": r.pension,
        "employment_insurance": r.employment_insurance,
        "social_insurance_total": r.social_insurance_total,
        "taxable_after_insurance": r.taxable_after_insurance,
        "income_tax": r.income_tax,
        "resident_tax": r.resident_tax,
        "other_deductions": r.other_deductions,
        "total_deductions": r.total_deductions,
        "net_pay": r.net_pay,
        **_employer(r.employer),
        "lines": {
            "attendance": [list(a) for a in g.attendance],
            "payments": [list(p) for p in g.payments],
            "ledger": g.ledger,
            "notes": [*notes, *r.notes],
        },
    }


def _employer(share: Any) -> Mapping[str, int]:
    return {
        "employer_health_insurance": share.health_insurance,
        "employer_child_support_levy": share.child_support_levy,
        "employer_pension": share.pension,
        "employer_employment_insurance": share.employment_insurance,
        "employer_child_contribution": share.child_contribution,
        "employer_total": share.total,
    }
