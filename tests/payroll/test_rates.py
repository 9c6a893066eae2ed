"""Effective-dated insurance data: coverage, spot values from the spec, grade lookups."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from daiko.payroll import rates
from daiko.payroll.rates import (
    RateNotFound,
    health_grade_for,
    health_grades,
    pension_grade_for,
    pension_grades,
    pension_standard_for_health_standard,
)
from daiko.tenancy.prefectures import PREFECTURES

D = dt.date
FY2025 = D(2025, 3, 1)
FY2026 = D(2026, 3, 1)


@pytest.mark.parametrize("month", [FY2025, D(2026, 2, 1), FY2026, D(2027, 2, 1)])
def test_every_prefecture_has_a_kyoukai_rate(month: dt.date) -> None:
    for prefecture in PREFECTURES:
        rate = rates.kyoukai_health_rate(prefecture.code, month)
        assert Decimal("9") < rate.value < Decimal("11")
        assert rate.confidence == "V2"


def test_prefecture_names_in_the_data_match_the_tenancy_table() -> None:
    raw = rates._load("kyoukai_kenpo.toml")
    for period in raw["period"]:
        assert {code: e["name"] for code, e in period["rates"].items()} == {
            p.code: p.kanji for p in PREFECTURES
        }


@pytest.mark.parametrize(
    ("code", "fy2026", "fy2025"),
    [
        ("01", "10.28", "10.31"),
        ("13", "9.85", "9.91"),
        ("14", "9.92", "9.92"),
        ("15", "9.21", "9.55"),
        ("27", "10.13", "10.24"),
        ("41", "10.55", "10.78"),
        ("47", "9.44", "9.44"),
    ],
)
def test_kyoukai_rates_switch_with_the_march_insurance_month(
    code: str, fy2026: str, fy2025: str
) -> None:
    assert rates.kyoukai_health_rate(code, D(2026, 2, 1)).value == Decimal(fy2025)
    assert rates.kyoukai_health_rate(code, D(2026, 3, 1)).value == Decimal(fy2026)
    assert rates.kyoukai_health_rate(code, D(2025, 3, 15)).value == Decimal(fy2025)


def test_kyoukai_before_the_data_raises_and_after_the_review_date_notes() -> None:
    with pytest.raises(RateNotFound):
        rates.kyoukai_health_rate("13", D(2025, 2, 1))
    assert rates.kyoukai_health_rate("13", D(2027, 2, 1)).note is None
    late = rates.kyoukai_health_rate("13", D(2027, 3, 1))
    assert late.value == Decimal("9.85")
    assert late.note is not None and "FY2027" in late.note


@pytest.mark.parametrize(
    ("month", "care"),
    [
        (D(2024, 2, 1), "1.82"),
        (D(2024, 3, 1), "1.60"),
        (D(2025, 2, 1), "1.60"),
        (D(2025, 3, 1), "1.59"),
        (D(2026, 2, 1), "1.59"),
        (D(2026, 3, 1), "1.62"),
    ],
)
def test_care_rate_by_insurance_month(month: dt.date, care: str) -> None:
    assert rates.care_rate(month).value == Decimal(care)


def test_child_support_levy_starts_with_the_april_2026_insurance_month() -> None:
    assert rates.child_support_rate(D(2026, 3, 1)).value == 0
    assert rates.child_support_rate(D(2026, 4, 1)).value == Decimal("0.23")
    assert rates.child_support_rate(D(2027, 3, 1)).note is None
    assert rates.child_support_rate(D(2027, 4, 1)).note is not None


def test_pension_and_child_contribution() -> None:
    assert rates.pension_rate(D(2026, 4, 1)).value == Decimal("18.3")
    assert rates.child_contribution_rate(D(2026, 4, 1)).value == Decimal("0.36")
    assert rates.child_contribution_rate(D(2026, 4, 1)).confidence == "V1"


@pytest.mark.parametrize(
    ("industry", "closing", "worker", "employer", "fy", "confidence"),
    [
        ("general", D(2026, 3, 31), "5.5", "9", 2025, "V2"),
        ("general", D(2026, 4, 1), "5", "8.5", 2026, "V2"),
        ("agriculture", D(2026, 3, 31), "6.5", "10", 2025, "V2"),
        ("agriculture", D(2026, 4, 1), "6", "9.5", 2026, "V1"),
        ("construction", D(2025, 4, 1), "6.5", "11", 2025, "V2"),
        ("construction", D(2027, 3, 31), "6", "10.5", 2026, "V1"),
    ],
)
def test_employment_insurance_by_wage_closing_fiscal_year(
    industry: str, closing: dt.date, worker: str, employer: str, fy: int, confidence: str
) -> None:
    rate = rates.employment_insurance_rate(industry, closing)
    assert (rate.worker_per_mille, rate.employer_per_mille) == (Decimal(worker), Decimal(employer))
    assert rate.fiscal_year == fy
    assert rate.confidence == confidence
    assert rate.note is None


def test_employment_insurance_unknowns() -> None:
    with pytest.raises(RateNotFound, match="industry"):
        rates.employment_insurance_rate("fishing", D(2026, 4, 1))
    with pytest.raises(RateNotFound):
        rates.employment_insurance_rate("general", D(2025, 3, 31))
    assert rates.employment_insurance_rate("general", D(2027, 4, 1)).note is not None


def test_bonus_caps_and_commuting_limit() -> None:
    caps = rates.bonus_caps(D(2026, 6, 25))
    assert (caps.health_per_fiscal_year, caps.pension_per_month) == (5_730_000, 1_500_000)
    assert rates.commuting_public_transport_limit(D(2026, 6, 25)) == 150_000


@pytest.mark.parametrize("text", ["13", "東京都", "東京", "Tokyo", " 13 ", "１３"])
def test_resolve_prefecture(text: str) -> None:
    assert rates.resolve_prefecture(text) == "13"


@pytest.mark.parametrize("text", ["", "48", "00", "東京府", "Atlantis"])
def test_resolve_unknown_prefecture(text: str) -> None:
    with pytest.raises(LookupError):
        rates.resolve_prefecture(text)


# --- grades ---------------------------------------------------------------------------


def test_grade_tables_shape() -> None:
    health = health_grades()
    pension = pension_grades()
    assert [g.grade for g in health] == list(range(1, 51))
    assert [g.grade for g in pension] == list(range(1, 33))
    assert (health[0].standard, health[-1].standard) == (58_000, 1_390_000)
    assert (pension[0].standard, pension[-1].standard) == (88_000, 650_000)
    # pension grade n is health grade n + 3 (from pension grade 2 on)
    for p in pension[1:]:
        h = health[p.grade + 3 - 1]
        assert (h.standard, h.lower, h.upper) == (p.standard, p.lower, p.upper or h.upper)
    assert health_grades(D(2016, 4, 1)) == health
    with pytest.raises(RateNotFound):
        pension_grades(D(2020, 8, 31))


def test_every_health_grade_boundary_plus_minus_one() -> None:
    grades = health_grades()
    for below, grade in itertools.pairwise(grades):
        assert health_grade_for(grade.lower - 1) == below
        assert health_grade_for(grade.lower) == grade
        assert health_grade_for(grade.lower + 1) == grade


def test_every_pension_grade_boundary_plus_minus_one() -> None:
    grades = pension_grades()
    for below, grade in itertools.pairwise(grades):
        assert pension_grade_for(grade.lower - 1) == below
        assert pension_grade_for(grade.lower) == grade
        assert pension_grade_for(grade.lower + 1) == grade


@pytest.mark.parametrize(
    ("remuneration", "health", "pension"),
    [
        (0, (1, 58_000), (1, 88_000)),
        (62_999, (1, 58_000), (1, 88_000)),
        (63_000, (2, 68_000), (1, 88_000)),
        (92_999, (4, 88_000), (1, 88_000)),
        (93_000, (5, 98_000), (2, 98_000)),
        (300_000, (22, 300_000), (19, 300_000)),
        (394_999, (26, 380_000), (23, 380_000)),
        (395_000, (27, 410_000), (24, 410_000)),
        (634_999, (34, 620_000), (31, 620_000)),
        (635_000, (35, 650_000), (32, 650_000)),
        (665_000, (36, 680_000), (32, 650_000)),
        (1_354_999, (49, 1_330_000), (32, 650_000)),
        (1_355_000, (50, 1_390_000), (32, 650_000)),
        (10_000_000, (50, 1_390_000), (32, 650_000)),
    ],
)
def test_grade_for_spot_values(
    remuneration: int, health: tuple[int, int], pension: tuple[int, int]
) -> None:
    h = health_grade_for(remuneration)
    p = pension_grade_for(remuneration)
    assert (h.grade, h.standard) == health
    assert (p.grade, p.standard) == pension


def test_negative_remuneration_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        health_grade_for(-1)


@pytest.mark.parametrize(
    ("health", "pension"),
    [
        (58_000, 88_000),
        (88_000, 88_000),
        (98_000, 98_000),
        (650_000, 650_000),
        (1_390_000, 650_000),
    ],
)
def test_pension_standard_for_health_standard(health: int, pension: int) -> None:
    assert pension_standard_for_health_standard(health) == pension


def test_standard_amount_checks() -> None:
    assert rates.is_health_standard_amount(58_000)
    assert not rates.is_health_standard_amount(300_001)
    assert rates.is_pension_standard_amount(88_000)
    assert not rates.is_pension_standard_amount(58_000)
    assert not rates.is_pension_standard_amount(680_000)
    assert rates.pension_grade_note(D(2027, 8, 1)) is None
    assert rates.pension_grade_note(D(2027, 9, 1)) is not None
