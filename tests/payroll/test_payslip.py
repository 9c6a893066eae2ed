"""Payslip PDF: Japanese renders from the embedded font, with no system font needed.

Page 1 is rendered to PNG with pdfium (saved under tests/artifacts/ for a person to look
at); the title's area must hold dark pixels, and the PDF's own text layer must give back
the Japanese strings (the font subset carries its ToUnicode map)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from daiko.payroll import payslip
from daiko.payroll.payslip import PayslipData, render_payslip

ARTIFACTS = Path(__file__).parent.parent / "artifacts"

SLIP = PayslipData(
    company_name="株式会社ミライソフト",
    employee_code="0001",
    employee_name="山田 太郎",
    department="開発部",
    pay_date=dt.date(2026, 10, 23),
    period="2026-10",
    attendance=[("出勤日数", "20日"), ("欠勤日数", "0日"), ("時間外", "12.5h")],
    payments=[("基本給", 300_000), ("通勤手当", 15_000), ("時間外手当", 28_000)],
    deductions=[("健康保険料", 14_775), ("厚生年金保険料", 27_450), ("所得税", 7_560)],
    gross=343_000,
    deductions_total=49_785,
    net=293_215,
    transfer=293_215,
)


def test_payslip_draws_japanese_without_system_fonts() -> None:
    pdf = render_payslip(SLIP)
    assert pdf.startswith(b"%PDF-")
    doc = pdfium.PdfDocument(pdf)
    assert len(doc) == 1
    page = doc[0]
    text = page.get_textpage().get_text_range()
    for expected in (
        "給与明細書",
        "2026年10月分",
        "株式会社ミライソフト",
        "山田 太郎 様",
        "差引支給額",
    ):
        assert expected in text
    assert "293,215" in text
    scale = 2
    image = page.render(scale=scale).to_pil().convert("L")
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / "payslip-page1.png")
    # The title 「給与明細書」 sits at x 15–75 mm, y 15–27 mm: in points × scale.
    mm = 72 / 25.4 * scale
    box = (int(15 * mm), int(15 * mm), int(75 * mm), int(27 * mm))
    title = image.crop(box)
    dark = sum(1 for p in title.getdata() if p < 100)
    assert dark > 500, f"only {dark} dark pixels where the title should be"
    # Outside anything drawn (bottom-left margin) the page is blank.
    blank = image.crop((int(15 * mm), int(250 * mm), int(100 * mm), int(270 * mm)))
    assert all(p > 250 for p in blank.getdata())


def test_the_font_is_embedded_not_referenced() -> None:
    pdf = render_payslip(SLIP)
    assert b"/FontFile" in pdf  # FontFile2/FontFile3: the glyphs travel with the PDF
    assert b"NotoSansJP" in pdf


def test_bonus_payslip_title() -> None:
    pdf = render_payslip(PayslipData(**{**SLIP.__dict__, "kind": "bonus", "attendance": ()}))
    text = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert "賞与明細書" in text


def _text(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    try:
        return str(doc[0].get_textpage().get_text_range())
    finally:
        doc.close()


def _recording(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Which font each payslip was drawn from: True for the batch's cut, False for full."""
    used: list[bool] = []
    real = payslip._render

    def render(data: PayslipData, font: Path, covered: frozenset[str] | None) -> bytes:
        used.append(covered is not None)
        return real(data, font, covered)

    monkeypatch.setattr(payslip, "_render", render)
    return used


def test_a_batch_draws_every_slip_from_one_cut_font(monkeypatch: pytest.MonkeyPatch) -> None:
    names = ["山田 太郎", "髙橋 﨑子", "渡邊 邉"]  # 髙, 﨑 and 邉 are outside JIS level 1/2
    slips = [
        dataclasses.replace(SLIP, employee_code=f"{i:04d}", employee_name=name)
        for i, name in enumerate(names)
    ]
    used = _recording(monkeypatch)
    pdfs = payslip.render_payslips(slips)
    assert used == [True, True, True]
    for slip, pdf in zip(slips, pdfs, strict=True):
        assert _text(pdf) == _text(payslip.render_payslip(slip))
        # The code and the name are two spaces apart; pdfium reads them back as one.
        assert f"{slip.employee_code} {slip.employee_name} 様" in _text(pdf)


def test_text_the_cut_lacks_is_drawn_from_the_full_font(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if the template grew a heading nobody added to _TEMPLATE_TEXT.
    monkeypatch.setattr(payslip, "_TEMPLATE_TEXT", "")
    used = _recording(monkeypatch)
    [pdf] = payslip.render_payslips([SLIP])
    assert used == [True, False]  # refused by the cut, then drawn from the full font
    assert "この明細書は所得税法第231条の支払明細書です。" in _text(pdf)
