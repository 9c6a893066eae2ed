"""The default chart of accounts (勘定科目) and seeding it for a tenant.

The chart is data (`data/chart_of_accounts.yaml`); a tenant gets a copy on first use and
edits its own. Seeding is `insert … on conflict do nothing`, so running it twice, or from
two transactions at once, leaves one chart.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import yaml
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.bookkeeping import repository as repo
from daiko.bookkeeping import tax
from daiko.bookkeeping.models import Account, BookkeepingSettings, Counterparty, Department
from daiko.errors import Conflict, InvalidInput
from daiko.ids import new_id
from daiko.tenancy.corporate_number import invoice_registration_number_error

CHART_PATH: Final = Path(__file__).parent / "data" / "chart_of_accounts.yaml"

SECTION_CATEGORY: Final[dict[str, str]] = {
    "current_assets": "asset",
    "fixed_assets": "asset",
    "intangible_assets": "asset",
    "investments": "asset",
    "current_liabilities": "liability",
    "long_term_liabilities": "liability",
    "equity": "equity",
    "sales": "revenue",
    "cost_of_sales": "expense",
    "sga": "expense",
    "non_operating_income": "revenue",
    "non_operating_expense": "expense",
    "extraordinary_income": "revenue",
    "extraordinary_loss": "expense",
    "income_taxes": "expense",
}
# Accounts whose balance is normally on the debit side.
DEBIT_NORMAL: Final = frozenset({"asset", "expense"})


@dataclass(frozen=True)
class DefaultAccount:
    code: str
    name: str
    sub_name: str | None
    section: str
    category: str
    default_tax_category: str
    tax_role: str | None


@cache
def default_chart() -> tuple[DefaultAccount, ...]:
    raw: dict[str, Any] = yaml.safe_load(CHART_PATH.read_text(encoding="utf-8"))
    out = []
    for item in raw["accounts"]:
        section = str(item["section"])
        tax_code = str(item["tax"])
        tax.category(tax_code)  # KeyError on a typo in the data file
        out.append(
            DefaultAccount(
                code=str(item["code"]),
                name=str(item["name"]),
                sub_name=str(item["sub"]) if item.get("sub") else None,
                section=section,
                category=SECTION_CATEGORY[section],
                default_tax_category=tax_code,
                tax_role=item.get("tax_role"),
            )
        )
    return tuple(out)


def display_name(name: str, sub_name: str | None) -> str:
    return f"{name}-{sub_name}" if sub_name else name


async def ensure_settings(session: AsyncSession, tenant_id: uuid.UUID) -> BookkeepingSettings:
    """The tenant's ledger settings row, created with defaults on first use."""
    await session.execute(
        insert(BookkeepingSettings)
        .values(tenant_id=tenant_id, id=new_id())
        .on_conflict_do_nothing(index_elements=["tenant_id"])
    )
    return (
        await session.execute(
            select(BookkeepingSettings).where(BookkeepingSettings.tenant_id == tenant_id)
        )
    ).scalar_one()


async def seed_default_chart(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """Copy the default chart into the tenant (codes it already has are kept as they are).
    Returns how many accounts were added."""
    rows = [
        {
            "tenant_id": tenant_id,
            "id": new_id(),
            "code": a.code,
            "name": a.name,
            "sub_name": a.sub_name,
            "category": a.category,
            "section": a.section,
            "default_tax_category": a.default_tax_category,
            "tax_role": a.tax_role,
        }
        for a in default_chart()
    ]
    result = await session.execute(
        insert(Account)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["tenant_id", "code"])
        .returning(Account.id)
    )
    return len(result.scalars().all())


async def ensure_chart(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Seed settings and the default chart when the tenant has no accounts yet."""
    await ensure_settings(session, tenant_id)
    has_any = (
        await session.execute(select(Account.id).where(Account.tenant_id == tenant_id).limit(1))
    ).first()
    if has_any is None:
        await seed_default_chart(session, tenant_id)


# --- editing the tenant's masters -------------------------------------------------------


def _tax_code(value: str, name: str) -> str:
    if value not in tax.BY_CODE:
        raise InvalidInput.field(name, f"unknown tax category {value!r}")
    return value


async def create_account(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    code: str,
    name: str,
    section: str,
    sub_name: str | None = None,
    default_tax_category: str = "out_of_scope",
) -> Account:
    await ensure_chart(session, tenant_id)
    if section not in SECTION_CATEGORY:
        raise InvalidInput.field("section", f"unknown section {section!r}")
    _tax_code(default_tax_category, "default_tax_category")
    if await repo.accounts_by_code(session, tenant_id, [code]):
        raise Conflict(f"an account with code {code} exists", extra={"code": "duplicate"})
    account = Account(
        tenant_id=tenant_id,
        code=code,
        name=name,
        sub_name=sub_name,
        section=section,
        category=SECTION_CATEGORY[section],
        default_tax_category=default_tax_category,
    )
    session.add(account)
    await session.flush()
    return account


async def update_account(
    session: AsyncSession, account: Account, changes: dict[str, Any]
) -> Account:
    """Rename, change the default tax category, or (de)activate. Code and section stay:
    posted lines refer to the account and reports group by its section."""
    if "default_tax_category" in changes:
        _tax_code(changes["default_tax_category"], "default_tax_category")
    if changes.get("active") is False and account.tax_role is not None:
        raise Conflict("the consumption-tax accounts stay active")
    for key in ("name", "sub_name", "default_tax_category", "active"):
        if key in changes:
            setattr(account, key, changes[key])
    await session.flush()
    return account


async def create_department(
    session: AsyncSession, tenant_id: uuid.UUID, *, code: str, name: str
) -> Department:
    if await repo.departments_by_code(session, tenant_id, [code]):
        raise Conflict(f"a department with code {code} exists", extra={"code": "duplicate"})
    dept = Department(tenant_id=tenant_id, code=code, name=name)
    session.add(dept)
    await session.flush()
    return dept


def normalise_registration_number(raw: str) -> str:
    """A 登録番号 as stored: "T" + 13 ASCII digits, full-width and spaces/hyphens tidied,
    checked with the 法人番号 check digit (a typo filter; the NTA site is authoritative)."""
    text = raw.strip().translate(_FULLWIDTH).replace("-", "").replace(" ", "").upper()
    error = invoice_registration_number_error(text)
    if error is not None:
        raise InvalidInput.field("registration_number", error)
    return text


_FULLWIDTH = str.maketrans("０１２３４５６７８９Ｔｔ－　", "0123456789Tt- ")


async def create_counterparty(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    name: str,
    code: str | None = None,
    registration_number: str | None = None,
) -> Counterparty:
    number = normalise_registration_number(registration_number) if registration_number else None
    if await repo.counterparty_by_name(session, tenant_id, name) is not None:
        raise Conflict(f"a counterparty named {name} exists", extra={"code": "duplicate"})
    party = Counterparty(tenant_id=tenant_id, name=name, code=code, registration_number=number)
    session.add(party)
    await session.flush()
    return party


async def update_settings(
    session: AsyncSession, tenant_id: uuid.UUID, changes: dict[str, Any]
) -> BookkeepingSettings:
    settings = await ensure_settings(session, tenant_id)
    for key in ("tax_accounting", "amount_basis", "tax_rounding", "fiscal_year_start_month"):
        if key in changes:
            setattr(settings, key, changes[key])
    await session.flush()
    return settings
