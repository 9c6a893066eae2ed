"""Building the 算定基礎 and 月額変更 review lists from approved payroll results.

Pay is taken by the month it was *paid* in (the run's pay date), from approved or locked
monthly runs (a correction run's result replaces the original's). 支払基礎日数: for a
monthly-salaried employee the calendar days of the run's period less the absence days
deducted; for daily and hourly pay the worked days plus paid leave (the month's
`employee_monthly_inputs`).

- 算定基礎 (year Y): everyone insured on 1 July Y and hired before 1 June Y, except those
  whose 随時改定 takes effect in July, August or September Y. April–June pay; the month of
  a hire after the 1st of its period is excluded ("mid-month hire").
- 月額変更 (month M, the month a changed fixed wage was first paid): the employees whose
  fixed pay (基本給 plus the allowances of the master, i.e. without overtime and other
  variable pay) paid in M differs from M−1's; M, M+1 and M+2 must all be paid.
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import SystemActor
from daiko.employees.models import Employee, EmployeeMonthlyInput
from daiko.ids import new_id
from daiko.social_insurance import repository as repo
from daiko.social_insurance import service
from daiko.social_insurance.models import SiReview, SiReviewItem
from daiko.social_insurance.standard import (
    MonthPay,
    WorkerKind,
    annual_decision,
    monthly_change,
    tables_on,
)

ACTOR = SystemActor("jobs.social_insurance_review")


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def base_days(employee: Employee, period: dt.date, m: EmployeeMonthlyInput | None) -> int:
    if employee.pay_basis == "monthly":
        days = calendar.monthrange(period.year, period.month)[1]
        absent = Decimal(m.absence_days) if m else Decimal(0)
        return max(0, int(Decimal(days) - absent))
    if m is None:
        return 0
    return int(Decimal(m.worked_days) + Decimal(m.paid_leave_days))


def fixed_pay(employee: Employee, payments: list[tuple[str, int]]) -> int:
    names = {"基本給"} | {
        str(a.get("name") or a.get("kind") or "") for a in (employee.allowances or [])
    }
    return sum(amount for label, amount in payments if label in names)


def worker_kind(employee: Employee) -> WorkerKind:
    return "part_time" if employee.employment_type == "part_time" else "ordinary"


async def _employees(session: AsyncSession, tenant_id: uuid.UUID) -> list[Employee]:
    stmt = (
        select(Employee)
        .where(Employee.tenant_id == tenant_id, Employee.social_insurance_enrolled.is_(True))
        .order_by(Employee.code)
    )
    return list((await session.execute(stmt)).scalars())


async def _inputs(
    session: AsyncSession, tenant_id: uuid.UUID, first: dt.date, last: dt.date
) -> dict[tuple[uuid.UUID, dt.date], EmployeeMonthlyInput]:
    stmt = select(EmployeeMonthlyInput).where(
        EmployeeMonthlyInput.tenant_id == tenant_id,
        EmployeeMonthlyInput.pay_month >= first,
        EmployeeMonthlyInput.pay_month <= last,
    )
    return {(m.employee_id, m.pay_month): m for m in (await session.execute(stmt)).scalars()}


def _item(review: SiReview, employee: Employee, **values: Any) -> SiReviewItem:
    return SiReviewItem(
        tenant_id=review.tenant_id,
        id=new_id(),
        review_id=review.id,
        employee_id=employee.id,
        **values,
    )


async def build_review(session: AsyncSession, review: SiReview) -> dict[str, int]:
    """(Re)build the review's undecided items; decided (approved/dismissed) ones stay."""
    from daiko.employees import repository as employees_repo

    decided = {
        i.employee_id
        for i in await repo.items_of(session, review)
        if i.status in ("approved", "dismissed")
    }
    await session.execute(
        delete(SiReviewItem).where(
            SiReviewItem.tenant_id == review.tenant_id,
            SiReviewItem.review_id == review.id,
            SiReviewItem.status.in_(("proposed", "no_change")),
        )
    )
    if review.kind == "santei":
        year = int(review.period)
        first, last = dt.date(year, 4, 1), dt.date(year, 6, 1)
        input_first, input_last = dt.date(year, 3, 1), last
        check = dt.date(year, 9, 1)
    else:
        first = dt.date.fromisoformat(review.period + "-01")
        last = add_months(first, 2)
        input_first, input_last = add_months(first, -2), last
        check = add_months(first, 3)
    health, pension = tables_on(check)
    paid = await repo.paid_months(
        session, review.tenant_id, add_months(first, -1) if review.kind != "santei" else first, last
    )
    by_employee: dict[uuid.UUID, dict[dt.date, repo.PaidMonth]] = {}
    for p in paid:
        by_employee.setdefault(p.employee_id, {})[p.paid_month] = p
    inputs = await _inputs(session, review.tenant_id, input_first, input_last)
    counts = {"proposed": 0, "no_change": 0, "skipped": 0}
    for employee in await _employees(session, review.tenant_id):
        if employee.id in decided:
            continue
        history = await employees_repo.grades(session, employee)
        if review.kind == "santei":
            item = _santei_item(
                review, employee, history, by_employee.get(employee.id, {}), inputs, health, pension
            )
        else:
            item = _change_item(
                review, employee, history, by_employee.get(employee.id, {}), inputs, health, pension
            )
        if item is None:
            counts["skipped"] += 1
            continue
        session.add(item)
        counts[item.status] += 1
    review.status = "open"
    review.summary = dict(counts)
    await session.flush()
    if review.kind == "santei" and review.case_id is None:
        await _santei_case(session, review)
    return counts


def _month_pays(
    employee: Employee,
    months: list[dt.date],
    paid: dict[dt.date, repo.PaidMonth],
    inputs: dict[tuple[uuid.UUID, dt.date], EmployeeMonthlyInput],
    *,
    exclude_mid_month_hire: bool,
) -> tuple[list[MonthPay], list[dt.date]]:
    pays: list[MonthPay] = []
    missing: list[dt.date] = []
    for month in months:
        p = paid.get(month)
        if p is None:
            missing.append(month)
            continue
        reason = None
        if exclude_mid_month_hire and p.period < employee.hire_date < add_months(p.period, 1):
            reason = "mid-month hire"
        days = base_days(employee, p.period, inputs.get((employee.id, p.period)))
        pays.append(MonthPay(month, p.gross, days, exclude_reason=reason))
    return pays, missing


def _santei_item(
    review: SiReview,
    employee: Employee,
    history: Any,
    paid: dict[dt.date, repo.PaidMonth],
    inputs: dict[tuple[uuid.UUID, dt.date], EmployeeMonthlyInput],
    health: Any,
    pension: Any,
) -> SiReviewItem | None:
    from daiko.employees.repository import pick_grade

    year = int(review.period)
    july = dt.date(year, 7, 1)
    if employee.hire_date >= dt.date(year, 6, 1):
        return None
    if employee.leave_date is not None and employee.leave_date < july:
        return None
    if any(
        g.reason == "change"
        and g.effective_month in (july, dt.date(year, 8, 1), dt.date(year, 9, 1))
        for g in history
    ):
        return None
    current = pick_grade(history, july)
    months = [dt.date(year, m, 1) for m in (4, 5, 6)]
    pays, missing = _month_pays(employee, months, paid, inputs, exclude_mid_month_hire=True)
    rows: list[tuple[dt.date, int, int, str | None]] = [(m, 0, 0, "not paid") for m in missing]
    if current is None:
        return _item(
            review,
            employee,
            status="no_change",
            months=service.months_json(
                rows + [(p.month, p.remuneration, p.base_days, p.exclude_reason) for p in pays]
            ),
            reason="no recorded grade",
        )
    decision = annual_decision(
        year,
        pays,
        current_health=current.health_standard,
        current_pension=current.pension_standard,
        health=health,
        pension=pension,
        kind=worker_kind(employee),
    )
    excluded = dict(decision.months_excluded)
    rows += [(p.month, p.remuneration, p.base_days, excluded.get(p.month)) for p in pays]
    rows.sort()
    reason = (
        "no usable month: the previous grade stays"
        if decision.kept_previous
        else f"average of {len(decision.months_used)} month(s)"
    )
    return _item(
        review,
        employee,
        status="proposed",
        current_health=current.health_standard,
        current_pension=current.pension_standard,
        new_health=decision.health.amount,
        new_pension=decision.pension.amount,
        average=decision.average,
        effective_month=decision.effective_month,
        months=service.months_json(rows),
        reason=reason,
    )


def _change_item(
    review: SiReview,
    employee: Employee,
    history: Any,
    paid: dict[dt.date, repo.PaidMonth],
    inputs: dict[tuple[uuid.UUID, dt.date], EmployeeMonthlyInput],
    health: Any,
    pension: Any,
) -> SiReviewItem | None:
    from daiko.employees.repository import pick_grade

    first = dt.date.fromisoformat(review.period + "-01")
    before, now = paid.get(add_months(first, -1)), paid.get(first)
    if before is None or now is None:
        return None
    old_fixed, new_fixed = fixed_pay(employee, before.payments), fixed_pay(employee, now.payments)
    if old_fixed == new_fixed:
        return None
    direction: Literal["up", "down"] = "up" if new_fixed > old_fixed else "down"
    current = pick_grade(history, first)
    months = [add_months(first, i) for i in range(3)]
    pays, missing = _month_pays(employee, months, paid, inputs, exclude_mid_month_hire=False)
    rows: list[tuple[dt.date, int, int, str | None]] = [
        (p.month, p.remuneration, p.base_days, None) for p in pays
    ]
    rows += [(m, 0, 0, "not paid") for m in missing]
    rows.sort()
    fixed_note = f"fixed pay {old_fixed:,} → {new_fixed:,}"
    if current is None or missing:
        return _item(
            review,
            employee,
            status="no_change",
            months=service.months_json(rows),
            reason=f"{fixed_note}; "
            + ("no recorded grade" if current is None else f"{missing[0]:%Y-%m} not paid yet"),
        )
    check = monthly_change(
        first,
        pays,
        direction=direction,
        current_health=current.health_standard,
        current_pension=current.pension_standard,
        health=health,
        pension=pension,
        kind=worker_kind(employee),
    )
    if check.decision is None:
        return _item(
            review,
            employee,
            status="no_change",
            current_health=current.health_standard,
            current_pension=current.pension_standard,
            months=service.months_json(rows),
            reason=f"{fixed_note}; {check.reason}",
        )
    d = check.decision
    return _item(
        review,
        employee,
        status="proposed",
        current_health=current.health_standard,
        current_pension=current.pension_standard,
        new_health=d.health.amount,
        new_pension=d.pension.amount,
        average=d.average,
        effective_month=d.effective_month,
        months=service.months_json(rows),
        reason=f"{fixed_note}; {check.reason} (health {check.health_difference:+d}, "
        f"pension {check.pension_difference:+d})",
    )


async def _santei_case(session: AsyncSession, review: SiReview) -> None:
    year = int(review.period)
    july = dt.date(year, 7, 1)
    case = await service.open_si_case(
        session, ACTOR, review.tenant_id, "si_santei", f"算定基礎届 {year}", july, period=str(year)
    )
    await service.add_procedure(
        session,
        ACTOR,
        case,
        kind="santei",
        event="annual",
        event_date=july,
        employee_id=None,
        inputs={},
        review_id=review.id,
    )
    review.case_id = case.id
    await session.flush()
