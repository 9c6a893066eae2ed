"""`daiko payroll calc`: the JSON contract, exit codes and one-line messages."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner

from daiko.cli import cli

VALID: dict[str, Any] = {
    "pay_date": "2026-05-25",
    "prefecture": "東京都",
    "birth_date": "1980-01-15",
    "standard_monthly_remuneration": 300_000,
    "employment_insurance_industry": "general",
    "taxable_pay": 300_000,
    "withholding_column": "otsu",
    "dependents": 0,
}

EXPECTED = {
    "health_insurance": 17_205,
    "child_support_levy": 345,
    "pension": 27_450,
    "employment_insurance": 1_500,
    "income_tax": 36_600,
    "resident_tax": 0,
    "total_deductions": 83_100,
    "net_pay": 216_900,
    "employer": {
        "health_insurance": 17_205,
        "child_support_levy": 345,
        "pension": 27_450,
        "employment_insurance": 2_550,
        "child_contribution": 1_080,
    },
}


def run(payload: Any) -> Any:
    raw = payload if isinstance(payload, bytes | str) else json.dumps(payload, ensure_ascii=False)
    return CliRunner().invoke(cli, ["payroll", "calc"], input=raw)


def test_spec_row_round_trip() -> None:
    result = run(VALID)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == EXPECTED
    assert result.stderr == ""


def test_optional_fields_and_defaults() -> None:
    payload = VALID | {
        "insurance_month": "2026-04",
        "wage_closing_date": "2026-05-15",
        "non_taxable_pay": 10_000,
        "withholding_column": "kou",
        "dependents": 1,
        "withholding_method": "formula",
        "resident_tax": 15_000,
        "taxable_pay": 290_000,
        "prefecture": "13",
    }
    out = json.loads(run(payload).stdout)
    assert out["employment_insurance"] == 1_500  # on 290,000 + 10,000
    assert out["resident_tax"] == 15_000
    # 電算機特例, A = 290,000 − 46,500 = 243,500: B = A − (A × 30 % + 6,667) − 31,667
    # − 48,334 = 83,782; × 5.105 % = 4,277.07 → 4,280
    assert out["income_tax"] == 4_280
    assert out["net_pay"] == 300_000 - out["total_deductions"]
    assert out["total_deductions"] == 46_500 + 4_280 + 15_000


def test_insurance_month_selects_rates() -> None:
    out = json.loads(run(VALID | {"insurance_month": "2026-03"}).stdout)
    assert out["child_support_levy"] == 0
    assert out["employer"]["child_support_levy"] == 0


def test_cp932_input() -> None:
    result = run(json.dumps(VALID, ensure_ascii=False).encode("cp932"))
    assert result.exit_code == 0
    assert json.loads(result.stdout) == EXPECTED


def test_notes_go_to_stderr() -> None:
    result = run(VALID | {"insurance_month": "2027-04", "pay_date": "2026-12-25"})
    assert result.exit_code == 0
    assert "note: " in result.stderr
    assert json.loads(result.stdout)["pension"] == 27_450


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pay_date": None}, "pay_date"),
        ({"taxable_pay": None}, "taxable_pay"),
        ({"dependents": None}, "dependents"),
        ({"taxable_pay": "300000"}, "taxable_pay"),
        ({"taxable_pay": 300000.0}, "taxable_pay"),
        ({"taxable_pay": True}, "taxable_pay"),
        ({"taxable_pay": -1}, "taxable_pay"),
        ({"non_taxable_pay": -5}, "non_taxable_pay"),
        ({"resident_tax": "0"}, "resident_tax"),
        ({"dependents": -1}, "dependents"),
        ({"prefecture": "Atlantis"}, "prefecture"),
        ({"prefecture": "48"}, "prefecture"),
        ({"prefecture": 13}, "prefecture"),
        ({"pay_date": "2026-02-30"}, "pay_date"),
        ({"pay_date": "20260525"}, "pay_date"),
        ({"birth_date": "1980/01/15"}, "birth_date"),
        ({"insurance_month": "2026-13"}, "insurance_month"),
        ({"insurance_month": "2026-04-01"}, "insurance_month"),
        ({"wage_closing_date": "soon"}, "wage_closing_date"),
        ({"standard_monthly_remuneration": 300_001}, "standard_monthly_remuneration"),
        ({"employment_insurance_industry": "fishing"}, "employment_insurance_industry"),
        ({"withholding_column": "hei"}, "withholding_column"),
        ({"withholding_method": "guess"}, "withholding_method"),
        ({"bonus": 1}, "bonus"),
        ({"insurance_month": "2024-04"}, "insurance_month"),
        ({"pay_date": "2030-05-25"}, "pay_date"),
    ],
)
def test_invalid_input_exits_2_naming_the_field(change: dict[str, Any], field: str) -> None:
    payload = {k: v for k, v in (VALID | change).items() if v is not None}
    result = run(payload)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {field}: ")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "error: input: not valid JSON"),
        ("[1, 2]", "error: input: must be a JSON object"),
        ("", "error: input: not valid JSON"),
    ],
)
def test_not_an_object(raw: str, message: str) -> None:
    result = run(raw)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_subprocess_round_trip() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "daiko.cli", "payroll", "calc"],
        input=json.dumps(VALID, ensure_ascii=False).encode(),
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == EXPECTED
    bad = subprocess.run(
        [sys.executable, "-m", "daiko.cli", "payroll", "calc"],
        input=json.dumps(VALID | {"prefecture": "Atlantis"}).encode(),
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert bad.returncode == 2
    assert bad.stderr.decode().strip() == "error: prefecture: unknown prefecture 'Atlantis'"
