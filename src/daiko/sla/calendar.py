"""Business calendars (営業日カレンダー) and business-time arithmetic.

A calendar answers "is this a business day" and "when have N working hours/days
elapsed". Japanese public holidays, substitute holidays (振替休日) and 国民の休日 come from
`jpholiday` (maintained, checked against the Cabinet Office list), never a hand list.
Kinds (DESIGN.md, domain §5.1):

- `jp`: weekends, public holidays and the bank closure 31 Dec – 3 Jan (銀行法施行令 §5):
  the calendar payroll and bank transfers run on.
- `jp-gov`: weekends, public holidays and 29 Dec – 3 Jan: government offices, for
  statutory deadlines.
- a tenant's calendar: `jp` plus the tenant's closures and extra days off, with its own
  working hours (from `tenants/<slug>.yaml`).

Everything here is pure: no I/O, exact `datetime`/`timedelta` arithmetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import jpholiday

from daiko.tenancy.spec import CalendarSpec

TOKYO = ZoneInfo("Asia/Tokyo")
MAX_SEARCH_DAYS = 366 * 30  # a calendar with no business day for 30 years is a bug
TEAM_DAY_OFF = "運用チーム休業日 (operator team day off)"


def _bank_closure(day: dt.date) -> str | None:
    if (day.month, day.day) in {(12, 31), (1, 1), (1, 2), (1, 3)}:
        return "銀行休業日 (bank holiday)"
    return None


def _government_closure(day: dt.date) -> str | None:
    if (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3):
        return "年末年始 (government year-end closure)"
    return None


@dataclass(frozen=True)
class BusinessCalendar:
    name: str
    tz: ZoneInfo = TOKYO
    work_start: dt.time = dt.time(9, 0)
    work_end: dt.time = dt.time(18, 0)
    weekend: frozenset[int] = frozenset({5, 6})
    public_holidays: bool = True
    # extra closures: (day) → label or None; the tenant's closures plug in here
    closures: tuple[Callable[[dt.date], str | None], ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.work_start >= self.work_end:
            raise ValueError("working hours must end after they start")

    # ------------------------------------------------------------------ days

    def closed_reason(self, day: dt.date) -> str | None:
        """Why `day` is not a business day (None when it is one)."""
        if day.weekday() in self.weekend:
            return "週末 (weekend)"
        if self.public_holidays:
            name = jpholiday.is_holiday_name(day)
            if name:
                return str(name)
        for closure in self.closures:
            reason = closure(day)
            if reason:
                return reason
        return None

    def is_business_day(self, day: dt.date) -> bool:
        return self.closed_reason(day) is None

    def add_business_days(self, day: dt.date, n: int) -> dt.date:
        """The date `n` business days after `day` (before it when `n` is negative).

        `day` itself never counts: 3 business days after Tue 2026-04-28 is Thu 2026-05-07
        (Golden Week in between)."""
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        current = day
        for _ in range(MAX_SEARCH_DAYS):
            if remaining == 0:
                return current
            current += dt.timedelta(days=step)
            if self.is_business_day(current):
                remaining -= 1
        raise ValueError(f"{self.name}: no business day within {MAX_SEARCH_DAYS} days")

    def business_days_before(self, day: dt.date, n: int) -> dt.date:
        """ "N business days before payday" (支給日の N 営業日前)."""
        return self.add_business_days(day, -n)

    def on_or_before(self, day: dt.date) -> dt.date:
        """`day` if it is a business day, else the previous one (a payday that falls on
        a holiday moves earlier under the usual 賃金規程)."""
        return day if self.is_business_day(day) else self.add_business_days(day, -1)

    def on_or_after(self, day: dt.date) -> dt.date:
        return day if self.is_business_day(day) else self.add_business_days(day, 1)

    def business_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many steps `add_business_days` takes from `start` to `end`: business days
        in (start, end], or minus those in [end, start) when counting back."""
        if end < start:
            back = _days(end, start - dt.timedelta(days=1))
            return -sum(1 for d in back if self.is_business_day(d))
        return sum(1 for d in _days(start + dt.timedelta(days=1), end) if self.is_business_day(d))

    # ------------------------------------------------------------------ time

    def window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The working hours of `day` as aware datetimes, or None on a closed day."""
        if not self.is_business_day(day):
            return None
        return (
            dt.datetime.combine(day, self.work_start, self.tz),
            dt.datetime.combine(day, self.work_end, self.tz),
        )

    def add_business_time(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The instant when `duration` of working time has elapsed since `start`.

        The answer always lies inside working hours (never on a closed day); a zero
        duration from outside working hours is the next opening."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if duration < dt.timedelta(0):
            raise ValueError("duration must not be negative")
        t = start.astimezone(self.tz)
        remaining = duration
        day = t.date()
        for _ in range(MAX_SEARCH_DAYS):
            w = self.window(day)
            if w is not None:
                open_, close = w
                t = max(t, open_)
                if t < close or (t == close and remaining == dt.timedelta(0)):
                    available = close - t
                    if remaining <= available:
                        return t + remaining
                    remaining -= available
            day += dt.timedelta(days=1)
            t = dt.datetime.combine(day, dt.time(0), self.tz)
        raise ValueError(f"{self.name}: no working time within {MAX_SEARCH_DAYS} days")

    def business_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time inside [start, end] (negative when end < start)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware")
        if end < start:
            return -self.business_time_between(end, start)
        a, b = start.astimezone(self.tz), end.astimezone(self.tz)
        total = dt.timedelta(0)
        for day in _days(a.date(), b.date()):
            w = self.window(day)
            if w is None:
                continue
            lo, hi = max(a, w[0]), min(b, w[1])
            if hi > lo:
                total += hi - lo
        return total

    def working_day_length(self) -> dt.timedelta:
        return dt.datetime.combine(dt.date.min, self.work_end) - dt.datetime.combine(
            dt.date.min, self.work_start
        )

    def describe(self, start: dt.date, end: dt.date) -> Iterator[tuple[dt.date, str]]:
        """Closed days in [start, end] with their reason (for pages and the CLI)."""
        for day in _days(start, end):
            reason = self.closed_reason(day)
            if reason:
                yield day, reason


def _days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def japan_bank_calendar() -> BusinessCalendar:
    """`jp`: weekends, public holidays, 31 Dec – 3 Jan."""
    return BusinessCalendar(name="jp", closures=(_bank_closure,))


def japan_government_calendar() -> BusinessCalendar:
    """`jp-gov`: weekends, public holidays, 29 Dec – 3 Jan (statutory deadlines)."""
    return BusinessCalendar(name="jp-gov", closures=(_government_closure,))


def tenant_calendar(
    name: str,
    *,
    tz: str = "Asia/Tokyo",
    work_start: dt.time = dt.time(9, 0),
    work_end: dt.time = dt.time(18, 0),
    is_day_off: Callable[[dt.date], bool] | None = None,
    day_off_label: str = "休業日 (company closure)",
    team_days_off: frozenset[dt.date] = frozenset(),
) -> BusinessCalendar:
    """A tenant's calendar: `jp` plus its own days off and working hours, plus the days
    the operator team serving it does not work (no SLA time passes on either)."""

    def company(day: dt.date) -> str | None:
        return day_off_label if is_day_off is not None and is_day_off(day) else None

    def team(day: dt.date) -> str | None:
        return TEAM_DAY_OFF if day in team_days_off else None

    return BusinessCalendar(
        name=name,
        tz=ZoneInfo(tz),
        work_start=work_start,
        work_end=work_end,
        closures=(_bank_closure, company, team),
    )


def calendar_named(name: str) -> BusinessCalendar:
    if name == "jp":
        return japan_bank_calendar()
    if name == "jp-gov":
        return japan_government_calendar()
    raise KeyError(name)


def calendar_from_spec(
    name: str,
    spec: CalendarSpec,
    *,
    tz: str = "Asia/Tokyo",
    team_days_off: frozenset[dt.date] = frozenset(),
) -> BusinessCalendar:
    """A tenant's calendar from its `tenants/<slug>.yaml` calendar section (and the
    operator team's days off)."""
    return tenant_calendar(
        name,
        tz=tz,
        work_start=spec.working_hours.start,
        work_end=spec.working_hours.end,
        is_day_off=spec.is_company_day_off,
        team_days_off=team_days_off,
    )
