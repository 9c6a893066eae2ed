"""Payslip PDF (給与明細書 / 賞与明細書): one A4 page per employee and run.

The PDF carries its own Japanese glyphs: a subset of Noto Sans JP (SIL OFL 1.1, from the
`pylopdf-fonts-cjk` wheel) is embedded, so it renders the same on a machine without any
CJK system font. Pure: data in, bytes out; the outputs job stores the bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from fpdf import FPDF

FONT = "NotoSansJP"
_COLS = 4
_LABEL_H = 6.0
_VALUE_H = 7.0


@cache
def font_path() -> Path:
    import pylopdf_fonts_cjk

    path: Path = pylopdf_fonts_cjk.sans_path()
    return path


@dataclass(frozen=True)
class PayslipData:
    """What a payslip shows: §1.14 of the domain notes (勤怠, 支給, 控除, 差引支給額)."""

    company_name: str
    employee_code: str
    employee_name: str
    pay_date: date
    period: str  # "2026-10"
    kind: str = "monthly"  # monthly | bonus
    department: str = ""
    attendance: Sequence[tuple[str, str]] = field(default_factory=tuple)
    payments: Sequence[tuple[str, int]] = field(default_factory=tuple)
    deductions: Sequence[tuple[str, int]] = field(default_factory=tuple)
    gross: int = 0
    deductions_total: int = 0
    net: int = 0
    transfer: int = 0
    cash: int = 0
    notes: str = ""

    @property
    def title(self) -> str:
        return "賞与明細書" if self.kind == "bonus" else "給与明細書"

    @property
    def period_label(self) -> str:
        year, month = self.period.split("-")
        return f"{int(year)}年{int(month)}月分"


def yen(amount: int) -> str:
    return f"{amount:,}"


class _Payslip(FPDF):
    pass


def _grid(pdf: FPDF, heading: str, cells: Sequence[tuple[str, str]]) -> None:
    """A labelled block: heading on the left, label/value cells in rows of four."""
    x0, width = pdf.l_margin, pdf.epw
    head_w = 14.0
    cell_w = (width - head_w) / _COLS
    rows = max(1, -(-len(cells) // _COLS))
    y0 = pdf.get_y()
    pdf.set_fill_color(232, 238, 246)
    pdf.set_font(FONT, size=10)
    pdf.rect(x0, y0, head_w, rows * (_LABEL_H + _VALUE_H), style="DF")
    # The heading runs down the left edge, one character per line.
    chars = list(heading)
    top = y0 + (rows * (_LABEL_H + _VALUE_H) - len(chars) * 5.5) / 2
    for i, ch in enumerate(chars):
        pdf.set_xy(x0, top + i * 5.5)
        pdf.cell(head_w, 5.5, ch, align="C")
    for r in range(rows):
        for c in range(_COLS):
            i = r * _COLS + c
            label, value = cells[i] if i < len(cells) else ("", "")
            x = x0 + head_w + c * cell_w
            y = y0 + r * (_LABEL_H + _VALUE_H)
            pdf.set_xy(x, y)
            pdf.set_font(FONT, size=8)
            pdf.cell(cell_w, _LABEL_H, label, border=1, align="C", fill=True)
            pdf.set_xy(x, y + _LABEL_H)
            pdf.set_font(FONT, size=10)
            pdf.cell(cell_w, _VALUE_H, value, border=1, align="R")
    pdf.set_xy(x0, y0 + rows * (_LABEL_H + _VALUE_H) + 4)


def render_payslip(data: PayslipData) -> bytes:
    """The payslip as PDF bytes."""
    pdf = _Payslip(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"{data.title} {data.period_label} {data.employee_name}")
    pdf.set_author(data.company_name)
    pdf.set_creator("Daiko")
    pdf.set_auto_page_break(False)
    pdf.add_font(FONT, fname=str(font_path()))
    pdf.add_page()
    pdf.set_margins(15, 15, 15)
    pdf.set_xy(15, 15)

    pdf.set_font(FONT, size=20)
    pdf.cell(90, 12, data.title)
    pdf.set_font(FONT, size=12)
    pdf.cell(0, 12, data.period_label, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    pdf.cell(90, 6, data.company_name)
    pdf.cell(0, 6, f"支給日 {data.pay_date:%Y年%m月%d日}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(FONT, size=12)
    who = f"{data.employee_code}  {data.employee_name} 様"
    if data.department:
        who = f"{data.department}  {who}"
    pdf.cell(0, 8, who, border="B", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    if data.attendance:
        _grid(pdf, "勤怠", list(data.attendance))
    _grid(
        pdf,
        "支給",
        [(label, yen(v)) for label, v in data.payments] + [("総支給額", yen(data.gross))],
    )
    _grid(
        pdf,
        "控除",
        [(label, yen(v)) for label, v in data.deductions]
        + [("控除合計", yen(data.deductions_total))],
    )
    totals = [("総支給額", yen(data.gross)), ("控除合計", yen(data.deductions_total))]
    totals += [("差引支給額", yen(data.net)), ("振込支給額", yen(data.transfer))]
    if data.cash:
        totals.append(("現金支給額", yen(data.cash)))
    _grid(pdf, "合計", totals)
    if data.notes:
        pdf.set_font(FONT, size=9)
        pdf.multi_cell(0, 5, f"備考: {data.notes}")
    pdf.set_font(FONT, size=7)
    pdf.set_xy(15, 280)
    pdf.cell(0, 4, "この明細書は所得税法第231条の支払明細書です。", align="R")
    return bytes(pdf.output())
