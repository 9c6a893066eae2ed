"""Retention classes and the earliest date a document may be deleted.

- `bookkeeping_evidence` (帳簿書類, 法人税法 §126 / 電子帳簿保存法): 7 years.
- `payroll_record` (賃金台帳 etc., 労働基準法 §109): 5 years.
- `general`: no statutory period; deletable at any time.

The period runs from the base date: the document's transaction date when given, else
the day it was uploaded (Japan time). Simplification, on purpose visible: the statutory
period starts the day after the tax-return deadline of the fiscal year holding the
transaction, up to about 14 months later; until tenants carry their fiscal year, a legal
hold covers documents that must outlive this date.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class RetentionClass(StrEnum):
    BOOKKEEPING_EVIDENCE = "bookkeeping_evidence"
    PAYROLL_RECORD = "payroll_record"
    GENERAL = "general"


RETENTION_YEARS: dict[RetentionClass, int] = {
    RetentionClass.BOOKKEEPING_EVIDENCE: 7,
    RetentionClass.PAYROLL_RECORD: 5,
}


def add_years(base: date, years: int) -> date:
    """`base` plus whole years; 29 February lands on 28 February in a common year."""
    try:
        return base.replace(year=base.year + years)
    except ValueError:
        return base.replace(year=base.year + years, day=28)


def earliest_deletion_date(retention_class: RetentionClass | str, base: date) -> date | None:
    """The first day the document may be deleted, or None when any day will do."""
    years = RETENTION_YEARS.get(RetentionClass(retention_class))
    return add_years(base, years) if years is not None else None
