"""The only place with employee-master queries. Every function takes a tenant-scoped
session: RLS limits it to the caller's tenants, and each query also names its tenant, so
another tenant's employee simply is not found.

For payroll: `list_employees(..., active_on=...)`, `grades_for`/`grade_for`,
`resident_tax_for`, `monthly_inputs_for_month` and `bank_accounts_for` read what a run
needs in a few set-wise queries (no per-employee round trips)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, tuple_
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.employees.models import (
    Employee,
    EmployeeBankAccount,
    EmployeeGrade,
    EmployeeImport,
    EmployeeMonthlyInput,
    EmployeeMyNumber,
    HealthInsuranceSociety,
    ResidentTaxNotice,
)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


async def get_employee(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    employee_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Employee | None:
    stmt = select(Employee).where(Employee.tenant_id == tenant_id, Employee.id == employee_id)
    if for_update:
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


# The masked My Number beside each employee in the same statement (API reads: one round
# trip instead of two).
_LAST4 = (
    select(EmployeeMyNumber.last4)
    .where(
        EmployeeMyNumber.tenant_id == Employee.tenant_id,
        EmployeeMyNumber.employee_id == Employee.id,
    )
    .correlate(Employee)
    .scalar_subquery()
    .label("my_number_last4")
)


async def with_my_number_last4(
    session: AsyncSession, stmt: Select[Employee]
) -> list[tuple[Employee, str | None]]:
    """Run a `select(Employee)` statement, each employee with its My Number's last 4."""
    return [(row[0], row[1]) for row in await session.execute(stmt.add_columns(_LAST4))]


def find_stmt(employee_id: uuid.UUID) -> Select[Employee]:
    return select(Employee).where(Employee.id == employee_id)


async def find_employee(session: AsyncSession, employee_id: uuid.UUID) -> Employee | None:
    """By id alone, in whatever tenants the session's scope holds (RLS decides)."""
    return (await session.execute(find_stmt(employee_id))).scalar_one_or_none()


async def get_by_code(session: AsyncSession, tenant_id: uuid.UUID, code: str) -> Employee | None:
    stmt = select(Employee).where(Employee.tenant_id == tenant_id, Employee.code == code)
    return (await session.execute(stmt)).scalar_one_or_none()


async def by_codes(
    session: AsyncSession, tenant_id: uuid.UUID, codes: Sequence[str]
) -> dict[str, Employee]:
    if not codes:
        return {}
    stmt = select(Employee).where(Employee.tenant_id == tenant_id, Employee.code.in_(list(codes)))
    return {e.code: e for e in (await session.execute(stmt)).scalars()}


@dataclass(frozen=True)
class EmployeeFilter:
    tenant_id: uuid.UUID | None = None
    active_on: date | None = None  # hired on or before, not left before
    department: str | None = None
    pay_group: str | None = None
    q: str | None = None  # code prefix, or part of a name (kanji or kana)
    employed_in: tuple[date, date] | None = None  # employed on some day of this span
    include_left: bool = True


def _filtered(stmt: Any, where: EmployeeFilter) -> Any:
    if where.tenant_id is not None:
        stmt = stmt.where(Employee.tenant_id == where.tenant_id)
    if where.active_on is not None:
        stmt = stmt.where(
            Employee.hire_date <= where.active_on,
            or_(Employee.leave_date.is_(None), Employee.leave_date >= where.active_on),
        )
    if where.employed_in is not None:
        first, last = where.employed_in
        stmt = stmt.where(
            Employee.hire_date <= last,
            or_(Employee.leave_date.is_(None), Employee.leave_date >= first),
        )
    if not where.include_left:
        stmt = stmt.where(Employee.leave_date.is_(None))
    if where.department is not None:
        stmt = stmt.where(Employee.department == where.department)
    if where.pay_group is not None:
        stmt = stmt.where(Employee.pay_group == where.pay_group)
    if where.q:
        like = "%" + where.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        name = func.concat(Employee.family_name, Employee.given_name)
        kana = func.concat(Employee.family_name_kana, Employee.given_name_kana)
        stmt = stmt.where(
            or_(
                Employee.code.ilike(like),
                name.ilike(like),
                kana.ilike(like),
                func.concat(Employee.family_name, " ", Employee.given_name).ilike(like),
            )
        )
    return stmt


def list_stmt(
    where: EmployeeFilter,
    *,
    after: tuple[str, uuid.UUID] | None = None,
    limit: int | None = 50,
) -> Select[Employee]:
    """By (code, id): the order people expect in a staff list, stable under inserts."""
    stmt: Select[Employee] = _filtered(select(Employee), where).order_by(Employee.code, Employee.id)
    if after is not None:
        stmt = stmt.where(
            tuple_(Employee.code, Employee.id) > tuple_(literal(after[0]), literal(after[1]))
        )
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt


async def list_employees(
    session: AsyncSession,
    where: EmployeeFilter,
    *,
    after: tuple[str, uuid.UUID] | None = None,
    limit: int | None = 50,
) -> Sequence[Employee]:
    stmt = list_stmt(where, after=after, limit=limit)
    return list((await session.execute(stmt)).scalars().all())


def updated_since_stmt(
    where: EmployeeFilter,
    since: datetime,
    *,
    after: tuple[datetime, uuid.UUID] | None = None,
    limit: int = 50,
) -> Select[Employee]:
    """Sync mode: changed at or after `since`, by (updated_at, id)."""
    stmt: Select[Employee] = (
        _filtered(select(Employee), where)
        .where(Employee.updated_at >= since)
        .order_by(Employee.updated_at, Employee.id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(
            tuple_(Employee.updated_at, Employee.id) > tuple_(literal(after[0]), literal(after[1]))
        )
    return stmt


async def list_updated_since(
    session: AsyncSession,
    where: EmployeeFilter,
    since: datetime,
    *,
    after: tuple[datetime, uuid.UUID] | None = None,
    limit: int = 50,
) -> Sequence[Employee]:
    stmt = updated_since_stmt(where, since, after=after, limit=limit)
    return list((await session.execute(stmt)).scalars().all())


async def departments(session: AsyncSession, tenant_id: uuid.UUID) -> list[str]:
    stmt = (
        select(Employee.department)
        .where(Employee.tenant_id == tenant_id, Employee.department.is_not(None))
        .distinct()
        .order_by(Employee.department)
    )
    return [d for d in (await session.execute(stmt)).scalars() if d]


# --- grades -------------------------------------------------------------------------


async def grades(session: AsyncSession, employee: Employee) -> list[EmployeeGrade]:
    stmt = (
        select(EmployeeGrade)
        .where(
            EmployeeGrade.tenant_id == employee.tenant_id,
            EmployeeGrade.employee_id == employee.id,
        )
        .order_by(EmployeeGrade.effective_month.desc())
    )
    return list((await session.execute(stmt)).scalars().all())


def pick_grade(history: Sequence[EmployeeGrade], insurance_month: date) -> EmployeeGrade | None:
    """The latest grade effective on or before `insurance_month` (any order given)."""
    month = first_of_month(insurance_month)
    best: EmployeeGrade | None = None
    for g in history:
        if g.effective_month <= month and (
            best is None or g.effective_month > best.effective_month
        ):
            best = g
    return best


async def grade_for(
    session: AsyncSession, employee: Employee, insurance_month: date
) -> EmployeeGrade | None:
    """標準報酬月額 in force for `insurance_month`: the latest effective ≤ that month."""
    stmt = (
        select(EmployeeGrade)
        .where(
            EmployeeGrade.tenant_id == employee.tenant_id,
            EmployeeGrade.employee_id == employee.id,
            EmployeeGrade.effective_month <= first_of_month(insurance_month),
        )
        .order_by(EmployeeGrade.effective_month.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def grades_for(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    employee_ids: Sequence[uuid.UUID],
    insurance_month: date,
) -> dict[uuid.UUID, EmployeeGrade]:
    """`grade_for` for many employees of one tenant in one query."""
    if not employee_ids:
        return {}
    stmt = (
        select(EmployeeGrade)
        .where(
            EmployeeGrade.tenant_id == tenant_id,
            EmployeeGrade.employee_id.in_(list(employee_ids)),
            EmployeeGrade.effective_month <= first_of_month(insurance_month),
        )
        .order_by(EmployeeGrade.employee_id, EmployeeGrade.effective_month.desc())
        .ext(distinct_on(EmployeeGrade.employee_id))
    )
    return {g.employee_id: g for g in (await session.execute(stmt)).scalars()}


# --- resident tax -------------------------------------------------------------------


def fiscal_year_of(month: date) -> int:
    """住民税 fiscal year (June–May) that `month` belongs to."""
    return month.year if month.month >= 6 else month.year - 1


async def resident_tax_notices(
    session: AsyncSession, employee: Employee
) -> list[ResidentTaxNotice]:
    stmt = (
        select(ResidentTaxNotice)
        .where(
            ResidentTaxNotice.tenant_id == employee.tenant_id,
            ResidentTaxNotice.employee_id == employee.id,
        )
        .order_by(ResidentTaxNotice.fiscal_year.desc())
    )
    return list((await session.execute(stmt)).scalars().all())


async def resident_tax_for(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    employee_ids: Sequence[uuid.UUID],
    pay_month: date,
) -> dict[uuid.UUID, ResidentTaxNotice]:
    """The notice covering `pay_month` per employee; `notice.amount_for(pay_month)`."""
    if not employee_ids:
        return {}
    stmt = select(ResidentTaxNotice).where(
        ResidentTaxNotice.tenant_id == tenant_id,
        ResidentTaxNotice.employee_id.in_(list(employee_ids)),
        ResidentTaxNotice.fiscal_year == fiscal_year_of(pay_month),
    )
    return {n.employee_id: n for n in (await session.execute(stmt)).scalars()}


# --- bank accounts ------------------------------------------------------------------


async def bank_accounts(session: AsyncSession, employee: Employee) -> list[EmployeeBankAccount]:
    stmt = (
        select(EmployeeBankAccount)
        .where(
            EmployeeBankAccount.tenant_id == employee.tenant_id,
            EmployeeBankAccount.employee_id == employee.id,
        )
        .order_by(EmployeeBankAccount.position)
    )
    return list((await session.execute(stmt)).scalars().all())


async def bank_accounts_for(
    session: AsyncSession, tenant_id: uuid.UUID, employee_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[EmployeeBankAccount]]:
    """Accounts per employee by position (tokens still encrypted)."""
    out: dict[uuid.UUID, list[EmployeeBankAccount]] = {}
    if not employee_ids:
        return out
    stmt = (
        select(EmployeeBankAccount)
        .where(
            EmployeeBankAccount.tenant_id == tenant_id,
            EmployeeBankAccount.employee_id.in_(list(employee_ids)),
        )
        .order_by(EmployeeBankAccount.employee_id, EmployeeBankAccount.position)
    )
    for acc in (await session.execute(stmt)).scalars():
        out.setdefault(acc.employee_id, []).append(acc)
    return out


# --- My Number ----------------------------------------------------------------------


async def my_number(session: AsyncSession, employee: Employee) -> EmployeeMyNumber | None:
    stmt = select(EmployeeMyNumber).where(
        EmployeeMyNumber.tenant_id == employee.tenant_id,
        EmployeeMyNumber.employee_id == employee.id,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def my_number_last4(
    session: AsyncSession, tenant_id: uuid.UUID, employee_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    if not employee_ids:
        return {}
    stmt = select(EmployeeMyNumber.employee_id, EmployeeMyNumber.last4).where(
        EmployeeMyNumber.tenant_id == tenant_id,
        EmployeeMyNumber.employee_id.in_(list(employee_ids)),
    )
    return {row[0]: row[1] for row in (await session.execute(stmt)).all()}


# --- monthly inputs -----------------------------------------------------------------


async def monthly_input(
    session: AsyncSession, employee: Employee, pay_month: date, *, for_update: bool = False
) -> EmployeeMonthlyInput | None:
    stmt = select(EmployeeMonthlyInput).where(
        EmployeeMonthlyInput.tenant_id == employee.tenant_id,
        EmployeeMonthlyInput.employee_id == employee.id,
        EmployeeMonthlyInput.pay_month == first_of_month(pay_month),
    )
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def monthly_inputs_for_month(
    session: AsyncSession,
    pay_month: date,
    *,
    tenant_id: uuid.UUID | None = None,
    employee_ids: Sequence[uuid.UUID] | None = None,
) -> dict[uuid.UUID, EmployeeMonthlyInput]:
    """Inputs of `pay_month` per employee id (of one tenant, or the session's scope)."""
    conds: list[ColumnElement[bool]] = [EmployeeMonthlyInput.pay_month == first_of_month(pay_month)]
    if tenant_id is not None:
        conds.append(EmployeeMonthlyInput.tenant_id == tenant_id)
    if employee_ids is not None:
        conds.append(EmployeeMonthlyInput.employee_id.in_(list(employee_ids)))
    stmt = select(EmployeeMonthlyInput).where(and_(*conds))
    return {m.employee_id: m for m in (await session.execute(stmt)).scalars()}


# --- societies, imports -------------------------------------------------------------


async def society(
    session: AsyncSession, tenant_id: uuid.UUID, society_id: uuid.UUID
) -> HealthInsuranceSociety | None:
    stmt = select(HealthInsuranceSociety).where(
        HealthInsuranceSociety.tenant_id == tenant_id, HealthInsuranceSociety.id == society_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def societies(session: AsyncSession, tenant_id: uuid.UUID) -> list[HealthInsuranceSociety]:
    stmt = (
        select(HealthInsuranceSociety)
        .where(HealthInsuranceSociety.tenant_id == tenant_id)
        .order_by(HealthInsuranceSociety.name, HealthInsuranceSociety.valid_from)
    )
    return list((await session.execute(stmt)).scalars().all())


async def society_rates_for(
    session: AsyncSession, society_row: HealthInsuranceSociety, insurance_month: date
) -> HealthInsuranceSociety:
    """The row of the same society (by name) whose `valid_from` is the latest ≤ month;
    the given row itself when none is (its rates are the best known)."""
    stmt = (
        select(HealthInsuranceSociety)
        .where(
            HealthInsuranceSociety.tenant_id == society_row.tenant_id,
            HealthInsuranceSociety.name == society_row.name,
            HealthInsuranceSociety.valid_from <= insurance_month,
        )
        .order_by(HealthInsuranceSociety.valid_from.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none() or society_row


async def get_import(
    session: AsyncSession, import_id: uuid.UUID, *, tenant_id: uuid.UUID | None = None
) -> EmployeeImport | None:
    stmt = select(EmployeeImport).where(EmployeeImport.id == import_id)
    if tenant_id is not None:
        stmt = stmt.where(EmployeeImport.tenant_id == tenant_id)
    return (await session.execute(stmt)).scalar_one_or_none()
