"""SLA clocks: one pure function from a case's status history to the clock's state.

Two kinds of target (issue 8):

- `DurationTarget`: business time from the first `start` status until a `stop` status
  (first response, acceptance, resolution). The clock pauses while the case is in a
  pause status (`waiting_on_client`) or inside an extra pause interval (required inputs
  missing), and resumes when it leaves it. Pausing never shortens elapsed time; it only
  stops it growing.
- `DeadlineTarget`: a fixed due time computed by a date rule ("payroll results 3
  business days before payday at 18:00"). Pauses do not move a contractual date; the
  warning fraction is the share of business time used between start and due.

Statutory deadlines are separate `DeadlineTarget`s shown beside the contractual ones,
never merged with them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from daiko.sla.calendar import BusinessCalendar

ClockStatus = Literal["not_started", "ok", "warning", "breached", "paused", "met"]
DEFAULT_WARNINGS = (Decimal("0.75"), Decimal("0.90"))


@dataclass(frozen=True)
class StatusChange:
    at: dt.datetime
    status: str


@dataclass(frozen=True)
class DurationTarget:
    duration: dt.timedelta  # business time
    start_statuses: frozenset[str] = frozenset({"submitted"})
    stop_statuses: frozenset[str] = frozenset({"delivered", "closed"})
    pause_statuses: frozenset[str] = frozenset({"waiting_on_client"})
    warnings: tuple[Decimal, ...] = DEFAULT_WARNINGS


@dataclass(frozen=True)
class DeadlineTarget:
    due_at: dt.datetime
    start_statuses: frozenset[str] = frozenset({"submitted"})
    stop_statuses: frozenset[str] = frozenset({"delivered", "closed"})
    warnings: tuple[Decimal, ...] = DEFAULT_WARNINGS


@dataclass(frozen=True)
class ClockState:
    status: ClockStatus
    elapsed: dt.timedelta  # business time counted so far (pauses excluded)
    remaining: dt.timedelta | None  # business time left (negative once breached)
    due_at: dt.datetime | None  # when it runs out if nothing pauses it (None: paused)
    fraction: Decimal  # elapsed / target, 4 decimals
    warning_level: int  # how many warning thresholds have been crossed
    started_at: dt.datetime | None
    stopped_at: dt.datetime | None


Interval = tuple[dt.datetime, dt.datetime]


def _running_intervals(
    history: Sequence[StatusChange],
    start_statuses: frozenset[str],
    stop_statuses: frozenset[str],
    pause_statuses: frozenset[str],
    now: dt.datetime,
) -> tuple[list[Interval], dt.datetime | None, dt.datetime | None, bool]:
    """Intervals in which the clock runs; its start, stop, and whether it is paused now.

    A reopened case (a stop status followed by a non-stop one) runs again: the clock
    measures the whole life of the work, not only the first delivery."""
    changes = sorted(history, key=lambda c: c.at)
    started: dt.datetime | None = None
    stopped: dt.datetime | None = None
    running_since: dt.datetime | None = None
    intervals: list[Interval] = []
    for change in changes:
        if change.at > now:
            break
        if started is None:
            if change.status not in start_statuses:
                continue
            started = change.at
        if running_since is not None:
            intervals.append((running_since, change.at))
            running_since = None
        if change.status in stop_statuses:
            stopped = change.at
        elif change.status in pause_statuses:
            stopped = None
        else:
            stopped = None
            running_since = change.at
    paused = started is not None and stopped is None and running_since is None
    if running_since is not None:
        intervals.append((running_since, now))
    return intervals, started, stopped, paused


def _subtract(intervals: list[Interval], pauses: Sequence[Interval]) -> list[Interval]:
    out = intervals
    for p0, p1 in pauses:
        nxt: list[Interval] = []
        for a, b in out:
            if p1 <= a or p0 >= b:
                nxt.append((a, b))
                continue
            if a < p0:
                nxt.append((a, p0))
            if p1 < b:
                nxt.append((p1, b))
        out = nxt
    return out


def _fraction(elapsed: dt.timedelta, total: dt.timedelta) -> Decimal:
    if total <= dt.timedelta(0):
        return Decimal(1)
    value = Decimal(elapsed.total_seconds()) / Decimal(total.total_seconds())
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _warning_level(fraction: Decimal, warnings: tuple[Decimal, ...]) -> int:
    return sum(1 for w in warnings if fraction >= w)


def compute_clock(
    history: Sequence[StatusChange],
    target: DurationTarget | DeadlineTarget,
    calendar: BusinessCalendar,
    now: dt.datetime,
    *,
    extra_pauses: Sequence[Interval] = (),
) -> ClockState:
    """The state of one SLA clock at `now` (pure: same inputs, same answer)."""
    if isinstance(target, DeadlineTarget):
        return _deadline_clock(history, target, calendar, now)
    intervals, started, stopped, paused = _running_intervals(
        history, target.start_statuses, target.stop_statuses, target.pause_statuses, now
    )
    if started is None:
        return ClockState(
            "not_started", dt.timedelta(0), target.duration, None, Decimal(0), 0, None, None
        )
    running = _subtract(intervals, extra_pauses)
    elapsed = sum((calendar.business_time_between(a, b) for a, b in running), dt.timedelta(0))
    remaining = target.duration - elapsed
    fraction = _fraction(elapsed, target.duration)
    level = _warning_level(fraction, target.warnings)
    if stopped is not None:
        status: ClockStatus = "met" if remaining >= dt.timedelta(0) else "breached"
        return ClockState(status, elapsed, remaining, None, fraction, level, started, stopped)
    in_extra_pause = any(p0 <= now < p1 for p0, p1 in extra_pauses)
    if remaining < dt.timedelta(0):
        return ClockState("breached", elapsed, remaining, None, fraction, level, started, None)
    if paused or in_extra_pause:
        return ClockState("paused", elapsed, remaining, None, fraction, level, started, None)
    due = calendar.add_business_time(now, remaining)
    status = "warning" if level else "ok"
    if remaining == dt.timedelta(0):
        status = "breached"
    return ClockState(status, elapsed, remaining, due, fraction, level, started, None)


def _deadline_clock(
    history: Sequence[StatusChange],
    target: DeadlineTarget,
    calendar: BusinessCalendar,
    now: dt.datetime,
) -> ClockState:
    _, started, stopped, _ = _running_intervals(
        history, target.start_statuses, target.stop_statuses, frozenset(), now
    )
    due = target.due_at
    if started is None:
        remaining = calendar.business_time_between(now, due)
        return ClockState("not_started", dt.timedelta(0), remaining, due, Decimal(0), 0, None, None)
    end = stopped or now
    total = calendar.business_time_between(started, due)
    elapsed = calendar.business_time_between(started, min(end, due) if end <= due else end)
    remaining = calendar.business_time_between(end, due)
    fraction = _fraction(elapsed, total)
    level = _warning_level(fraction, target.warnings)
    if stopped is not None:
        status: ClockStatus = "met" if stopped <= due else "breached"
        return ClockState(status, elapsed, remaining, due, fraction, level, started, stopped)
    if now >= due:
        return ClockState("breached", elapsed, remaining, due, fraction, level, started, None)
    return ClockState(
        "warning" if level else "ok", elapsed, remaining, due, fraction, level, started, None
    )


def _crossing(
    intervals: Sequence[Interval],
    calendar: BusinessCalendar,
    amount: dt.timedelta,
    running_from: dt.datetime | None,
) -> dt.datetime | None:
    """The moment `amount` of business time has been used in `intervals` (then, if the
    clock still runs, after `running_from`), or None if it never is."""
    used = dt.timedelta(0)
    for a, b in intervals:
        part = calendar.business_time_between(a, b)
        if part > dt.timedelta(0) and used + part >= amount:
            return min(calendar.add_business_time(a, amount - used), b)
        used += part
    if running_from is None:
        return None
    return calendar.add_business_time(running_from, max(amount - used, dt.timedelta(0)))


def threshold_times(
    history: Sequence[StatusChange],
    target: DurationTarget | DeadlineTarget,
    calendar: BusinessCalendar,
    now: dt.datetime,
    fractions: Sequence[Decimal],
    *,
    extra_pauses: Sequence[Interval] = (),
) -> list[dt.datetime | None]:
    """When the clock reaches each fraction of its target (1 = breach): past crossings
    exactly, future ones assuming nothing pauses it; None when it never reaches it
    (stopped before, not started, or paused now). Consistent with `compute_clock`: at
    the returned moment its `fraction` equals the threshold."""
    if isinstance(target, DeadlineTarget):
        _, started, stopped, _ = _running_intervals(
            history, target.start_statuses, target.stop_statuses, frozenset(), now
        )
        if started is None:
            return [None for _ in fractions]
        total = calendar.business_time_between(started, target.due_at)
        out: list[dt.datetime | None] = []
        for f in fractions:
            moment = (
                target.due_at
                if f >= 1
                else calendar.add_business_time(started, _scale(total, f))
                if total > dt.timedelta(0)
                else started
            )
            out.append(None if stopped is not None and stopped < moment else moment)
        return out
    intervals, started, stopped, paused = _running_intervals(
        history, target.start_statuses, target.stop_statuses, target.pause_statuses, now
    )
    if started is None:
        return [None for _ in fractions]
    running = _subtract(intervals, extra_pauses)
    in_extra_pause = any(p0 <= now < p1 for p0, p1 in extra_pauses)
    still_running = stopped is None and not paused and not in_extra_pause
    # Running intervals end at `now`; a crossing not reached by then is projected on.
    return [
        _crossing(running, calendar, _scale(target.duration, f), now if still_running else None)
        for f in fractions
    ]


def _scale(duration: dt.timedelta, fraction: Decimal) -> dt.timedelta:
    """`duration × fraction` to the microsecond, exactly (Decimal, not float)."""
    micros = Decimal(duration // dt.timedelta(microseconds=1)) * fraction
    return dt.timedelta(microseconds=int(micros.to_integral_value(rounding=ROUND_HALF_UP)))
