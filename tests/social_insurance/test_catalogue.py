"""Statutory deadlines of each procedure on the government calendar (domain §2.1)."""

from __future__ import annotations

import datetime as dt

import pytest

from daiko.sla.policy import statutory_due_dates
from daiko.social_insurance.catalogue import (
    BY_EVENT,
    CASE_TYPE_OF_EVENT,
    SPECS,
    due_date,
    resubmission_due,
    statutory_date,
)

D = dt.date


def test_hire_just_before_golden_week_moves_to_the_first_open_day() -> None:
    hire = D(2026, 4, 28)
    # 5 days counting the hire date: 2 May (Sat); 3–6 May are 憲法記念日, みどりの日,
    # こどもの日 and the 振替休日 → 7 May (Thu).
    assert statutory_date("shaho_acquisition", hire) == D(2026, 5, 2)
    assert due_date("shaho_acquisition", hire) == D(2026, 5, 7)
    # 雇用保険: by 10 May (Sunday) → Monday 11 May.
    assert statutory_date("koyo_acquisition", hire) == D(2026, 5, 10)
    assert due_date("koyo_acquisition", hire) == D(2026, 5, 11)


def test_leave_on_the_last_day_of_a_month() -> None:
    leave = D(2026, 6, 30)  # loss date 1 July
    assert statutory_date("shaho_loss", leave) == D(2026, 7, 5)  # Sunday
    assert due_date("shaho_loss", leave) == D(2026, 7, 6)
    assert statutory_date("koyo_loss", leave) == D(2026, 7, 11)  # Saturday
    assert due_date("koyo_loss", leave) == D(2026, 7, 13)


def test_year_end_closure_and_december_hire() -> None:
    # Hire 15 December: 雇用保険 by 10 January of the next year.
    assert due_date("koyo_acquisition", D(2026, 12, 15)) == D(2027, 1, 12)  # 11 Jan 成人の日
    # Bonus paid 28 December: 1 January → after the 29 Dec – 3 Jan closure, 4 January.
    assert due_date("bonus", D(2026, 12, 28)) == D(2027, 1, 4)


@pytest.mark.parametrize(
    ("kind", "event", "due"),
    [
        ("santei", D(2026, 7, 1), D(2026, 7, 10)),
        ("dependants", D(2026, 3, 2), D(2026, 3, 6)),
        ("monthly_change", D(2026, 10, 1), D(2026, 10, 5)),
    ],
)
def test_other_deadlines(kind: str, event: dt.date, due: dt.date) -> None:
    assert due_date(kind, event) == due


def test_agrees_with_the_case_level_clocks() -> None:
    for event, case_type in (("hire", "si_hire"), ("leave", "si_leave"), ("bonus", "si_bonus")):
        fact = D(2026, 4, 28)
        expected = [due for _, _, due in statutory_due_dates(case_type, fact, None)]
        assert [statutory_date(k, fact) for k in BY_EVENT[event]] == expected


def test_a_return_restarts_the_span_from_the_reply() -> None:
    assert resubmission_due("shaho_acquisition", D(2026, 5, 8)) == D(2026, 5, 12)
    assert resubmission_due("koyo_loss", D(2026, 7, 14)) == D(2026, 7, 24)


def test_every_event_opens_procedures_of_its_case_type() -> None:
    for event, kinds in BY_EVENT.items():
        assert all(SPECS[k].case_type == CASE_TYPE_OF_EVENT[event] for k in kinds)
    assert BY_EVENT["hire"] == ("shaho_acquisition", "koyo_acquisition")
    assert BY_EVENT["leave"] == ("shaho_loss", "koyo_loss")
    assert {k for k, s in SPECS.items() if "data_csv" in s.outputs} == {
        "santei",
        "monthly_change",
        "bonus",
    }
