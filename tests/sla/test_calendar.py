"""Business calendars: named cases around Japanese holidays, and properties of
business-time arithmetic that must hold for any start and duration."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daiko.sla.calendar import (
    japan_bank_calendar,
    japan_government_calendar,
    tenant_calendar,
)

JST = ZoneInfo("Asia/Tokyo")
JP = japan_bank_calendar()
D = dt.date.fromisoformat


def at(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=JST)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2026-04-28", 3, "2026-05-07"),  # Golden Week: 4/29 holiday, 5/2–5/6 closed (5/6 振替休日)
        ("2026-09-18", 1, "2026-09-24"),  # Silver Week: 9/21 敬老, 9/22 国民の休日, 9/23 秋分
        ("2026-12-30", 1, "2027-01-04"),  # banks closed 12/31–1/3
        ("2027-03-19", 1, "2027-03-23"),  # 2027-03-21 春分 (Sun) → 3/22 振替休日
        ("2026-05-07", -3, "2026-04-28"),  # counting back over Golden Week
        ("2026-01-05", -1, "2025-12-30"),
        ("2026-07-17", 0, "2026-07-17"),
    ],
)
def test_add_business_days(start: str, n: int, expected: str) -> None:
    assert JP.add_business_days(D(start), n) == D(expected)


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        ("2026-05-06", "憲法記念日 振替休日"),
        ("2026-09-22", "国民の休日"),
        ("2026-12-31", "銀行休業日 (bank holiday)"),
        ("2026-05-02", "週末 (weekend)"),
        ("2026-12-29", None),  # banks open; government offices are not
    ],
)
def test_closed_reasons(day: str, reason: str | None) -> None:
    assert JP.closed_reason(D(day)) == reason


def test_government_calendar_closes_from_29_december() -> None:
    gov = japan_government_calendar()
    assert gov.closed_reason(D("2026-12-29")) == "年末年始 (government year-end closure)"
    assert gov.add_business_days(D("2026-12-28"), 1) == D("2027-01-04")


def test_2026_has_eighteen_national_holidays_on_the_bank_calendar() -> None:
    holidays = [
        d
        for d, r in JP.describe(D("2026-01-01"), D("2026-12-31"))
        if r not in ("週末 (weekend)", "銀行休業日 (bank holiday)")
    ]
    # 18 national holidays in 2026, one of which (5/3) is a Sunday and reads as weekend.
    assert len(holidays) == 17
    assert D("2026-05-03") not in holidays


def test_tenant_closures_and_hours() -> None:
    obon = tenant_calendar(
        "osaka-mfg",
        work_start=dt.time(8, 30),
        work_end=dt.time(17, 30),
        is_day_off=lambda d: (d.month, d.day) >= (8, 13) and (d.month, d.day) <= (8, 16),
    )
    assert obon.closed_reason(D("2026-08-13")) == "休業日 (company closure)"
    assert obon.add_business_days(D("2026-08-12"), 1) == D("2026-08-17")
    assert obon.add_business_time(at("2026-08-12T16:30"), dt.timedelta(hours=2)) == at(
        "2026-08-17T09:30"
    )


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        ("2026-04-28T17:00", 4, "2026-04-30T12:00"),  # 1 h on 4/28, 4/29 holiday, 3 h on 4/30
        ("2026-04-28T07:00", 9, "2026-04-28T18:00"),  # starts at opening, ends at closing
        ("2026-05-01T20:00", 1, "2026-05-07T10:00"),  # after hours before Golden Week
        ("2026-12-30T15:00", 5, "2027-01-04T11:00"),
        ("2026-05-02T10:00", 0, "2026-05-07T09:00"),  # zero from a closed day → next opening
    ],
)
def test_add_business_hours(start: str, hours: int, expected: str) -> None:
    assert JP.add_business_time(at(start), dt.timedelta(hours=hours)) == at(expected)


def test_business_time_between_is_signed() -> None:
    a, b = at("2026-04-28T17:00"), at("2026-04-30T12:00")
    assert JP.business_time_between(a, b) == dt.timedelta(hours=4)
    assert JP.business_time_between(b, a) == dt.timedelta(hours=-4)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        JP.add_business_time(dt.datetime(2026, 4, 28, 9), dt.timedelta(hours=1))  # noqa: DTZ001


starts = st.datetimes(
    # hypothesis takes naive bounds and attaches the zone itself
    min_value=dt.datetime(2025, 12, 1),  # noqa: DTZ001
    max_value=dt.datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(JST),
)
durations = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(hours=200)).map(
    lambda d: dt.timedelta(seconds=int(d.total_seconds()))
)


@settings(max_examples=300, deadline=None)
@given(start=starts, duration=durations)
def test_adding_then_measuring_returns_the_duration(
    start: dt.datetime, duration: dt.timedelta
) -> None:
    due = JP.add_business_time(start, duration)
    assert JP.business_time_between(start, due) == duration


@settings(max_examples=300, deadline=None)
@given(start=starts, duration=durations)
def test_no_due_time_outside_working_hours(start: dt.datetime, duration: dt.timedelta) -> None:
    due = JP.add_business_time(start, duration).astimezone(JST)
    assert JP.is_business_day(due.date())
    assert dt.time(9, 0) <= due.time() <= dt.time(18, 0)


@settings(max_examples=200, deadline=None)
@given(start=starts, a=durations, b=durations)
def test_adding_is_additive(start: dt.datetime, a: dt.timedelta, b: dt.timedelta) -> None:
    assert JP.add_business_time(JP.add_business_time(start, a), b) == JP.add_business_time(
        start, a + b
    )


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31)),
    n=st.integers(-40, 40),
)
def test_business_days_round_trip(day: dt.date, n: int) -> None:
    moved = JP.add_business_days(day, n)
    if n:
        assert JP.is_business_day(moved)
    assert JP.business_days_between(day, moved) == n
