"""`daiko payroll …`: payroll chores from the command line.

    daiko payroll calc < employee-month.json

`calc` reads one employee-month as a JSON object on stdin (UTF-8 or cp932) and prints
its deductions as JSON (integer yen). Input fields — required unless a default is shown:

    pay_date                        "YYYY-MM-DD"
    insurance_month                 "YYYY-MM" (default: the month before pay_date, 翌月徴収)
    wage_closing_date               "YYYY-MM-DD" (default: pay_date)
    prefecture                      JIS code "13" or name "東京都" / "東京" (協会けんぽ branch)
    birth_date                      "YYYY-MM-DD"
    standard_monthly_remuneration   health 標準報酬月額 (a grade amount)
    employment_insurance_industry   "general" | "agriculture" | "construction"
    taxable_pay                     integer yen
    non_taxable_pay                 integer yen (default 0)
    withholding_column              "kou" | "otsu"
    dependents                      integer
    withholding_method              "table" | "formula" (default "table")
    resident_tax                    integer yen (default 0)

Invalid input exits with code 2 and one line on stderr naming the field. Notes about
unverified rate data are printed to stderr as `note: …` lines (exit code 0).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

import click

from daiko.errors import InvalidInput

if TYPE_CHECKING:
    from daiko.payroll.calc import MonthInput, MonthResult

__all__ = ["group", "parse_month_input", "result_to_json"]


@click.group()
def group() -> None:
    """Payroll (給与計算): calculation."""


group.name = "payroll"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_REQUIRED = (
    "pay_date",
    "prefecture",
    "birth_date",
    "standard_monthly_remuneration",
    "employment_insurance_industry",
    "taxable_pay",
    "withholding_column",
    "dependents",
)
_OPTIONAL = (
    "insurance_month",
    "wage_closing_date",
    "non_taxable_pay",
    "withholding_method",
    "resident_tax",
)
_CHOICES: Mapping[str, tuple[str, ...]] = {
    "employment_insurance_industry": ("general", "agriculture", "construction"),
    "withholding_column": ("kou", "otsu"),
    "withholding_method": ("table", "formula"),
}


def _date(data: Mapping[str, Any], name: str) -> dt.date:
    value = data[name]
    if not isinstance(value, str) or not _DATE.match(value):
        raise InvalidInput.field(name, "must be a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput.field(name, f"{value!r} is not a valid date") from None


def _month(data: Mapping[str, Any], name: str) -> dt.date:
    value = data[name]
    if not isinstance(value, str) or not _MONTH.match(value):
        raise InvalidInput.field(name, "must be a month YYYY-MM")
    try:
        return dt.date.fromisoformat(f"{value}-01")
    except ValueError:
        raise InvalidInput.field(name, f"{value!r} is not a valid month") from None


def _int(data: Mapping[str, Any], name: str) -> int:
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput.field(name, "must be an integer")
    if value < 0:
        raise InvalidInput.field(name, "must be 0 or more")
    return value


def _choice(data: Mapping[str, Any], name: str) -> str:
    value = data[name]
    choices = _CHOICES[name]
    if value not in choices:
        raise InvalidInput.field(name, "must be one of " + ", ".join(choices))
    return str(value)


def parse_month_input(data: Any) -> MonthInput:
    """A `MonthInput` from the decoded JSON object of `daiko payroll calc`; raises
    `InvalidInput` naming the first bad field."""
    from daiko.payroll.calc import MonthInput
    from daiko.payroll.rates import is_health_standard_amount, resolve_prefecture

    if not isinstance(data, dict):
        raise InvalidInput.field("input", "must be a JSON object")
    for key in data:
        if key not in _REQUIRED and key not in _OPTIONAL:
            raise InvalidInput.field(key, "unknown field")
    for key in _REQUIRED:
        if key not in data:
            raise InvalidInput.field(key, "is required")
    prefecture = data["prefecture"]
    if not isinstance(prefecture, str):
        raise InvalidInput.field("prefecture", 'must be a string (JIS code "13" or name "東京都")')
    try:
        resolve_prefecture(prefecture)
    except LookupError:
        raise InvalidInput.field("prefecture", f"unknown prefecture {prefecture!r}") from None
    standard = _int(data, "standard_monthly_remuneration")
    if not is_health_standard_amount(standard):
        raise InvalidInput.field(
            "standard_monthly_remuneration", f"{standard} is not a health grade amount"
        )
    return MonthInput(
        pay_date=_date(data, "pay_date"),
        insurance_month=_month(data, "insurance_month") if "insurance_month" in data else None,
        wage_closing_date=(
            _date(data, "wage_closing_date") if "wage_closing_date" in data else None
        ),
        prefecture=prefecture,
        birth_date=_date(data, "birth_date"),
        standard_monthly_remuneration=standard,
        employment_insurance_industry=_choice(data, "employment_insurance_industry"),  # type: ignore[arg-type]
        taxable_pay=_int(data, "taxable_pay"),
        non_taxable_pay=_int(data, "non_taxable_pay") if "non_taxable_pay" in data else 0,
        withholding_column=_choice(data, "withholding_column"),  # type: ignore[arg-type]
        dependents=_int(data, "dependents"),
        withholding_method=(
            _choice(data, "withholding_method")  # type: ignore[arg-type]
            if "withholding_method" in data
            else "table"
        ),
        resident_tax=_int(data, "resident_tax") if "resident_tax" in data else 0,
    )


def result_to_json(result: MonthResult) -> dict[str, Any]:
    """The output object of `daiko payroll calc` for a `MonthResult`."""
    employer = result.employer
    return {
        "health_insurance": result.health_insurance,
        "child_support_levy": result.child_support_levy,
        "pension": result.pension,
        "employment_insurance": result.employment_insurance,
        "income_tax": result.income_tax,
        "resident_tax": result.resident_tax,
        "total_deductions": result.total_deductions,
        "net_pay": result.net_pay,
        "employer": {
            "health_insurance": employer.health_insurance,
            "child_support_levy": employer.child_support_levy,
            "pension": employer.pension,
            "employment_insurance": employer.employment_insurance,
            "child_contribution": employer.child_contribution,
        },
    }


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp932")


@group.command("calc")
def calc_command() -> None:
    """Deductions and net pay of one employee-month: JSON on stdin, JSON on stdout."""
    from daiko.payroll.calc import calculate_month

    raw = sys.stdin.buffer.read()
    try:
        data = json.loads(_decode(raw))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(f"input: not valid JSON ({exc})")
    try:
        result = calculate_month(parse_month_input(data))
    except InvalidInput as exc:
        first = exc.errors[0] if exc.errors else None
        if first is not None:
            _fail(f"{first['field']}: {first['reason']}")
        _fail(str(exc))
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(json.dumps(result_to_json(result), ensure_ascii=False, indent=2))
