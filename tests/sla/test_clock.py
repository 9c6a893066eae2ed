"""SLA clocks from status history: exact states around holidays, pauses and deadlines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from daiko.sla.calendar import japan_bank_calendar
from daiko.sla.clock import DeadlineTarget, DurationTarget, StatusChange, compute_clock

JST = ZoneInfo("Asia/Tokyo")
JP = japan_bank_calendar()
H = dt.timedelta(hours=1)
RESOLUTION = DurationTarget(duration=16 * H)


def at(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=JST)


def hist(*pairs: tuple[str, str]) -> list[StatusChange]:
    return [StatusChange(at(t), s) for t, s in pairs]


def test_not_started_before_submission() -> None:
    c = compute_clock(hist(("2026-04-27T10:00", "draft")), RESOLUTION, JP, at("2026-04-28T10:00"))
    assert (c.status, c.elapsed, c.remaining, c.due_at) == (
        "not_started",
        dt.timedelta(0),
        16 * H,
        None,
    )


def test_running_over_a_holiday() -> None:
    c = compute_clock(
        hist(("2026-04-28T09:00", "submitted")), RESOLUTION, JP, at("2026-04-28T17:00")
    )
    assert c.status == "ok"
    assert (c.elapsed, c.remaining, c.fraction) == (8 * H, 8 * H, Decimal("0.5000"))
    assert c.due_at == at("2026-04-30T16:00")  # 1 h on 4/28, 4/29 昭和の日 skipped, 7 h on 4/30


def test_waiting_on_client_pauses_and_resumes() -> None:
    h = hist(
        ("2026-04-28T09:00", "submitted"),
        ("2026-04-28T10:00", "accepted"),
        ("2026-04-28T12:00", "waiting_on_client"),
        ("2026-04-30T12:00", "in_progress"),
    )
    paused = compute_clock(h, RESOLUTION, JP, at("2026-04-30T11:00"))
    assert (paused.status, paused.elapsed, paused.due_at) == ("paused", 3 * H, None)
    running = compute_clock(h, RESOLUTION, JP, at("2026-04-30T15:00"))
    assert (running.status, running.elapsed, running.remaining) == ("ok", 6 * H, 10 * H)
    assert running.due_at == at("2026-05-01T16:00")  # 3 h on 4/30, then 7 h on 5/1


def test_warning_thresholds() -> None:
    h = hist(("2026-04-28T09:00", "submitted"))
    c = compute_clock(h, RESOLUTION, JP, at("2026-04-30T12:00"))  # 9 + 3 = 12 h of 16
    assert (c.status, c.fraction, c.warning_level) == ("warning", Decimal("0.7500"), 1)
    c = compute_clock(h, RESOLUTION, JP, at("2026-04-30T14:00"))  # 14.4 h is 90 %
    assert (c.status, c.warning_level) == ("warning", 1)
    c = compute_clock(h, RESOLUTION, JP, at("2026-04-30T14:24"))
    assert (c.status, c.fraction, c.warning_level) == ("warning", Decimal("0.9000"), 2)


def test_breach_and_met() -> None:
    h = hist(("2026-04-28T09:00", "submitted"))
    c = compute_clock(h, RESOLUTION, JP, at("2026-05-01T10:00"))  # 9 + 9 + 1 = 19 h
    assert (c.status, c.remaining, c.due_at) == ("breached", -3 * H, None)
    done = [*h, StatusChange(at("2026-04-30T11:00"), "delivered")]
    c = compute_clock(done, RESOLUTION, JP, at("2026-05-20T10:00"))
    assert (c.status, c.elapsed, c.stopped_at) == ("met", 11 * H, at("2026-04-30T11:00"))
    late = [*h, StatusChange(at("2026-05-07T12:00"), "delivered")]
    assert compute_clock(late, RESOLUTION, JP, at("2026-05-20T10:00")).status == "breached"


def test_reopened_case_runs_again() -> None:
    h = hist(
        ("2026-04-28T09:00", "submitted"),
        ("2026-04-28T11:00", "delivered"),
        ("2026-04-30T09:00", "in_progress"),
    )
    c = compute_clock(h, RESOLUTION, JP, at("2026-04-30T10:00"))
    assert (c.status, c.elapsed) == ("ok", 3 * H)


def test_missing_inputs_pause_the_clock() -> None:
    h = hist(("2026-04-28T09:00", "submitted"))
    missing = [(at("2026-04-28T10:00"), at("2026-04-28T15:00"))]
    c = compute_clock(h, RESOLUTION, JP, at("2026-04-28T17:00"), extra_pauses=missing)
    assert (c.status, c.elapsed) == ("ok", 3 * H)
    c = compute_clock(h, RESOLUTION, JP, at("2026-04-28T12:00"), extra_pauses=missing)
    assert (c.status, c.elapsed) == ("paused", 1 * H)


def test_payroll_deadline_three_business_days_before_payday() -> None:
    payday = dt.date(2026, 5, 25)
    due = dt.datetime.combine(JP.business_days_before(payday, 3), dt.time(18, 0), JST)
    assert due == at("2026-05-20T18:00")
    target = DeadlineTarget(due_at=due)
    h = hist(("2026-05-13T09:00", "submitted"))
    c = compute_clock(h, target, JP, at("2026-05-19T09:00"))  # 36 of 54 business hours used
    assert (c.status, c.due_at, c.fraction, c.remaining) == ("ok", due, Decimal("0.6667"), 18 * H)
    c = compute_clock(
        [*h, StatusChange(at("2026-05-20T17:59"), "delivered")], target, JP, at("2026-05-25T09:00")
    )
    assert c.status == "met"
    c = compute_clock(h, target, JP, at("2026-05-21T09:00"))
    assert c.status == "breached"


times = st.integers(min_value=0, max_value=14 * 24 * 60).map(
    lambda m: at("2026-04-27T00:00") + dt.timedelta(minutes=m)
)


@settings(max_examples=200, deadline=None)
@given(p0=times, p1=times, now=times)
def test_pausing_never_adds_elapsed_time(
    p0: dt.datetime, p1: dt.datetime, now: dt.datetime
) -> None:
    h = hist(("2026-04-27T09:00", "submitted"))
    lo, hi = min(p0, p1), max(p0, p1)
    free = compute_clock(h, RESOLUTION, JP, now)
    paused = compute_clock(h, RESOLUTION, JP, now, extra_pauses=[(lo, hi)])
    assert paused.elapsed <= free.elapsed
