"""Server-rendered pictures of attainment, pure: an SVG bar chart (portal) and the
colour classes of the heat map (console). No JavaScript; every figure is also text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 640, 240
TOP, BOTTOM, LEFT, RIGHT = 16, 40, 44, 12
GOOD, FAIR = Decimal(95), Decimal(80)


def level(percent: Decimal | None) -> str:
    """The heat-map class of an attainment percentage (good ≥ 95, fair ≥ 80)."""
    if percent is None:
        return "none"
    if percent >= GOOD:
        return "good"
    if percent >= FAIR:
        return "fair"
    return "poor"


COLOURS = {"good": "#b7e1c1", "fair": "#ffe08a", "poor": "#f4b4ae", "none": "#eceff3"}


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    month: str
    value: str  # the figure as text, drawn above the bar
    colour: str
    label_x: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    gridlines: list[tuple[int, str]]  # (y, label)
    baseline: int


def bar_chart(points: Sequence[tuple[str, Decimal | None]]) -> Chart:
    """Bars of attainment % per month (0–100 scale); a month without settled clocks
    gets no bar, only its label and "—"."""
    plot_h = HEIGHT - TOP - BOTTOM
    plot_w = WIDTH - LEFT - RIGHT
    slot = plot_w // max(len(points), 1)
    width = max(slot * 6 // 10, 4)
    bars: list[Bar] = []
    for i, (month, pct) in enumerate(points):
        x = LEFT + i * slot + (slot - width) // 2
        h = 0 if pct is None else int(plot_h * pct / 100)
        bars.append(
            Bar(
                x=x,
                y=TOP + plot_h - h,
                width=width,
                height=h,
                month=month,
                value="—" if pct is None else f"{pct}%",
                colour=COLOURS[level(pct)],
                label_x=x + width // 2,
            )
        )
    grid = [(TOP + plot_h - plot_h * p // 100, f"{p}%") for p in (0, 50, 80, 95, 100)]
    return Chart(WIDTH, HEIGHT, bars, grid, TOP + plot_h)
