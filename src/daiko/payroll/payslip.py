"""Payslip PDF (給与明細書 / 賞与明細書): one A4 page per employee and run.

The PDF carries its own Japanese glyphs: a subset of Noto Sans JP (SIL OFL 1.1, from the
`pylopdf-fonts-cjk` wheel) is embedded, so it renders the same on a machine without any
CJK system font. Pure: data in, bytes out; the outputs job stores the bytes.

`render_payslips` renders many at once: it cuts the 4.5 MB font down once to the
characters of the whole batch, so each PDF parses and subsets a font of a few hundred
glyphs instead of 17,000 (the parse and subset were four fifths of a payslip's time).
A text with a character outside that cut raises inside the renderer, and that payslip
is drawn again from the full font, so a missed character can cost time, never a glyph.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

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


# Every character the template itself writes (titles, headings, totals, the footer),
# beside ASCII for figures and codes.
_TEMPLATE_TEXT = (
    "給与明細書賞与明細書年月日分支給日様勤怠控除合計総支給額控除合計差引支給額振込支給額"
    "現金支給額備考: この明細書は所得税法第231条の支払明細書です。"
)
_ASCII = "".join(chr(c) for c in range(0x20, 0x7F))


class _NotCovered(Exception):
    pass


class _Payslip(FPDF):
    """FPDF that refuses text its (cut-down) font was not made for."""

    covered: frozenset[str] | None = None

    def _check(self, text: object) -> None:
        if self.covered is not None and not set(str(text)) <= self.covered:
            raise _NotCovered(str(text))

    def cell(self, *args: Any, **kwargs: Any) -> Any:
        self._check(kwargs.get("text", args[2] if len(args) > 2 else ""))
        return super().cell(*args, **kwargs)

    def multi_cell(self, *args: Any, **kwargs: Any) -> Any:
        self._check(kwargs.get("text", args[2] if len(args) > 2 else ""))
        return super().multi_cell(*args, **kwargs)


def _characters(data: PayslipData) -> set[str]:
    texts: list[str] = [
        data.title,
        data.period_label,
        data.company_name,
        data.employee_code,
        data.employee_name,
        data.department,
        data.notes,
    ]
    for pairs in (data.attendance, data.payments, data.deductions):
        texts.extend(str(part) for pair in pairs for part in pair)
    return set("".join(texts))


def _cut_font(characters: Iterable[str], target: Path) -> None:
    from fontTools import subset  # type: ignore[import-untyped]

    options = subset.Options()
    # No layout features (the payslip draws horizontal text unshaped, and every alternate
    # form would be carried into each PDF) and no subroutines (fpdf2 executes each glyph's
    # charstring again for its bounds).
    options.layout_features = []
    options.desubroutinize = True
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(font_path()), options, lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted({ord(c) for c in characters}))
    subsetter.subset(font)
    subset.save_font(font, str(target), options)


def render_payslips(slips: Sequence[PayslipData]) -> list[bytes]:
    """Payslip PDFs for many employees (one outputs chunk), in order."""
    if not slips:
        return []
    covered = set(_TEMPLATE_TEXT) | set(_ASCII)
    for data in slips:
        covered |= _characters(data)
    with tempfile.TemporaryDirectory(prefix="daiko-payslip-") as tmp:
        cut = Path(tmp) / "NotoSansJP-payslips.otf"
        _cut_font(covered, cut)
        out = []
        for data in slips:
            try:
                out.append(_render(data, cut, frozenset(covered)))
            except _NotCovered:
                out.append(_render(data, font_path(), None))
        return out


def render_payslip(data: PayslipData) -> bytes:
    """The payslip as PDF bytes (from the full font: nothing to share a cut with)."""
    return _render(data, font_path(), None)


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


def _render(data: PayslipData, font: Path, covered: frozenset[str] | None) -> bytes:
    pdf = _Payslip(orientation="P", unit="mm", format="A4")
    pdf.covered = covered
    pdf.set_title(f"{data.title} {data.period_label} {data.employee_name}")
    pdf.set_author(data.company_name)
    pdf.set_creator("Daiko")
    pdf.set_auto_page_break(False)
    pdf.add_font(FONT, fname=str(font))
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
