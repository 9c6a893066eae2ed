"""API shapes of the bookkeeping ledger (msgspec structs). Money is integer yen."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from daiko.bookkeeping import reports
from daiko.bookkeeping.models import (
    Account,
    AccountingPeriod,
    BookkeepingSettings,
    Counterparty,
    Department,
    FiscalYear,
    JournalEntry,
    JournalLine,
)
from daiko.documents.models import Document

Code = Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z_-]{1,16}$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
LongName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Text = Annotated[str, msgspec.Meta(max_length=2000)]
Yen = Annotated[int, msgspec.Meta(ge=0, le=10**15)]
Section = Literal[
    "current_assets",
    "fixed_assets",
    "intangible_assets",
    "investments",
    "current_liabilities",
    "long_term_liabilities",
    "equity",
    "sales",
    "cost_of_sales",
    "sga",
    "non_operating_income",
    "non_operating_expense",
    "extraordinary_income",
    "extraordinary_loss",
    "income_taxes",
]
TaxCategoryCode = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{1,32}$")]


class SettingsOut(msgspec.Struct, kw_only=True):
    tenant_id: uuid.UUID
    tax_accounting: str
    amount_basis: str
    tax_rounding: str
    fiscal_year_start_month: int

    @classmethod
    def of(cls, s: BookkeepingSettings) -> SettingsOut:
        return cls(
            tenant_id=s.tenant_id,
            tax_accounting=s.tax_accounting,
            amount_basis=s.amount_basis,
            tax_rounding=s.tax_rounding,
            fiscal_year_start_month=s.fiscal_year_start_month,
        )


class SettingsUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    tax_accounting: Literal["exclusive", "inclusive"] | msgspec.UnsetType = msgspec.UNSET
    amount_basis: Literal["inclusive", "exclusive"] | msgspec.UnsetType = msgspec.UNSET
    tax_rounding: Literal["floor", "round", "ceil"] | msgspec.UnsetType = msgspec.UNSET
    fiscal_year_start_month: Annotated[int, msgspec.Meta(ge=1, le=12)] | msgspec.UnsetType = (
        msgspec.UNSET
    )


class AccountOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    code: str
    name: str
    sub_name: str | None
    category: str
    section: str
    default_tax_category: str
    tax_role: str | None
    active: bool

    @classmethod
    def of(cls, a: Account) -> AccountOut:
        return cls(
            id=a.id,
            code=a.code,
            name=a.name,
            sub_name=a.sub_name,
            category=a.category,
            section=a.section,
            default_tax_category=a.default_tax_category,
            tax_role=a.tax_role,
            active=a.active,
        )


class AccountCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Code
    name: Name
    section: Section
    sub_name: Name | None = None
    default_tax_category: TaxCategoryCode = "out_of_scope"


class AccountUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    sub_name: Name | msgspec.UnsetType | None = msgspec.UNSET
    default_tax_category: TaxCategoryCode | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class DepartmentOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    code: str
    name: str
    active: bool

    @classmethod
    def of(cls, d: Department) -> DepartmentOut:
        return cls(id=d.id, code=d.code, name=d.name, active=d.active)


class DepartmentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Code
    name: Name


class CounterpartyOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    code: str | None
    name: str
    registration_number: str | None
    active: bool

    @classmethod
    def of(cls, c: Counterparty) -> CounterpartyOut:
        return cls(
            id=c.id,
            code=c.code,
            name=c.name,
            registration_number=c.registration_number,
            active=c.active,
        )


class CounterpartyCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: LongName
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] | None = None
    registration_number: Annotated[str, msgspec.Meta(max_length=20)] | None = None


class PeriodOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    start_date: date
    end_date: date
    status: str
    closed_at: datetime | None

    @classmethod
    def of(cls, p: AccountingPeriod) -> PeriodOut:
        return cls(
            id=p.id,
            start_date=p.start_date,
            end_date=p.end_date,
            status=p.status,
            closed_at=p.closed_at,
        )


class FiscalYearOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    start_date: date
    end_date: date
    periods: list[PeriodOut]

    @classmethod
    def of(cls, y: FiscalYear, periods: list[AccountingPeriod]) -> FiscalYearOut:
        return cls(
            id=y.id,
            start_date=y.start_date,
            end_date=y.end_date,
            periods=[PeriodOut.of(p) for p in periods if p.fiscal_year_id == y.id],
        )


class FiscalYearCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    start_date: date


class LineIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    account_code: Code
    debit: Yen = 0
    credit: Yen = 0
    tax_category: TaxCategoryCode | None = None  # the account's default when omitted
    tax_amount: Yen | None = None
    description: Text = ""
    department_code: Code | None = None
    counterparty_id: uuid.UUID | None = None


class EntryCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    entry_date: date
    lines: Annotated[list[LineIn], msgspec.Meta(min_length=2, max_length=500)]
    description: Text = ""
    post: bool = False
    is_closing: bool = False  # 決算整理仕訳
    version: int | None = None  # on replace: the version you read


class ReverseIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    entry_date: date | None = None
    description: Text | None = None


class PostIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: int | None = None


class DocumentLink(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    document_id: uuid.UUID


class LineOut(msgspec.Struct, kw_only=True):
    line_no: int
    account_id: uuid.UUID
    account_code: str
    account_name: str
    debit: int
    credit: int
    tax_category: str
    tax_rate: int
    tax_amount: int
    tax_included: bool
    tax_parent_line_no: int | None
    description: str
    department_id: uuid.UUID | None
    counterparty_id: uuid.UUID | None

    @classmethod
    def of(cls, x: JournalLine, accounts: dict[uuid.UUID, Account]) -> LineOut:
        a = accounts[x.account_id]
        return cls(
            line_no=x.line_no,
            account_id=x.account_id,
            account_code=a.code,
            account_name=f"{a.name}-{a.sub_name}" if a.sub_name else a.name,
            debit=x.debit,
            credit=x.credit,
            tax_category=x.tax_category,
            tax_rate=x.tax_rate,
            tax_amount=x.tax_amount,
            tax_included=x.tax_included,
            tax_parent_line_no=x.tax_parent_line_no,
            description=x.description,
            department_id=x.department_id,
            counterparty_id=x.counterparty_id,
        )


class EvidenceOut(msgspec.Struct, kw_only=True):
    """A linked document with its 電帳法 search fields."""

    document_id: uuid.UUID
    title: str
    transaction_date: date | None
    amount: int | None
    counterparty: str | None

    @classmethod
    def of(cls, d: Document) -> EvidenceOut:
        return cls(
            document_id=d.id,
            title=d.title,
            transaction_date=d.transaction_date,
            amount=d.amount,
            counterparty=d.counterparty,
        )


class EntryOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    tenant_id: uuid.UUID
    number: int
    entry_date: date
    description: str
    status: str
    is_closing: bool
    source_kind: str
    source_id: uuid.UUID | None
    reverses_id: uuid.UUID | None
    total: int
    posted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    lines: list[LineOut] | None = None
    documents: list[EvidenceOut] | None = None

    @classmethod
    def of(
        cls,
        e: JournalEntry,
        lines: list[JournalLine],
        accounts: dict[uuid.UUID, Account] | None = None,
        documents: list[Document] | None = None,
    ) -> EntryOut:
        mine = [x for x in lines if x.entry_id == e.id]
        return cls(
            id=e.id,
            tenant_id=e.tenant_id,
            number=e.number,
            entry_date=e.entry_date,
            description=e.description,
            status=e.status,
            is_closing=e.is_closing,
            source_kind=e.source_kind,
            source_id=e.source_id,
            reverses_id=e.reverses_id,
            total=sum(x.debit for x in mine),
            posted_at=e.posted_at,
            created_at=e.created_at,
            updated_at=e.updated_at,
            version=e.version,
            lines=[LineOut.of(x, accounts) for x in mine] if accounts is not None else None,
            documents=[EvidenceOut.of(d) for d in documents] if documents is not None else None,
        )


class EntryPage(msgspec.Struct, kw_only=True):
    items: list[EntryOut]
    next_cursor: str | None


# --- reports --------------------------------------------------------------------------


class TrialBalanceRowOut(msgspec.Struct, kw_only=True):
    code: str
    name: str
    category: str
    opening: int
    debit: int
    credit: int
    closing: int


class TrialBalanceOut(msgspec.Struct, kw_only=True):
    month: str
    start: date
    end: date
    fiscal_start: date
    rows: list[TrialBalanceRowOut]
    total_debit: int
    total_credit: int

    @classmethod
    def of(cls, tb: reports.TrialBalance) -> TrialBalanceOut:
        return cls(
            month=tb.month,
            start=tb.start,
            end=tb.end,
            fiscal_start=tb.fiscal_start,
            rows=[
                TrialBalanceRowOut(
                    code=r.code,
                    name=r.name,
                    category=r.category,
                    opening=r.opening,
                    debit=r.debit,
                    credit=r.credit,
                    closing=r.closing,
                )
                for r in tb.rows
            ],
            total_debit=tb.total_debit,
            total_credit=tb.total_credit,
        )


class LedgerRowOut(msgspec.Struct, kw_only=True):
    entry_id: uuid.UUID
    number: int
    entry_date: date
    description: str
    counter_account: str
    debit: int
    credit: int
    balance: int


class GeneralLedgerOut(msgspec.Struct, kw_only=True):
    code: str
    name: str
    start: date
    end: date
    opening: int
    rows: list[LedgerRowOut]
    closing: int

    @classmethod
    def of(cls, gl: reports.GeneralLedger) -> GeneralLedgerOut:
        return cls(
            code=gl.code,
            name=gl.name,
            start=gl.start,
            end=gl.end,
            opening=gl.opening,
            rows=[LedgerRowOut(**r.__dict__) for r in gl.rows],
            closing=gl.closing,
        )


class StatementLineOut(msgspec.Struct, kw_only=True):
    code: str
    name: str
    amount: int


class StatementSectionOut(msgspec.Struct, kw_only=True):
    section: str
    lines: list[StatementLineOut]
    total: int

    @classmethod
    def of(cls, s: reports.StatementSection) -> StatementSectionOut:
        return cls(
            section=s.section,
            lines=[StatementLineOut(code=x.code, name=x.name, amount=x.amount) for x in s.lines],
            total=s.total,
        )


class ProfitAndLossOut(msgspec.Struct, kw_only=True):
    start: date
    end: date
    sections: list[StatementSectionOut]
    gross_profit: int
    operating_income: int
    ordinary_income: int
    income_before_taxes: int
    net_income: int

    @classmethod
    def of(cls, pl: reports.ProfitAndLoss) -> ProfitAndLossOut:
        return cls(
            start=pl.start,
            end=pl.end,
            sections=[StatementSectionOut.of(s) for s in pl.sections],
            gross_profit=pl.gross_profit,
            operating_income=pl.operating_income,
            ordinary_income=pl.ordinary_income,
            income_before_taxes=pl.income_before_taxes,
            net_income=pl.net_income,
        )


class BalanceSheetOut(msgspec.Struct, kw_only=True):
    as_of: date
    sections: list[StatementSectionOut]
    total_assets: int
    total_liabilities: int
    total_equity: int
    retained_unclosed: int
    current_income: int
    total_liabilities_and_equity: int

    @classmethod
    def of(cls, bs: reports.BalanceSheet) -> BalanceSheetOut:
        return cls(
            as_of=bs.as_of,
            sections=[StatementSectionOut.of(s) for s in bs.sections],
            total_assets=bs.total_assets,
            total_liabilities=bs.total_liabilities,
            total_equity=bs.total_equity,
            retained_unclosed=bs.retained_unclosed,
            current_income=bs.current_income,
            total_liabilities_and_equity=bs.total_liabilities_and_equity,
        )


class TaxSummaryRowOut(msgspec.Struct, kw_only=True):
    category: str
    label: str
    rate: int
    net: int
    tax: int
    deductible_tax: int
    lines: int


class TaxSummaryOut(msgspec.Struct, kw_only=True):
    start: date
    end: date
    rows: list[TaxSummaryRowOut]

    @classmethod
    def of(cls, start: date, end: date, rows: list[reports.TaxSummaryRow]) -> TaxSummaryOut:
        return cls(start=start, end=end, rows=[TaxSummaryRowOut(**r.__dict__) for r in rows])
