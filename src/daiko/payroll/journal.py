"""A run's journal (給与仕訳, domain notes §3.1): one compound entry, debits = credits.

```
(借) 給料手当 / 賞与          総支給額
  (貸) 預り金-源泉所得税       所得税
  (貸) 預り金-住民税           住民税
  (貸) 預り金-社会保険料       健保・介護・支援金・厚年 (employee share)
  (貸) 預り金-雇用保険料       雇用保険 (employee share)
  (貸) 預り金                 その他控除
  (貸) 未払金                 差引支給額 (net pay payable)
(借) 法定福利費               employer share of social and employment insurance
  (貸) 未払費用
```

`journal_lines` is pure; `post_to_bookkeeping` writes the entry into the tenant's books
when the bookkeeping domain is installed (account codes of its default chart).
Simplification: 通勤手当 stays in 給料手当 (some clients book it to 旅費交通費).
"""

from __future__ import annotations

import importlib
import importlib.util
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class Account:
    code: str
    name: str
    sub: str | None = None


SALARIES = Account("6120", "給料手当")
BONUSES = Account("6130", "賞与")
WELFARE = Account("6140", "法定福利費")
WITHHELD = Account("2180", "預り金")
WITHHELD_INCOME_TAX = Account("2181", "預り金", "源泉所得税")
WITHHELD_RESIDENT_TAX = Account("2182", "預り金", "住民税")
WITHHELD_SOCIAL = Account("2183", "預り金", "社会保険料")
WITHHELD_EMPLOYMENT = Account("2184", "預り金", "雇用保険料")
ACCRUED_EXPENSES = Account("2150", "未払費用")
NET_PAY_PAYABLE = Account("2140", "未払金")


@dataclass(frozen=True)
class JournalLine:
    account: Account
    debit: int
    credit: int
    description: str
    tax_category: str = "non_taxable"  # 不課税


def journal_lines(kind: str, totals: Mapping[str, int], label: str) -> list[JournalLine]:
    """The lines of a run's entry from its totals; zero lines are left out."""
    expense = BONUSES if kind == "bonus" else SALARIES
    social = (
        totals.get("health_insurance", 0)
        + totals.get("child_support_levy", 0)
        + totals.get("pension", 0)
    )
    lines = [
        JournalLine(expense, totals.get("gross_pay", 0), 0, f"{label} 総支給額"),
        JournalLine(
            WITHHELD_INCOME_TAX,
            0,
            totals.get("income_tax", 0),
            f"{label} 源泉所得税",
            "out_of_scope",
        ),
        JournalLine(
            WITHHELD_RESIDENT_TAX,
            0,
            totals.get("resident_tax", 0),
            f"{label} 住民税",
            "out_of_scope",
        ),
        JournalLine(WITHHELD_SOCIAL, 0, social, f"{label} 社会保険料", "out_of_scope"),
        JournalLine(
            WITHHELD_EMPLOYMENT,
            0,
            totals.get("employment_insurance", 0),
            f"{label} 雇用保険料",
            "out_of_scope",
        ),
        JournalLine(
            WITHHELD, 0, totals.get("other_deductions", 0), f"{label} その他控除", "out_of_scope"
        ),
        JournalLine(
            NET_PAY_PAYABLE, 0, totals.get("net_pay", 0), f"{label} 差引支給額", "out_of_scope"
        ),
        JournalLine(WELFARE, totals.get("employer_total", 0), 0, f"{label} 法定福利費 事業主負担"),
        JournalLine(
            ACCRUED_EXPENSES,
            0,
            totals.get("employer_total", 0),
            f"{label} 法定福利費 事業主負担",
            "out_of_scope",
        ),
    ]
    out = [line for line in lines if line.debit or line.credit]
    debit = sum(line.debit for line in out)
    credit = sum(line.credit for line in out)
    if debit != credit:
        raise ValueError(f"payroll journal does not balance: debit {debit} ≠ credit {credit}")
    return out


def bookkeeping_available() -> bool:
    return (
        importlib.util.find_spec("daiko.bookkeeping") is not None
        and importlib.util.find_spec("daiko.bookkeeping.journal") is not None
    )


async def post_to_bookkeeping(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    run_id: uuid.UUID,
    entry_date: date,
    description: str,
    lines: Sequence[JournalLine],
    created_by: uuid.UUID | None,
) -> uuid.UUID | None:
    """Record the run's entry in the tenant's books; None when bookkeeping is absent."""
    if not bookkeeping_available() or not lines:
        return None
    journal = importlib.import_module("daiko.bookkeeping.journal")
    drafts = [
        journal.JournalLineDraft(
            account_code=line.account.code,
            debit=line.debit,
            credit=line.credit,
            tax_category=line.tax_category,
            description=line.description,
        )
        for line in lines
    ]
    entry_id: uuid.UUID = await journal.record_entry(
        session,
        tenant_id=tenant_id,
        entry_date=entry_date,
        description=description,
        lines=drafts,
        source_kind="payroll_run",
        source_id=run_id,
        created_by=created_by,
        post=True,
    )
    return entry_id
