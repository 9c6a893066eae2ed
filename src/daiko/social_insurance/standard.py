"""Deciding the standard monthly remuneration (標準報酬月額): pure, no I/O.

Two decisions change an employee's recorded grade (domain §1.3); payroll never
recomputes it from one month's gross:

- 定時決定 (算定基礎届): the average of the pay *paid* in April, May and June, counting
  only months with enough payment-base days (支払基礎日数): 17 for ordinary insured
  people, 11 for short-time insured workers at a 特定適用事業所, and for part-timers who
  have no 17-day month, the months with 15 or more. A month can also be excluded for a
  reason (the month of a mid-month hire, reduced pay while on leave); retroactive pay
  received in a month is taken out of that month. No usable month: the previous grade
  stays (保険者算定). The new grade applies from September to the next August.
- 随時改定 (月額変更届): a change of fixed wages first paid in month M; if M, M+1 and
  M+2 each have enough payment-base days and their average differs from the current
  grade by two grades or more, in the direction of the fixed-wage change, the new grade
  applies from M+3. At the top and bottom of each table a one-grade change is enough
  (日本年金機構's special cases, see `_edge_change`).

Averages truncate below one yen. Each table (health 50 grades, pension 32) is given by
the caller as `GradeTable` data, so the functions follow the tables in force.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

WorkerKind = Literal["ordinary", "short_time", "part_time"]
ORDINARY_DAYS = 17
SHORT_TIME_DAYS = 11
PART_TIME_FALLBACK_DAYS = 15


@dataclass(frozen=True, slots=True)
class Grade:
    number: int
    amount: int  # 標準報酬月額
    lower: int  # 報酬月額 from (≥); the next grade's lower is this one's upper


@dataclass(frozen=True, slots=True)
class GradeTable:
    """One insurance's grades in ascending order; the first grade covers everything
    below the second's lower bound, the last everything from its own lower bound."""

    name: str
    grades: tuple[Grade, ...]
    # The notional band edges used by the one-grade changes at the ends of the table:
    # health 53,000 / 1,415,000, pension 83,000 / 665,000.
    floor: int
    ceiling: int

    def __post_init__(self) -> None:
        lowers = [g.lower for g in self.grades]
        if not self.grades or lowers != sorted(lowers) or len(set(lowers)) != len(lowers):
            raise ValueError(f"{self.name}: grades must be ascending and distinct")

    def for_remuneration(self, remuneration: int) -> Grade:
        index = bisect.bisect_right([g.lower for g in self.grades], remuneration) - 1
        return self.grades[max(0, index)]

    def for_amount(self, amount: int) -> Grade:
        for grade in self.grades:
            if grade.amount == amount:
                return grade
        raise ValueError(f"{self.name}: {amount} is not a standard monthly amount")

    @property
    def top(self) -> Grade:
        return self.grades[-1]

    @property
    def bottom(self) -> Grade:
        return self.grades[0]


@dataclass(frozen=True, slots=True)
class MonthPay:
    """Pay *paid* in one month (cash and kind, incl. commuting and overtime; no bonus
    paid three times a year or less)."""

    month: date  # first day of the month the pay was paid in
    remuneration: int
    base_days: int  # 支払基礎日数
    retroactive: int = 0  # 遡及支払額 received in this month (belongs to earlier months)
    exclude_reason: str | None = None  # e.g. "mid-month hire", "leave with reduced pay"


@dataclass(frozen=True, slots=True)
class Decision:
    """A decided grade pair and how it was reached, for the review list."""

    health: Grade
    pension: Grade
    average: int | None  # None: no usable month, the previous grade stays
    months_used: tuple[date, ...]
    months_excluded: tuple[tuple[date, str], ...]
    effective_month: date

    @property
    def kept_previous(self) -> bool:
        return self.average is None


def _min_days(kind: WorkerKind) -> int:
    return SHORT_TIME_DAYS if kind == "short_time" else ORDINARY_DAYS


def _usable(
    months: Sequence[MonthPay], kind: WorkerKind
) -> tuple[list[MonthPay], list[tuple[date, str]]]:
    excluded: list[tuple[date, str]] = []
    candidates: list[MonthPay] = []
    for m in months:
        if m.exclude_reason:
            excluded.append((m.month, m.exclude_reason))
        else:
            candidates.append(m)
    need = _min_days(kind)
    used = [m for m in candidates if m.base_days >= need]
    if not used and kind == "part_time":
        need = PART_TIME_FALLBACK_DAYS
        used = [m for m in candidates if m.base_days >= need]
    for m in candidates:
        if m not in used:
            excluded.append((m.month, f"{m.base_days} payment-base days (< {need})"))
    excluded.sort()
    return used, excluded


def _average(months: Sequence[MonthPay]) -> int:
    total = sum(m.remuneration - m.retroactive for m in months)
    return total // len(months)


def annual_decision(
    year: int,
    april_to_june: Sequence[MonthPay],
    *,
    current_health: int,
    current_pension: int,
    health: GradeTable,
    pension: GradeTable,
    kind: WorkerKind = "ordinary",
) -> Decision:
    """定時決定 for `year`: effective from September of that year."""
    months = sorted(april_to_june, key=lambda m: m.month)
    wrong = [m.month for m in months if m.month.year != year or m.month.month not in (4, 5, 6)]
    if wrong:
        raise ValueError(f"算定基礎 uses April–June {year} only, got {wrong[0]:%Y-%m}")
    used, excluded = _usable(months, kind)
    effective = date(year, 9, 1)
    if not used:
        return Decision(
            health.for_amount(current_health),
            pension.for_amount(current_pension),
            None,
            (),
            tuple(excluded),
            effective,
        )
    average = _average(used)
    return Decision(
        health.for_remuneration(average),
        pension.for_remuneration(average),
        average,
        tuple(m.month for m in used),
        tuple(excluded),
        effective,
    )


@dataclass(frozen=True, slots=True)
class ChangeCheck:
    """A 随時改定 candidate's outcome: `decision` is None when no change is due."""

    decision: Decision | None
    reason: str
    health_difference: int  # grade numbers, new − current (0 when not computed)
    pension_difference: int


def _edge_change(
    table: GradeTable, current: Grade, average: int, direction: int, previous: int | None
) -> Grade | None:
    """The one-grade changes allowed at the ends of a table (日本年金機構, 随時改定の特例),
    with `floor`/`ceiling` the notional edges of the bottom and top grades:
    second-highest → top when the pay reaches the ceiling; top → second-highest when pay
    that was at or above the ceiling falls into the second-highest grade's range; bottom
    → grade 2 when pay that was below the floor rises into grade 2's range; grade 2 →
    bottom when the pay falls below the floor. `previous` is the 報酬月額 the current
    grade was decided on; the two cases that need it do not apply without it."""
    grades = table.grades
    top, second, bottom, two = grades[-1], grades[-2], grades[0], grades[1]
    landed = table.for_remuneration(average)
    if direction > 0 and current == second and average >= table.ceiling:
        return top
    if previous is not None:
        if direction < 0 and current == top and landed == second and previous >= table.ceiling:
            return second
        if direction > 0 and current == bottom and landed == two and previous < table.floor:
            return two
    if direction < 0 and current == two and average < table.floor:
        return bottom
    return None


def monthly_change(
    first_month_paid: date,
    three_months: Sequence[MonthPay],
    *,
    direction: Literal["up", "down"],
    current_health: int,
    current_pension: int,
    health: GradeTable,
    pension: GradeTable,
    kind: WorkerKind = "ordinary",
    previous_remuneration: int | None = None,
) -> ChangeCheck:
    """随時改定: `first_month_paid` is the month the changed fixed wage was first paid;
    `three_months` its pay and the next two months'. `direction` is the direction of the
    fixed-wage change (a raise with a lower average from less overtime is no change)."""
    months = sorted(three_months, key=lambda m: m.month)
    expected = [_add_months(first_month_paid, i) for i in range(3)]
    if [m.month for m in months] != expected:
        raise ValueError(
            "月額変更 needs the three months from "
            f"{first_month_paid:%Y-%m}: got {[f'{m.month:%Y-%m}' for m in months]}"
        )
    need = _min_days(kind)
    short = [m for m in months if m.base_days < need]
    if short:
        return ChangeCheck(
            None,
            f"{short[0].month:%Y-%m} has {short[0].base_days} payment-base days (< {need})",
            0,
            0,
        )
    average = _average(months)
    sign = 1 if direction == "up" else -1
    cur_h, cur_p = health.for_amount(current_health), pension.for_amount(current_pension)
    new_h, new_p = health.for_remuneration(average), pension.for_remuneration(average)
    diff_h, diff_p = new_h.number - cur_h.number, new_p.number - cur_p.number
    due_h = diff_h * sign >= 2
    due_p = diff_p * sign >= 2
    previous = previous_remuneration
    if not due_h:
        edge = _edge_change(health, cur_h, average, sign, previous)
        if edge is not None:
            new_h, diff_h, due_h = edge, edge.number - cur_h.number, True
    if not due_p:
        edge = _edge_change(pension, cur_p, average, sign, previous)
        if edge is not None:
            new_p, diff_p, due_p = edge, edge.number - cur_p.number, True
    if not (due_h or due_p):
        return ChangeCheck(
            None,
            f"average {average:,} is {diff_h:+d} health grades from the current one "
            f"(a change needs 2 or more {'up' if sign > 0 else 'down'})",
            diff_h,
            diff_p,
        )
    # Each insurance is judged on its own table: at the pension ceiling a health
    # change leaves the pension grade where it is.
    decision = Decision(
        new_h if due_h else cur_h,
        new_p if due_p else cur_p,
        average,
        tuple(m.month for m in months),
        (),
        _add_months(first_month_paid, 3),
    )
    reason = "a 2-grade change" if abs(diff_h) >= 2 or abs(diff_p) >= 2 else "edge-grade change"
    return ChangeCheck(decision, reason, diff_h if due_h else 0, diff_p if due_p else 0)


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


# The notional band edges of the one-grade changes at the ends of each table
# (日本年金機構, 随時改定の特例): below the bottom grade's upper bound by one band, above
# the top grade's lower bound by one band.
EDGES: dict[str, tuple[int, int]] = {"health": (53_000, 1_415_000), "pension": (83_000, 665_000)}


def tables_on(day: date) -> tuple[GradeTable, GradeTable]:
    """(health, pension) grade tables in force on `day`, from the payroll rate data
    (`daiko.payroll.rates`, effective-dated), so a decision follows the tables in force."""
    from daiko.payroll import rates

    def build(name: str, rows: Sequence[rates.Grade]) -> GradeTable:
        floor, ceiling = EDGES[name]
        return GradeTable(
            name,
            tuple(Grade(r.grade, r.standard, r.lower) for r in rows),
            floor=floor,
            ceiling=ceiling,
        )

    return build("health", rates.health_grades(day)), build("pension", rates.pension_grades(day))
