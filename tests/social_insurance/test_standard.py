"""算定基礎 (定時決定) and 月額変更 (随時改定), grade by grade (domain §1.3)."""

from __future__ import annotations

from datetime import date

import pytest

from daiko.social_insurance.standard import (
    Grade,
    MonthPay,
    annual_decision,
    monthly_change,
    tables_on,
)

# (standard amount, 報酬月額 lower bound) of the 50 health grades, domain §1.3.
HEALTH_ROWS = [
    (58_000, 0), (68_000, 63_000), (78_000, 73_000), (88_000, 83_000), (98_000, 93_000),
    (104_000, 101_000), (110_000, 107_000), (118_000, 114_000), (126_000, 122_000),
    (134_000, 130_000), (142_000, 138_000), (150_000, 146_000), (160_000, 155_000),
    (170_000, 165_000), (180_000, 175_000), (190_000, 185_000), (200_000, 195_000),
    (220_000, 210_000), (240_000, 230_000), (260_000, 250_000), (280_000, 270_000),
    (300_000, 290_000), (320_000, 310_000), (340_000, 330_000), (360_000, 350_000),
    (380_000, 370_000), (410_000, 395_000), (440_000, 425_000), (470_000, 455_000),
    (500_000, 485_000), (530_000, 515_000), (560_000, 545_000), (590_000, 575_000),
    (620_000, 605_000), (650_000, 635_000), (680_000, 665_000), (710_000, 695_000),
    (750_000, 730_000), (790_000, 770_000), (830_000, 810_000), (880_000, 855_000),
    (930_000, 905_000), (980_000, 955_000), (1_030_000, 1_005_000), (1_090_000, 1_055_000),
    (1_150_000, 1_115_000), (1_210_000, 1_175_000), (1_270_000, 1_235_000),
    (1_330_000, 1_295_000), (1_390_000, 1_355_000),
]  # fmt: skip
# The tables the engine uses come from the payroll rate data; the hand-typed rows above
# are the independent transcription they are checked against.
HEALTH, PENSION = tables_on(date(2026, 9, 1))


def test_rate_data_tables_match_the_published_rows() -> None:
    assert [(g.amount, g.lower) for g in HEALTH.grades] == HEALTH_ROWS
    assert [(g.amount, g.lower) for g in PENSION.grades] == [
        (amount, 0 if i == 0 else lower) for i, (amount, lower) in enumerate(HEALTH_ROWS[3:35])
    ]
    assert (HEALTH.floor, HEALTH.ceiling, PENSION.floor, PENSION.ceiling) == (
        53_000,
        1_415_000,
        83_000,
        665_000,
    )


def m(month: int, pay: int, days: int = 31, *, year: int = 2026, **kw: object) -> MonthPay:
    return MonthPay(date(year, month, 1), pay, days, **kw)  # type: ignore[arg-type]


def test_tables_have_the_published_shape() -> None:
    assert len(HEALTH.grades) == 50 and len(PENSION.grades) == 32
    assert PENSION.bottom.amount == 88_000 and PENSION.top.amount == 650_000
    assert PENSION.for_remuneration(92_999).number == 1
    assert PENSION.for_remuneration(93_000).number == 2
    assert PENSION.for_remuneration(10_000_000).amount == 650_000


@pytest.mark.parametrize(
    ("remuneration", "grade", "amount"),
    [
        (62_999, 1, 58_000),
        (63_000, 2, 68_000),
        (289_999, 21, 280_000),
        (290_000, 22, 300_000),
        (394_999, 26, 380_000),
        (395_000, 27, 410_000),
        (1_354_999, 49, 1_330_000),
        (1_355_000, 50, 1_390_000),
    ],
)
def test_health_grade_boundaries(remuneration: int, grade: int, amount: int) -> None:
    assert HEALTH.for_remuneration(remuneration) == Grade(grade, amount, HEALTH_ROWS[grade - 1][1])


class TestAnnual:
    def test_three_full_months_average_truncates_below_one_yen(self) -> None:
        d = annual_decision(
            2026,
            [m(4, 300_000), m(5, 310_000), m(6, 320_001)],
            current_health=300_000,
            current_pension=300_000,
            health=HEALTH,
            pension=PENSION,
        )
        assert d.average == 310_000  # 930,001 / 3 = 310,000.33
        assert (d.health.amount, d.pension.amount) == (320_000, 320_000)
        assert d.effective_month == date(2026, 9, 1)
        assert d.months_used == (date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1))

    def test_a_month_under_17_days_is_left_out(self) -> None:
        d = annual_decision(
            2026,
            [m(4, 250_000), m(5, 90_000, 10), m(6, 262_000)],
            current_health=260_000,
            current_pension=260_000,
            health=HEALTH,
            pension=PENSION,
        )
        assert d.average == 256_000
        assert d.health.amount == 260_000
        assert d.months_excluded == ((date(2026, 5, 1), "10 payment-base days (< 17)"),)

    def test_short_time_workers_count_11_days(self) -> None:
        months = [m(4, 120_000, 12), m(5, 110_000, 11), m(6, 60_000, 10)]
        d = annual_decision(
            2026,
            months,
            current_health=118_000,
            current_pension=118_000,
            health=HEALTH,
            pension=PENSION,
            kind="short_time",
        )
        assert d.average == 115_000 and d.health.amount == 118_000
        assert [x for x, _ in d.months_excluded] == [date(2026, 6, 1)]

    def test_part_timers_without_a_17_day_month_use_15_day_months(self) -> None:
        months = [m(4, 100_000, 16), m(5, 95_000, 15), m(6, 50_000, 9)]
        d = annual_decision(
            2026,
            months,
            current_health=98_000,
            current_pension=98_000,
            health=HEALTH,
            pension=PENSION,
            kind="part_time",
        )
        assert d.average == 97_500 and d.health.amount == 98_000
        assert d.months_excluded == ((date(2026, 6, 1), "9 payment-base days (< 15)"),)

    def test_retroactive_pay_and_excluded_months(self) -> None:
        d = annual_decision(
            2026,
            [
                m(4, 200_000, 10, exclude_reason="mid-month hire"),
                m(5, 330_000, retroactive=20_000),
                m(6, 310_000),
            ],
            current_health=300_000,
            current_pension=300_000,
            health=HEALTH,
            pension=PENSION,
        )
        assert d.average == 310_000  # (310,000 + 310,000) / 2
        assert d.months_excluded == ((date(2026, 4, 1), "mid-month hire"),)

    def test_no_usable_month_keeps_the_previous_grade(self) -> None:
        d = annual_decision(
            2026,
            [m(4, 50_000, 5), m(5, 50_000, 5), m(6, 50_000, 5)],
            current_health=240_000,
            current_pension=240_000,
            health=HEALTH,
            pension=PENSION,
        )
        assert d.kept_previous and d.health.amount == 240_000 and d.pension.amount == 240_000

    def test_only_april_to_june_of_the_year(self) -> None:
        with pytest.raises(ValueError, match="April–June 2026"):
            annual_decision(
                2026,
                [m(7, 1)],
                current_health=240_000,
                current_pension=240_000,
                health=HEALTH,
                pension=PENSION,
            )


class TestMonthlyChange:
    def change(self, pays: list[int], current: int, direction: str = "up", **kw: object):  # type: ignore[no-untyped-def]
        days = kw.pop("days", [31, 30, 31])
        months = [m(4 + i, pay, d) for i, (pay, d) in enumerate(zip(pays, days, strict=True))]  # type: ignore[call-overload]
        return monthly_change(
            date(2026, 4, 1),
            months,
            direction=direction,  # type: ignore[arg-type]
            current_health=kw.pop("current_health", current),  # type: ignore[arg-type]
            current_pension=kw.pop("current_pension", current),  # type: ignore[arg-type]
            health=HEALTH,
            pension=PENSION,
            **kw,  # type: ignore[arg-type]
        )

    def test_two_grades_up_changes_from_the_fourth_month(self) -> None:
        check = self.change([330_000, 330_000, 330_000], 300_000)
        assert check.decision is not None
        assert check.decision.health.amount == 340_000 and check.decision.pension.amount == 340_000
        assert check.decision.effective_month == date(2026, 7, 1)
        assert (check.health_difference, check.pension_difference) == (2, 2)

    def test_one_grade_is_not_enough(self) -> None:
        check = self.change([320_000, 320_000, 329_999], 300_000)
        assert check.decision is None
        assert check.reason == (
            "average 323,333 is +1 health grades from the current one (a change needs 2 or more up)"
        )

    def test_a_raise_with_a_lower_average_is_no_change(self) -> None:
        check = self.change([250_000, 250_000, 250_000], 300_000, "up")
        assert check.decision is None

    def test_two_grades_down_after_a_cut(self) -> None:
        check = self.change([260_000, 255_000, 250_000], 300_000, "down")
        assert check.decision is not None and check.decision.health.amount == 260_000

    def test_every_month_needs_17_days(self) -> None:
        check = self.change([400_000, 400_000, 400_000], 300_000, days=[31, 16, 31])
        assert check.decision is None and check.reason == "2026-05 has 16 payment-base days (< 17)"

    def test_at_the_pension_ceiling_only_health_moves(self) -> None:
        check = self.change([700_000] * 3, 650_000)
        assert check.decision is not None
        assert check.decision.health.amount == 710_000  # 35 → 37
        assert check.decision.pension.amount == 650_000
        assert (check.health_difference, check.pension_difference) == (2, 0)

    def test_pension_second_highest_to_top_on_one_grade(self) -> None:
        # health 34 → 36 is two grades; pension 31 → 32 by the ceiling rule (≥ 665,000).
        check = self.change([665_000] * 3, 620_000)
        assert check.decision is not None
        assert (check.decision.health.amount, check.decision.pension.amount) == (680_000, 650_000)
        assert check.pension_difference == 1

    def test_health_second_highest_to_top_needs_the_ceiling(self) -> None:
        below = self.change([1_414_999] * 3, 1_330_000, current_pension=650_000)
        at = self.change([1_415_000] * 3, 1_330_000, current_pension=650_000)
        assert below.decision is None
        assert at.decision is not None and at.decision.health.amount == 1_390_000
        assert at.reason == "edge-grade change"

    def test_health_top_down_to_49_only_if_pay_had_reached_the_ceiling(self) -> None:
        kw = {"current_pension": 650_000}
        unknown = self.change([1_300_000] * 3, 1_390_000, "down", **kw)
        was_high = self.change(
            [1_300_000] * 3, 1_390_000, "down", previous_remuneration=1_415_000, **kw
        )
        assert unknown.decision is None
        assert was_high.decision is not None and was_high.decision.health.amount == 1_330_000

    def test_bottom_grade_up_and_grade_two_down(self) -> None:
        up = self.change([63_000] * 3, 58_000, previous_remuneration=52_999, current_pension=88_000)
        down = self.change([52_999] * 3, 68_000, "down", current_pension=88_000)
        assert up.decision is not None and up.decision.health.amount == 68_000
        assert down.decision is not None and down.decision.health.amount == 58_000

    def test_wrong_months_are_refused(self) -> None:
        with pytest.raises(ValueError, match="three months from 2026-04"):
            monthly_change(
                date(2026, 4, 1),
                [m(4, 1), m(6, 1), m(7, 1)],
                direction="up",
                current_health=300_000,
                current_pension=300_000,
                health=HEALTH,
                pension=PENSION,
            )
