"""源泉徴収: monthly and bonus withholding, exact yen against the figures in the domain docs
(japan-2026.md §1.9–§1.10, withholding-2027.md §2–§3)."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daiko.errors import InvalidInput
from daiko.payroll.withholding import (
    Column,
    bonus_rate,
    bonus_tax,
    monthly_tax,
    tables_for,
)

D26 = date(2026, 6, 25)
D27 = date(2027, 6, 25)


def kou(pay_date: date, amount: int, dependents: int, method: str = "table") -> int:
    assert method in ("table", "formula")
    return monthly_tax(
        pay_date,
        amount,
        column="kou",
        dependents=dependents,
        method="formula" if method == "formula" else "table",
    )


def otsu(pay_date: date, amount: int, declared: int = 0) -> int:
    return monthly_tax(pay_date, amount, column="otsu", dependents=declared)


# --- 月額表: reference cells ------------------------------------------------------------

# japan-2026.md §1.9.2: amount → 甲0, 甲1, 甲2, 甲3, 乙
REFERENCE_2026 = [
    (104_999, 0, 0, 0, 0, 3_216),  # 乙 = 3.063 %, truncated
    (105_000, 170, 0, 0, 0, 3_800),
    (187_682, 3_910, 2_300, 670, 0, 15_400),
    (200_000, 4_340, 2_730, 1_100, 0, 19_700),
    (253_500, 6_220, 4_590, 2_980, 1_370, 36_600),
    (255_930, 6_320, 4_710, 3_090, 1_470, 37_600),
    (300_000, 7_930, 6_320, 4_700, 3_080, 53_600),
    (346_922, 11_240, 8_160, 6_530, 4_920, 67_800),
    (500_000, 28_190, 21_730, 17_520, 14_280, 145_700),
    (740_000, 71_680, 65_210, 58_750, 52_290, 259_200),
]


@pytest.mark.parametrize(("amount", "k0", "k1", "k2", "k3", "o"), REFERENCE_2026)
def test_2026_reference_cells(amount: int, k0: int, k1: int, k2: int, k3: int, o: int) -> None:
    assert [kou(D26, amount, d) for d in range(4)] == [k0, k1, k2, k3]
    assert otsu(D26, amount) == o


# withholding-2027.md §3.3: all nine columns, both years (甲0 … 甲7, 乙).
FULL_ROWS = {
    2026: [
        (88_000, [0, 0, 0, 0, 0, 0, 0, 0], 2_695),
        (105_000, [170, 0, 0, 0, 0, 0, 0, 0], 3_800),
        (199_000, [4_340, 2_730, 1_100, 0, 0, 0, 0, 0], 19_700),
        (251_000, [6_220, 4_590, 2_980, 1_370, 0, 0, 0, 0], 36_600),
        (299_000, [7_930, 6_320, 4_700, 3_080, 1_470, 0, 0, 0], 53_600),
        (500_000, [28_190, 21_730, 17_520, 14_280, 11_060, 8_060, 6_440, 4_830], 145_700),
        (737_000, [71_380, 64_900, 58_440, 51_980, 45_510, 39_040, 32_580, 26_110], 257_700),
        (740_000, [71_680, 65_210, 58_750, 52_290, 45_810, 39_350, 32_890, 26_410], 259_200),
    ],
    2027: [
        (88_000, [0, 0, 0, 0, 0, 0, 0, 0], 2_695),
        (105_000, [0, 0, 0, 0, 0, 0, 0, 0], 3_216),
        (111_000, [140, 0, 0, 0, 0, 0, 0, 0], 4_000),
        (199_000, [4_170, 2_550, 940, 0, 0, 0, 0, 0], 19_200),
        (251_000, [6_040, 4_430, 2_810, 1_190, 0, 0, 0, 0], 36_200),
        (299_000, [7_760, 6_150, 4_530, 2_910, 1_300, 0, 0, 0], 53_200),
        (500_000, [27_520, 21_040, 17_180, 13_950, 10_710, 7_890, 6_270, 4_660], 145_300),
        (737_000, [70_690, 64_230, 57_760, 51_300, 44_830, 38_360, 31_900, 25_430], 257_500),
        (740_000, [71_000, 64_540, 58_060, 51_600, 45_140, 38_670, 32_200, 25_740], 259_000),
    ],
}


@pytest.mark.parametrize(
    ("year", "amount", "kou_cells", "otsu_cell"),
    [(y, a, k, o) for y, rows in FULL_ROWS.items() for a, k, o in rows],
)
def test_all_nine_columns(year: int, amount: int, kou_cells: list[int], otsu_cell: int) -> None:
    pay_date = date(year, 3, 10)
    # Every amount inside the row gives the row's figure.
    row_width = 2000 if amount < 221_000 else 3000
    for a in (amount, amount + row_width - 1) if amount < 740_000 else (amount,):
        assert [kou(pay_date, a, d) for d in range(8)] == kou_cells
        if amount >= tables_for(pay_date).monthly.first_row:
            assert otsu(pay_date, a) == otsu_cell
    assert otsu(pay_date, amount) == otsu_cell


# withholding-2027.md §3.2: first row with tax per dependant count (and 0 one yen below it).
LOWEST_TAXABLE = {
    2026: [(105_000, 170), (137_000, 190), (171_000, 100), (217_000, 130), (263_000, 170), (308_000, 210), (347_000, 190), (386_000, 170)],
    2027: [(111_000, 140), (143_000, 160), (177_000, 150), (221_000, 120), (266_000, 110), (311_000, 170), (350_000, 140), (389_000, 120)],
}  # fmt: skip


@pytest.mark.parametrize(
    ("year", "dependents", "row", "tax"),
    [(y, d, r, t) for y, rows in LOWEST_TAXABLE.items() for d, (r, t) in enumerate(rows)],
)
def test_lowest_taxable_row_per_dependant_count(
    year: int, dependents: int, row: int, tax: int
) -> None:
    pay_date = date(year, 12, 31)
    assert kou(pay_date, row - 1, dependents) == 0
    assert kou(pay_date, row, dependents) == tax


# withholding-2027.md §3.3: 2027 base taxes at the formula points, 甲0 … 甲7.
BASES_2027 = {
    790_000: [81_210, 74_750, 68_270, 61_810, 55_350, 48_880, 42_410, 35_950],
    960_000: [121_130, 114_670, 108_200, 101_730, 95_270, 88_800, 82_330, 75_870],
    1_720_000: [377_200, 370_740, 364_270, 357_800, 351_340, 344_870, 338_400, 331_940],
    2_130_000: [549_410, 542_950, 536_470, 530_010, 523_550, 517_080, 510_610, 504_150],
    2_170_000: [571_190, 564_730, 558_250, 551_790, 545_330, 538_850, 532_390, 525_930],
    2_210_000: [592_970, 586_500, 580_030, 573_570, 567_100, 560_630, 554_170, 547_710],
    2_250_000: [614_740, 608_280, 601_810, 595_350, 588_880, 582_410, 575_950, 569_480],
    3_500_000: [
        1_125_240,
        1_118_780,
        1_112_310,
        1_105_850,
        1_099_380,
        1_092_910,
        1_086_450,
        1_079_980,
    ],
}


@pytest.mark.parametrize(("amount", "bases"), sorted(BASES_2027.items()))
def test_2027_base_taxes_at_formula_points(amount: int, bases: list[int]) -> None:
    assert [kou(D27, amount, d) for d in range(8)] == bases


def test_above_740000_is_base_plus_rate_truncated_to_the_yen() -> None:
    # NTA example quoted by fiestared: 775,200円・3人 → 59,477 (not rounded to 10).
    assert kou(D26, 775_200, 3) == 59_477
    # 2027: 51,600 + 35,200 × 20.42 % = 58,787.84 → 58,787
    assert kou(D27, 775_200, 3) == 58_787
    # Just below a formula point: 121,130 + 759,999 × 33.693 % = 377,196.46
    assert kou(D27, 1_719_999, 0) == 377_196
    assert kou(D27, 1_720_000, 0) == 377_200
    # Above the last point: 1,125,240 + 1,500,000 × 45.945 %
    assert kou(D27, 5_000_000, 0) == 1_814_415
    # 2026: the 40.84 % segment started at 1,710,000 (2027: 1,720,000).
    assert kou(D26, 1_710_000, 0) == 374_520
    assert kou(D27, 1_710_000, 0) == 373_827  # 121,130 + 750,000 × 33.693 % = 373,827.5


def test_otsu_above_740000() -> None:
    assert otsu(D27, 740_000) == 259_000
    assert otsu(D27, 1_719_999) == 659_231  # 259,000 + 979,999 × 40.84 % = 659,231.59
    assert otsu(D27, 1_720_000) == 659_300
    assert otsu(D27, 1_720_001) == 659_300  # + 0.45945
    assert otsu(D27, 1_720_003) == 659_301
    assert otsu(D26, 1_709_999) == 655_347  # 259,200 + 969,999 × 40.84 % = 655,347.59
    assert otsu(D26, 1_710_000) == 655_400


# --- 月額表: row boundaries --------------------------------------------------------------


@pytest.mark.parametrize(
    ("pay_date", "amount", "dependents", "tax"),
    [
        # 2026, first 甲 rows (2,000-yen steps): 105,000–107,000 = 170, 107,000–109,000 = 280
        (D26, 104_999, 0, 0),
        (D26, 105_000, 0, 170),
        (D26, 105_001, 0, 170),
        (D26, 106_999, 0, 170),
        (D26, 107_000, 0, 280),
        (D26, 107_001, 0, 280),
        # 2026, last row / first formula segment
        (D26, 739_999, 0, 71_380),
        (D26, 740_000, 0, 71_680),
        (D26, 740_001, 0, 71_680),
        (D26, 740_005, 0, 71_681),
        # 2027, where the step changes from 2,000 to 3,000 yen
        (D27, 220_999, 0, 4_880),
        (D27, 221_000, 0, 4_970),
        (D27, 221_001, 0, 4_970),
        (D27, 220_999, 3, 0),
        (D27, 221_000, 3, 120),
        (D27, 221_001, 3, 120),
        # 2027, first row
        (D27, 110_999, 0, 0),
        (D27, 111_000, 0, 140),
        (D27, 111_001, 0, 140),
        # 2027, 253,500 (row 251,000–254,000) and its neighbours
        (D27, 253_999, 1, 4_430),
        (D27, 254_000, 1, 4_530),
        (D27, 250_999, 1, 4_320),
    ],
)
def test_kou_row_boundaries(pay_date: date, amount: int, dependents: int, tax: int) -> None:
    assert kou(pay_date, amount, dependents) == tax


@pytest.mark.parametrize(
    ("pay_date", "amount", "tax"),
    [
        (D26, 104_999, 3_216),  # 104,999 × 3.063 % = 3,216.11
        (D26, 105_000, 3_800),
        (D26, 105_001, 3_800),
        (D27, 110_999, 3_399),  # 110,999 × 3.063 % = 3,399.90
        (D27, 111_000, 4_000),
        (D27, 111_001, 4_000),
        (D27, 220_999, 25_500),
        (D27, 221_000, 26_100),
        (D27, 221_001, 26_100),
        (D27, 739_999, 257_500),
        (D27, 740_000, 259_000),
        (D27, 740_001, 259_000),
        (D27, 740_003, 259_001),
        (D27, 0, 0),
        (D27, 32, 0),  # 32 × 3.063 % = 0.98
        (D27, 33, 1),
    ],
)
def test_otsu_row_boundaries_and_below_the_first_row(pay_date: date, amount: int, tax: int) -> None:
    assert otsu(pay_date, amount) == tax


def test_payment_date_selects_the_year() -> None:
    # Same amount, pay for December work: dated 2026-12-25 → 令和8年分, 2027-01-05 → 令和9年分.
    assert kou(date(2026, 12, 25), 200_000, 0) == 4_340
    assert kou(date(2027, 1, 5), 200_000, 0) == 4_170
    assert kou(date(2026, 12, 31), 253_500, 1) == 4_590
    assert kou(date(2027, 1, 1), 253_500, 1) == 4_430
    assert otsu(date(2026, 12, 31), 108_000) == 3_800
    assert otsu(date(2027, 1, 1), 108_000) == 3_308  # below 2027's first row: 3.063 %
    assert tables_for(date(2026, 12, 31)).label == "令和8年分"
    assert tables_for(date(2027, 1, 1)).label == "令和9年分"


@pytest.mark.parametrize("pay_date", [date(2025, 12, 31), date(2028, 1, 1), date(2020, 6, 1)])
def test_no_table_for_the_date_is_invalid_input_on_pay_date(pay_date: date) -> None:
    with pytest.raises(InvalidInput) as info:
        tables_for(pay_date)
    assert info.value.errors == [
        {
            "field": "pay_date",
            "reason": f"no withholding table covers {pay_date.isoformat()} "
            "(packaged: 2026-01-01..2026-12-31, 2027-01-01..2027-12-31)",
        }
    ]
    with pytest.raises(InvalidInput):
        kou(pay_date, 300_000, 0)


def test_more_than_seven_dependants_subtract_1610_each_from_the_seven_column() -> None:
    # withholding-2027.md §2.2: 446,000 / 8人 in the 2027 月額表 = 2,450 − 1,610
    assert kou(D27, 446_000, 7) == 2_450
    assert kou(D27, 446_000, 8) == 840
    assert kou(D27, 446_000, 9) == 0  # never negative
    assert kou(D27, 500_000, 9) == 4_660 - 2 * 1_610
    assert kou(D27, 740_000, 10) == 25_740 - 3 * 1_610
    assert kou(D26, 740_000, 8) == 26_410 - 1_610
    assert kou(D26, 104_999, 12) == 0


def test_otsu_declared_dependants_subtract_1610_each() -> None:
    # 従たる給与についての扶養控除等申告書: 1,610 yen per declared person.
    assert otsu(D27, 253_500, 0) == 36_200
    assert otsu(D27, 253_500, 2) == 36_200 - 3_220
    assert otsu(D27, 50_000, 1) == 0  # 1,531 − 1,610 < 0


# --- 電算機計算の特例 --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "dependents", "tax"),
    [
        # japan-2026.md §1.9.3 worked examples
        (105_000, 0, 130),
        (150_000, 0, 2_420),
        (200_000, 1, 2_720),
        (253_500, 1, 4_630),
        (300_000, 1, 6_300),
        (500_000, 1, 21_480),
        # NTA's own examples in the 令和8年分 電算機特例 (quoted in withholding-2027.md §2.2)
        (175_000, 2, 210),
        (446_000, 8, 940),
        (775_200, 3, 59_470),
    ],
)
def test_2026_formula_examples(amount: int, dependents: int, tax: int) -> None:
    assert kou(D26, amount, dependents, "formula") == tax


# withholding-2027.md §2.2: A → [(2027, 2026) for 0, 1, 2, 3 dependants]
FORMULA_VECTORS = {
    105_000: [(0, 130), (0, 0), (0, 0), (0, 0)],
    111_000: [(90, 430), (0, 0), (0, 0), (0, 0)],
    150_000: [(2_080, 2_420), (470, 810), (0, 0), (0, 0)],
    200_000: [(4_170, 4_340), (2_550, 2_720), (940, 1_110), (0, 0)],
    253_500: [(6_080, 6_250), (4_460, 4_630), (2_850, 3_020), (1_230, 1_400)],
    300_000: [(7_740, 7_910), (6_130, 6_300), (4_510, 4_680), (2_890, 3_060)],
    500_000: [(27_270, 27_950), (20_800, 21_480), (17_060, 17_400), (13_830, 14_170)],
    740_000: [(71_000, 71_680), (64_530, 65_220), (58_070, 58_750), (51_600, 52_280)],
    1_000_000: [(134_080, 135_210), (123_410, 124_540), (115_550, 116_330), (108_120, 108_900)],
    2_200_000: [(583_330, 583_330), (570_400, 570_400), (557_470, 557_470), (544_530, 544_530)],
    3_500_000: [(1_125_350, 1_125_350), (1_112_210, 1_112_210), (1_099_280, 1_099_280), (1_086_340, 1_086_340)],
}  # fmt: skip


@pytest.mark.parametrize(("amount", "cells"), sorted(FORMULA_VECTORS.items()))
def test_formula_vectors_both_years(amount: int, cells: list[tuple[int, int]]) -> None:
    assert [kou(D27, amount, d, "formula") for d in range(4)] == [c[0] for c in cells]
    assert [kou(D26, amount, d, "formula") for d in range(4)] == [c[1] for c in cells]


def test_2027_formula_details() -> None:
    # §2.1: B = 253,500 − 82,717 − 51,667 − 31,667 = 87,449 → 4,464.27 → 4,460 (table: 4,430)
    assert tables_for(D27).formula.taxable(253_500, 1) == 87_449
    assert kou(D27, 253_500, 1, "formula") == 4_460
    assert kou(D27, 253_500, 1, "table") == 4_430
    # Zero up to 109,264 with no dependants (B = 97 → 4.95 → 0; B = 98 → 5.0029 → 10).
    assert kou(D27, 109_264, 0, "formula") == 0
    assert kou(D27, 109_265, 0, "formula") == 10
    # The first 別表第一 band's printed end (169,443 or 169,444) does not change B:
    # 169,443 − 57,500 − 51,667 and 169,444 − (⌈50,833.2⌉ + 6,667) − 51,667 are both 60,276.
    formula = tables_for(D27).formula
    assert formula.taxable(169_443, 0) == formula.taxable(169_444, 0) == 60_276
    # NTA 2026 examples under the 2027 別表 (withholding-2027.md §2.2)
    assert [kou(D27, 175_000, 2, "formula"), kou(D27, 446_000, 8, "formula")] == [40, 770]
    assert kou(D27, 775_200, 3, "formula") == 58_790


def test_formula_rounds_half_up_to_ten_and_is_for_kou_only() -> None:
    # 2026, 105,000 / 0: B = 2,499 → 127.57 → 130 (half-up on the 10s)
    assert tables_for(D26).formula.taxable(105_000, 0) == 2_499
    # 乙欄 with method "formula" still uses the table.
    assert monthly_tax(D27, 253_500, column="otsu", dependents=0, method="formula") == 36_200
    assert monthly_tax(D26, 104_999, column="otsu", dependents=0, method="formula") == 3_216
    assert kou(D26, 0, 0, "formula") == 0


# --- 賞与 -------------------------------------------------------------------------------


def b_tax(
    pay_date: date,
    bonus: int,
    prev: int | None,
    dependents: int,
    column: Column = "kou",
    *,
    method: str = "table",
    months: int = 6,
) -> int:
    return bonus_tax(
        pay_date,
        bonus,
        previous_month_after_insurance=prev,
        column=column,
        dependents=dependents,
        method="formula" if method == "formula" else "table",
        months_covered=months,
    )


def test_bonus_rate_nta_example() -> None:
    # NTA usage example (2026 booklet): previous month 196,616円, 2人 → band 143–276 → 2.042 %
    assert bonus_rate(D26, 196_616, column="kou", dependents=2) == Decimal("2.042")


@pytest.mark.parametrize(
    ("prev", "dependents", "column", "rate"),
    [
        (81_999, 0, "kou", "0.000"),
        (82_000, 0, "kou", "2.042"),
        (93_999, 0, "kou", "2.042"),
        (94_000, 0, "kou", "4.084"),
        (299_999, 3, "kou", "2.042"),
        (300_000, 3, "kou", "4.084"),
        (300_000, 4, "kou", "4.084"),
        (1_554_999, 5, "kou", "35.735"),
        (1_555_000, 5, "kou", "38.798"),
        (3_494_999, 0, "kou", "41.861"),
        (3_495_000, 0, "kou", "45.945"),
        (316_999, 9, "kou", "0.000"),  # 7人以上 column, no 1,610 adjustment
        (317_000, 9, "kou", "2.042"),
        (0, 0, "otsu", "10.210"),
        (223_999, 0, "otsu", "10.210"),
        (224_000, 0, "otsu", "20.420"),
        (294_999, 0, "otsu", "20.420"),
        (295_000, 0, "otsu", "30.630"),
        (527_000, 0, "otsu", "38.798"),
        (1_117_999, 0, "otsu", "38.798"),
        (1_118_000, 0, "otsu", "45.945"),
    ],
)
def test_bonus_rate_boundaries(prev: int, dependents: int, column: Column, rate: str) -> None:
    assert bonus_rate(D26, prev, column=column, dependents=dependents) == Decimal(rate)


def test_bonus_worked_examples() -> None:
    # japan-2026.md §1.10: 乙欄, previous month 255,930 → 20.42 %; 1,053,290 → 215,081
    assert b_tax(D26, 1_053_290, 255_930, 0, "otsu") == 215_081
    # 1 dependant, previous month 253,500 → 4.084 %; 500,000 − 77,500 = 422,500 → 17,254.9
    assert b_tax(D26, 422_500, 253_500, 1) == 17_254
    # Same in 2027 (the carried-forward table: figure computed, flagged unverified)
    assert b_tax(D27, 422_500, 253_500, 1) == 17_254
    assert tables_for(D27).bonus.confidence == "U"
    assert tables_for(D26).bonus.confidence == "V2"


def test_bonus_zero_rate_and_zero_bonus() -> None:
    assert b_tax(D26, 400_000, 50_000, 0) == 0  # 0 % band
    assert b_tax(D26, 0, None, 0) == 0
    assert b_tax(D26, 0, 300_000, 0) == 0


def test_bonus_without_previous_month_pay_uses_the_monthly_table_times_six() -> None:
    # X = 1,200,000 ÷ 6 = 200,000 → 2026 甲0 4,340 × 6
    assert b_tax(D26, 1_200_000, None, 0) == 26_040
    assert b_tax(D26, 1_200_000, 0, 0) == 26_040  # pay ≤ its social insurance
    assert b_tax(D26, 1_200_000, -5_000, 0) == 26_040
    # Covers more than 6 months: ÷ 12 and × 12 (X = 200,000)
    assert b_tax(D26, 2_400_000, None, 0, months=12) == 52_080
    assert b_tax(D26, 2_400_000, None, 0, months=7) == 52_080
    # X truncated: 1,200,005 ÷ 6 = 200,000.83 → 200,000
    assert b_tax(D26, 1_200_005, None, 0) == 26_040
    # The lookups may use the tenant's method: formula 200,000 / 1人 = 2,720 (table 2,730)
    assert b_tax(D26, 1_200_000, None, 1) == 2_730 * 6
    assert b_tax(D26, 1_200_000, None, 1, method="formula") == 2_720 * 6
    # 乙欄: X = 100,000 → 3.063 % = 3,063 → × 6
    assert b_tax(D26, 600_000, None, 0, "otsu") == 18_378
    # 2027 table: 1,200,000 / 0人 → 4,170 × 6
    assert b_tax(D27, 1_200_000, None, 0) == 25_020


def test_bonus_over_ten_times_previous_month_uses_the_difference() -> None:
    # 2026: P = 105,000 (170); bonus 1,170,000 > 1,050,000; X = 195,000;
    # 月額表(300,000) = 7,930 → (7,930 − 170) × 6
    assert b_tax(D26, 1_170_000, 105_000, 0) == 46_560
    assert b_tax(D26, 2_340_000, 105_000, 0, months=12) == (7_930 - 170) * 12
    # 2027: P = 111,000 (140); bonus 1,128,000 > 1,110,000; X = 188,000 → 月額表(299,000) = 7,760
    assert b_tax(D27, 1_128_000, 111_000, 0) == (7_760 - 140) * 6
    # Exactly 10 × P is not "over": the rate table applies (105,000 / 0人 → 4.084 %)
    assert b_tax(D26, 1_050_000, 105_000, 0) == 42_882
    # With the formula method: 2026 formula(105,000+195,000=300,000, 1人) − formula(105,000, 1人)
    assert b_tax(D26, 1_170_000, 105_000, 1, method="formula") == (6_300 - 0) * 6


# --- input checks ----------------------------------------------------------------------


def test_invalid_inputs_name_the_field() -> None:
    with pytest.raises(InvalidInput) as info:
        kou(D26, -1, 0)
    assert info.value.errors[0]["field"] == "amount"
    with pytest.raises(InvalidInput) as info:
        kou(D26, 100_000, -1)
    assert info.value.errors[0]["field"] == "dependents"
    with pytest.raises(InvalidInput) as info:
        b_tax(D26, -1, 100_000, 0)
    assert info.value.errors[0]["field"] == "bonus_after_insurance"
    with pytest.raises(InvalidInput) as info:
        b_tax(D26, 100_000, 100_000, 0, months=0)
    assert info.value.errors[0]["field"] == "months_covered"


# --- properties ------------------------------------------------------------------------


@pytest.mark.parametrize("pay_date", [D26, D27])
def test_table_is_monotone_over_every_row_and_column(pay_date: date) -> None:
    monthly = tables_for(pay_date).monthly
    probes = sorted(
        {0, 1, monthly.first_row - 1}
        | {b + off for b in monthly.lower_bounds for off in (-1, 0)}
        | {s.start + off for s in monthly.kou_segments for off in (-1, 0, 1)}
        | {5_000_000}
    )
    for deps in range(10):
        taxes = [kou(pay_date, a, deps) for a in probes]
        assert taxes == sorted(taxes), deps
    for a in probes:
        by_deps = [kou(pay_date, a, d) for d in range(10)]
        assert by_deps == sorted(by_deps, reverse=True), a
    otsu_taxes = [otsu(pay_date, a) for a in probes]
    assert otsu_taxes == sorted(otsu_taxes)


@settings(max_examples=300, deadline=None)
@given(
    year=st.sampled_from([D26, D27]),
    amount=st.integers(min_value=0, max_value=4_000_000),
    step=st.integers(min_value=0, max_value=200_000),
    dependents=st.integers(min_value=0, max_value=12),
)
def test_table_tax_monotone_in_amount_and_dependants(
    year: date, amount: int, step: int, dependents: int
) -> None:
    assert kou(year, amount, dependents) <= kou(year, amount + step, dependents)
    assert kou(year, amount, dependents) >= kou(year, amount, dependents + 1)
    assert otsu(year, amount) <= otsu(year, amount + step)
    assert kou(year, amount, dependents, "formula") >= kou(year, amount, dependents + 1, "formula")


def test_ten_thousand_lookups_are_fast() -> None:
    tables_for(D27)  # load once
    start = time.perf_counter()
    for i in range(10_000):
        kou(D27, 150_000 + i * 37, i % 8)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, elapsed
