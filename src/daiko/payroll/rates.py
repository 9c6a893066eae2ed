"""Effective-dated social-insurance and employment-insurance rates, loaded once.

The figures live in `data/insurance/*.toml` (sources and confidence in each file and in
`data/insurance/README.md`); this module parses them on first use and caches the result,
so a payroll run of thousands of employees reads the files once.

Percentages are `Decimal` percent (Decimal("9.85") = 9.85 %); employment insurance is
`Decimal` per mille. Keys: health, care, levy, pension, child contribution by
**insurance month** (a date on the 1st); employment insurance by **wage closing date**;
bonus caps by pay date. A date before the first period raises `RateNotFound`; a date
after the latest period's `review_from` still gets the latest rate plus a note.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal

from daiko.tenancy.prefectures import find_prefecture

__all__ = [
    "Confidence",
    "EmploymentInsuranceRate",
    "Grade",
    "RateNotFound",
    "Rated",
    "bonus_caps",
    "care_rate",
    "child_contribution_rate",
    "child_support_rate",
    "commuting_public_transport_limit",
    "employment_insurance_rate",
    "health_grade_for",
    "health_grades",
    "is_health_standard_amount",
    "is_pension_standard_amount",
    "kyoukai_health_rate",
    "pension_grade_for",
    "pension_grades",
    "pension_rate",
    "pension_standard_for_health_standard",
    "resolve_prefecture",
    "workers_compensation_rate",
]

DATA_DIR = Path(__file__).parent / "data" / "insurance"
Confidence = Literal["V2", "V1", "U"]
Industry = Literal["general", "agriculture", "construction"]


class RateNotFound(LookupError):
    """No rate is loaded for this date (or prefecture / industry)."""


@dataclass(frozen=True, slots=True)
class Rated:
    """A rate with where it came from. `note` is set when the rate is used past its
    period's review date or its confidence is [U]."""

    value: Decimal
    confidence: Confidence
    source: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class EmploymentInsuranceRate:
    """雇用保険: per-mille rates of one industry for one fiscal year."""

    fiscal_year: int
    worker_per_mille: Decimal
    employer_per_mille: Decimal
    confidence: Confidence
    source: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Grade:
    """One 標準報酬月額 grade: 報酬月額 in [lower, upper) maps to `standard`."""

    grade: int
    standard: int
    lower: int
    upper: int | None


@dataclass(frozen=True, slots=True)
class _Period:
    valid_from: dt.date
    valid_to: dt.date | None
    confidence: Confidence
    source: str
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _Series:
    periods: tuple[_Period, ...]
    review_from: dt.date | None
    review_note: str | None

    def at(self, day: dt.date, what: str) -> tuple[_Period, str | None]:
        for period in self.periods:
            if period.valid_from <= day and (period.valid_to is None or day <= period.valid_to):
                note = None
                if self.review_from is not None and day >= self.review_from:
                    note = self.review_note
                return period, note
        raise RateNotFound(f"no {what} loaded for {day.isoformat()}")


def _load(name: str) -> dict[str, Any]:
    with (DATA_DIR / name).open("rb") as f:
        return tomllib.load(f)


def _series(raw: Sequence[Mapping[str, Any]], top: Mapping[str, Any]) -> _Series:
    periods = tuple(
        _Period(
            valid_from=p["valid_from"],
            valid_to=p.get("valid_to"),
            confidence=p.get("confidence", "V1"),
            source=p["source"],
            payload=p,
        )
        for p in raw
    )
    return _Series(periods, top.get("review_from"), top.get("review_note"))


@cache
def _scalar_series(name: str) -> _Series:
    data = _load(name)
    return _series(data["period"], data)


def _scalar(name: str, day: dt.date, what: str) -> Rated:
    period, note = _scalar_series(name).at(day, what)
    if note is None and period.confidence == "U":
        note = f"{what} is unverified [U]"
    return Rated(Decimal(period.payload["rate"]), period.confidence, period.source, note)


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


# --- prefectures -----------------------------------------------------------------------


@cache
def resolve_prefecture(text: str) -> str:
    """The JIS code ("13") of a prefecture given by code ("13", "1") or name ("東京都",
    "東京", "Tokyo"); LookupError naming the input when there is none."""
    found = find_prefecture(text) if text.strip() else None
    if found is None:
        raise LookupError(f"unknown prefecture {text!r}")
    return found.code


@cache
def _kyoukai() -> _Series:
    data = _load("kyoukai_kenpo.toml")
    return _series(data["period"], data)


@cache
def kyoukai_health_rate(prefecture_code: str, insurance_month: dt.date) -> Rated:
    """協会けんぽ health rate (percent, both halves, excluding care) of a branch."""
    period, note = _kyoukai().at(_month(insurance_month), "協会けんぽ health rate")
    entry = period.payload["rates"].get(prefecture_code)
    if entry is None:
        raise RateNotFound(f"no 協会けんぽ rate for prefecture {prefecture_code!r}")
    return Rated(Decimal(entry["rate"]), period.confidence, period.source, note)


@cache
def care_rate(insurance_month: dt.date) -> Rated:
    """協会けんぽ 介護保険料率 (percent, both halves)."""
    return _scalar("care.toml", _month(insurance_month), "care insurance rate")


@cache
def child_support_rate(insurance_month: dt.date) -> Rated:
    """子ども・子育て支援金 rate (percent, both halves); 0 before the April 2026 month."""
    return _scalar("child_support.toml", _month(insurance_month), "child-support levy rate")


@cache
def pension_rate(insurance_month: dt.date) -> Rated:
    """厚生年金 rate (percent, both halves)."""
    return _scalar("pension.toml", _month(insurance_month), "pension rate")


@cache
def child_contribution_rate(insurance_month: dt.date) -> Rated:
    """子ども・子育て拠出金 rate (percent, employer only) on the pension 標準報酬."""
    return _scalar("child_contribution.toml", _month(insurance_month), "child contribution rate")


@cache
def _employment() -> _Series:
    data = _load("employment.toml")
    return _series(data["period"], data)


def fiscal_year(day: dt.date) -> int:
    """The April–March fiscal year (年度) containing a date."""
    return day.year if day.month >= 4 else day.year - 1


@cache
def employment_insurance_rate(industry: str, wage_closing_date: dt.date) -> EmploymentInsuranceRate:
    """雇用保険 rates of an industry ("general", "agriculture", "construction") for the
    fiscal year containing the wage closing date."""
    period, note = _employment().at(wage_closing_date, "employment insurance rate")
    entry = period.payload["industries"].get(industry)
    if entry is None:
        raise RateNotFound(f"unknown employment insurance industry {industry!r}")
    confidence: Confidence = entry.get("confidence", period.confidence)
    if note is None and confidence == "U":
        note = f"employment insurance rate ({industry}) is unverified [U]"
    return EmploymentInsuranceRate(
        fiscal_year=fiscal_year(wage_closing_date),
        worker_per_mille=Decimal(entry["worker"]),
        employer_per_mille=Decimal(entry["employer"]),
        confidence=confidence,
        source=period.source,
        note=note,
    )


@cache
def workers_compensation_rate(business_type: str, wage_closing_date: dt.date) -> Rated:
    """労災保険率 (per mille, employer only) of a 事業の種類 number such as "94"."""
    data = _scalar_series("workers_compensation.toml")
    period, note = data.at(wage_closing_date, "workers' compensation rate")
    entry = period.payload["types"].get(business_type)
    if entry is None:
        raise RateNotFound(f"no workers' compensation rate for business type {business_type!r}")
    return Rated(Decimal(entry["per_mille"]), period.confidence, period.source, note)


# --- grades ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _GradeTable:
    valid_from: dt.date
    grades: tuple[Grade, ...]
    by_standard: Mapping[int, Grade]
    review_from: dt.date | None
    review_note: str | None


@cache
def _grade_tables(kind: Literal["health", "pension"]) -> tuple[_GradeTable, ...]:
    tables = []
    for table in _load("grades.toml")[kind]:
        rows = table["grades"]
        grades = tuple(
            Grade(
                grade=row[0],
                standard=row[1],
                lower=row[2],
                upper=rows[i + 1][2] if i + 1 < len(rows) else None,
            )
            for i, row in enumerate(rows)
        )
        tables.append(
            _GradeTable(
                valid_from=table["valid_from"],
                grades=grades,
                by_standard={g.standard: g for g in grades},
                review_from=table.get("review_from"),
                review_note=table.get("review_note"),
            )
        )
    return tuple(sorted(tables, key=lambda t: t.valid_from))


def _grade_table(kind: Literal["health", "pension"], on: dt.date | None) -> _GradeTable:
    tables = _grade_tables(kind)
    if on is None:
        return tables[-1]
    for table in reversed(tables):
        if table.valid_from <= on:
            return table
    raise RateNotFound(f"no {kind} grade table loaded for {on.isoformat()}")


def health_grades(on: dt.date | None = None) -> tuple[Grade, ...]:
    """The 健康保険 標準報酬月額 grades in force on a date (default: the latest table)."""
    return _grade_table("health", on).grades


def pension_grades(on: dt.date | None = None) -> tuple[Grade, ...]:
    """The 厚生年金 標準報酬月額 grades in force on a date (default: the latest table)."""
    return _grade_table("pension", on).grades


def pension_grade_note(on: dt.date) -> str | None:
    """The review note of the pension table for a month past its review date, if any."""
    table = _grade_table("pension", on)
    if table.review_from is not None and on >= table.review_from:
        return table.review_note
    return None


def _grade_for(grades: tuple[Grade, ...], remuneration: int) -> Grade:
    if remuneration < 0:
        raise ValueError("remuneration must not be negative")
    low, high = 0, len(grades) - 1
    while low < high:  # the last grade whose lower bound <= remuneration
        mid = (low + high + 1) // 2
        if grades[mid].lower <= remuneration:
            low = mid
        else:
            high = mid - 1
    return grades[low]


def health_grade_for(remuneration: int, on: dt.date | None = None) -> Grade:
    """The health grade of a 報酬月額 (lower bound inclusive, upper exclusive)."""
    return _grade_for(health_grades(on), remuneration)


def pension_grade_for(remuneration: int, on: dt.date | None = None) -> Grade:
    """The pension grade of a 報酬月額 (grade 1 below ¥93,000, grade 32 from ¥635,000)."""
    return _grade_for(pension_grades(on), remuneration)


def is_health_standard_amount(amount: int, on: dt.date | None = None) -> bool:
    """Whether an amount is one of the health 標準報酬月額 grade amounts."""
    return amount in _grade_table("health", on).by_standard


def is_pension_standard_amount(amount: int, on: dt.date | None = None) -> bool:
    """Whether an amount is one of the pension 標準報酬月額 grade amounts."""
    return amount in _grade_table("pension", on).by_standard


def pension_standard_for_health_standard(health_standard: int, on: dt.date | None = None) -> int:
    """The pension 標準報酬月額 for a health one: the same amount, floored at the first and
    capped at the last pension grade (88,000 / 650,000 since 2020-09)."""
    grades = pension_grades(on)
    return min(max(health_standard, grades[0].standard), grades[-1].standard)


# --- bonus caps and commuting ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BonusCaps:
    """標準賞与額 caps: health per April–March fiscal year, pension per calendar month."""

    health_per_fiscal_year: int
    pension_per_month: int
    confidence: Confidence


@cache
def bonus_caps(pay_date: dt.date) -> BonusCaps:
    """The bonus caps in force on a pay date."""
    period, _ = _scalar_series("bonus_caps.toml").at(pay_date, "bonus caps")
    return BonusCaps(
        period.payload["health_per_fiscal_year"],
        period.payload["pension_per_month"],
        period.confidence,
    )


@cache
def commuting_public_transport_limit(pay_date: dt.date) -> int:
    """非課税通勤手当 monthly limit for public-transport commuters."""
    period, _ = _scalar_series("commuting.toml").at(pay_date, "commuting allowance limit")
    limit: int = period.payload["public_transport_limit"]
    return limit


RateGetter = Callable[[dt.date], Rated]
"""A month-keyed rate lookup such as `pension_rate`."""
