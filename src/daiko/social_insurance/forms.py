"""The procedures' forms as PDF: one A4 portrait document per procedure.

Pure: `FormData` in, bytes out. The layout is a faithful list of the official form's
fields (届書の記入項目) in labelled boxes, one block per insured person, not a facsimile
of the printed form. The Japanese font is the payslip's (`daiko.payroll.payslip`,
Noto Sans JP embedded), so it renders the same anywhere. My Numbers appear only in
the data handed in, which only the filing job builds (and audits).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from fpdf import FPDF

from daiko.payroll.payslip import FONT, font_path

_COLS = 3
_LABEL_H = 5.0
_VALUE_H = 7.0


@dataclass(frozen=True)
class Block:
    heading: str  # e.g. "被保険者 1"
    cells: Sequence[tuple[str, str]]  # (label, value)


@dataclass(frozen=True)
class FormData:
    title: str  # the form's official name
    submitted_to: str  # 年金事務所 / ハローワーク
    office: Sequence[tuple[str, str]]  # 事業所 fields
    blocks: Sequence[Block] = field(default_factory=tuple)
    notes: Sequence[str] = field(default_factory=tuple)


def _block(pdf: FPDF, block: Block) -> None:
    width = pdf.epw
    cell_w = width / _COLS
    rows = max(1, -(-len(block.cells) // _COLS))
    needed = 8 + rows * (_LABEL_H + _VALUE_H) + 4
    if pdf.get_y() + needed > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.set_font(FONT, size=11)
    pdf.cell(0, 8, block.heading, new_x="LMARGIN", new_y="NEXT")
    y0 = pdf.get_y()
    pdf.set_fill_color(232, 238, 246)
    for i, (label, value) in enumerate(block.cells):
        r, c = divmod(i, _COLS)
        x = pdf.l_margin + c * cell_w
        y = y0 + r * (_LABEL_H + _VALUE_H)
        pdf.set_xy(x, y)
        pdf.set_font(FONT, size=7)
        pdf.cell(cell_w, _LABEL_H, label, border=1, fill=True)
        pdf.set_xy(x, y + _LABEL_H)
        pdf.set_font(FONT, size=10)
        pdf.cell(cell_w, _VALUE_H, value, border=1)
    pdf.set_xy(pdf.l_margin, y0 + rows * (_LABEL_H + _VALUE_H) + 4)


def render_form(data: FormData) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(data.title)
    pdf.set_creator("Daiko")
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 15, 15)
    pdf.add_font(FONT, fname=str(font_path()))
    pdf.add_page()
    pdf.set_font(FONT, size=15)
    pdf.multi_cell(0, 9, data.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    pdf.cell(0, 6, f"提出先: {data.submitted_to}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _block(pdf, Block("事業所", data.office))
    for block in data.blocks:
        _block(pdf, block)
    if data.notes:
        pdf.set_font(FONT, size=8)
        for note in data.notes:
            pdf.multi_cell(0, 5, note, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
