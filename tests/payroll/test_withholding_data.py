"""The packaged withholding tables against independent second transcriptions, cell by cell.

Primary data: ``src/daiko/payroll/data/withholding/*.csv`` + ``year-*.yaml``.
Second copies: ``data/withholding/check/`` (see the README there for where each came from).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest

from daiko.payroll.withholding import (
    DATA_DIR,
    KOU_COLUMNS,
    all_years,
    load_monthly_csv,
    tables_for,
)

CHECK = DATA_DIR / "check"
COLUMNS = [*(f"kou{i}" for i in range(KOU_COLUMNS)), "otsu"]
Y2026 = date(2026, 6, 25)
Y2027 = date(2027, 6, 25)


def _cell_lines(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if parts[0] == "seg":
            out[f"seg {parts[1]}"] = parts[2:]
        else:
            out[parts[0]] = parts[1:]
    return out


def test_2026_monthly_every_cell_matches_the_fiestared_pdf_transcription() -> None:
    primary = load_monthly_csv("monthly-2026.csv")
    second = load_monthly_csv("check/monthly-2026.fiestared.csv")
    assert len(primary) == len(second) == 231
    diffs = [
        (a[0], i, a[i], b[i])
        for a, b in zip(primary, second, strict=True)
        for i in range(len(a))
        if a[i] != b[i]
    ]
    assert diffs == []


def test_2026_segments_match_the_fiestared_pdf_transcription() -> None:
    # Copied from fiestared/keiri-tools@8060c8d docs/assets/gensen_getsugaku_r08.json
    # kouSegments/otsuSegments (the YAML was written from renjaku/opendata).
    fiestared_kou = {
        740_000: ("0.2042", [71680, 65210, 58750, 52290, 45810, 39350, 32890, 26410]),
        790_000: ("0.23483", [81890, 75420, 68960, 62500, 56020, 49560, 43100, 36620]),
        960_000: ("0.33693", [121820, 115340, 108880, 102420, 95940, 89480, 83020, 76540]),
        1_710_000: ("0.4084", [374520, 368040, 361580, 355120, 348640, 342180, 335720, 329240]),
        2_130_000: ("0.4084", [549440, 542970, 536500, 530040, 523570, 517110, 510640, 504170]),
        2_170_000: ("0.4084", [571220, 564750, 558280, 551820, 545350, 538880, 532420, 525950]),
        2_210_000: ("0.4084", [593000, 586520, 580060, 573600, 567120, 560660, 554200, 547730]),
        2_250_000: ("0.4084", [614770, 608300, 601840, 595380, 588900, 582440, 575980, 569500]),
        3_500_000: (
            "0.45945",
            [1125270, 1118800, 1112340, 1105880, 1099400, 1092940, 1086480, 1080000],
        ),
    }
    monthly = tables_for(Y2026).monthly
    assert {s.start: (str(s.rate), list(s.base)) for s in monthly.kou_segments} == fiestared_kou
    assert [(s.start, s.base, str(s.rate)) for s in monthly.otsu_segments] == [
        (740_000, 259_200, "0.4084"),
        (1_710_000, 655_400, "0.45945"),
    ]
    assert monthly.otsu_below_first_row_rate == Decimal("0.03063")
    assert monthly.per_extra_dependent == 1610


def test_2027_monthly_every_cell_matches_the_groovy_xlsx_transcription() -> None:
    primary = load_monthly_csv("monthly-2027.csv")
    groovy = _cell_lines(CHECK / "monthly-2027.groovy.txt")
    cells = {
        col: {int(k) * 1000: int(v) for k, v in (c.split(":") for c in groovy[col])}
        for col in COLUMNS
    }
    assert len(primary) == 228
    # 甲0 and 乙 are non-zero in every row, so their keys are the full list of row bounds.
    assert sorted(cells["kou0"]) == [r[0] for r in primary]
    assert sorted(cells["otsu"]) == [r[0] for r in primary]
    diffs = [
        (row[0], col, row[2 + i], cells[col].get(row[0], 0))
        for row in primary
        for i, col in enumerate(COLUMNS)
        if row[2 + i] != cells[col].get(row[0], 0)
    ]
    assert diffs == []
    row_bounds = {r[0] for r in primary}
    assert all(set(c) <= row_bounds for c in cells.values())


def test_2027_segments_match_the_groovy_xlsx_transcription() -> None:
    groovy = _cell_lines(CHECK / "monthly-2027.groovy.txt")
    monthly = tables_for(Y2027).monthly
    for col in range(KOU_COLUMNS):
        expected = {
            int(k) * 1000: int(v) for k, v in (c.split(":") for c in groovy[f"seg kou{col}"])
        }
        assert {s.start: s.base[col] for s in monthly.kou_segments} == expected
    expected_otsu = {int(k) * 1000: int(v) for k, v in (c.split(":") for c in groovy["seg otsu"])}
    assert {s.start: s.base for s in monthly.otsu_segments} == expected_otsu
    assert [str(s.rate) for s in monthly.kou_segments] == [
        "0.2042",
        "0.23483",
        "0.33693",
        "0.4084",
        "0.4084",
        "0.4084",
        "0.4084",
        "0.4084",
        "0.45945",
    ]


def test_2026_bonus_table_matches_the_hand_transcription() -> None:
    nextjs = _cell_lines(CHECK / "bonus-2026.nextjs.txt")
    bonus = tables_for(Y2026).bonus
    assert [str(r) for r in bonus.rates] == nextjs["rates"]
    for col in range(KOU_COLUMNS):
        assert list(bonus.kou_bounds[col]) == [int(v) for v in nextjs[f"kou{col}"]]
    assert [(b, str(r)) for b, r in bonus.otsu_rows] == [
        (int(b), r) for b, r in (c.split(":") for c in nextjs["otsu"])
    ]


def test_rows_are_contiguous_and_start_where_the_docs_say() -> None:
    for name, first, count in (
        ("monthly-2026.csv", 105_000, 231),
        ("monthly-2027.csv", 111_000, 228),
    ):
        rows = load_monthly_csv(name)
        assert rows[0][0] == first
        assert rows[-1][1] == 740_000
        assert len(rows) == count
        assert all(a[1] == b[0] for a, b in pairwise(rows))
        # 2,000-yen steps up to 221,000, then 3,000-yen steps.
        assert all(r[1] - r[0] == (2000 if r[0] < 221_000 else 3000) for r in rows)


def test_years_are_dated_by_calendar_year_with_confidence_flags() -> None:
    years = all_years()
    assert [(y.year, y.valid_from, y.valid_to) for y in years] == [
        (2026, date(2026, 1, 1), date(2026, 12, 31)),
        (2027, date(2027, 1, 1), date(2027, 12, 31)),
    ]
    y26, y27 = years
    assert (y26.monthly.confidence, y26.formula.confidence, y26.bonus.confidence) == (
        "V2",
        "V2",
        "V2",
    )
    assert (y27.monthly.confidence, y27.formula.confidence) == ("V2", "V2")
    # The 2027 bonus table is the 2026 one carried forward: flagged, with a note.
    assert y27.bonus.confidence == "U"
    assert y27.confidence == "U"
    assert "not transcribed" in y27.bonus.note
    assert y27.bonus.rates == y26.bonus.rates
    assert y27.bonus.kou_bounds == y26.bonus.kou_bounds


@pytest.mark.parametrize("path", sorted(DATA_DIR.glob("year-*.yaml")), ids=lambda p: p.name)
def test_every_rate_in_the_yaml_is_a_quoted_string(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "rate: 0" not in text
    assert 'rate: "' in text
