"""bookkeeping ledger: accounts, journals, periods

Tables of `daiko.bookkeeping.models` (tenant, RLS), plus what the ORM cannot say: a
deferred constraint trigger that checks Σdebit = Σcredit per entry at commit, and
triggers that refuse changes to posted entries and to anything dated in a closed period.
SQLSTATEs: BK001 posted entry, BK002 closed period, BK003 unbalanced entry.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from daiko.db.rls import disable_rls_sql, enable_rls_sql

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "bookkeeping_settings",
    "accounts",
    "departments",
    "counterparties",
    "fiscal_years",
    "accounting_periods",
    "journal_entries",
    "journal_lines",
    "journal_entry_documents",
)

TRIGGER_SQL = [
    # Offboarding deletes a tenant's rows in the transaction that exported it (the
    # `tenant.exported` audit event is written first, in the same transaction: its
    # xmin is this transaction's id); only then may posted entries and closed periods
    # go. The answer is cached for the rest of the transaction.
    """
    create function bk_purging(t uuid) returns boolean language plpgsql as $$
    begin
        if current_setting('daiko.ledger_purge', true) = t::text then
            return true;
        end if;
        if exists (
            select 1 from audit_events
            where tenant_id = t and action = 'tenant.exported'
              and xmin::text = (pg_current_xact_id()::text::bigint % 4294967296)::text
        ) then
            perform set_config('daiko.ledger_purge', t::text, true);
            return true;
        end if;
        return false;
    end $$
    """,
    """
    create function bk_period_closed(t uuid, d date) returns boolean
    language sql stable as $$
        select exists (
            select 1 from accounting_periods
            where tenant_id = t and status = 'closed' and d between start_date and end_date
        )
    $$
    """,
    # Posted entries are immutable; nothing dated in a closed period is written.
    """
    create function bk_entry_guard() returns trigger language plpgsql as $$
    begin
        if tg_op = 'DELETE' then
            if bk_purging(old.tenant_id) then
                return old;
            end if;
            if old.status = 'posted' then
                raise exception 'journal entry % is posted and cannot be deleted', old.number
                    using errcode = 'BK001';
            end if;
            if bk_period_closed(old.tenant_id, old.entry_date) then
                raise exception 'the period of % is closed', old.entry_date
                    using errcode = 'BK002';
            end if;
            return old;
        end if;
        if tg_op = 'UPDATE' then
            if new.tenant_id is distinct from old.tenant_id then
                return new;  -- moving rows between tenants: RLS and foreign keys refuse it
            end if;
            if old.status = 'posted' then
                raise exception 'journal entry % is posted and cannot change', old.number
                    using errcode = 'BK001';
            end if;
            if bk_period_closed(old.tenant_id, old.entry_date) then
                raise exception 'the period of % is closed', old.entry_date
                    using errcode = 'BK002';
            end if;
        end if;
        if bk_period_closed(new.tenant_id, new.entry_date) then
            raise exception 'the period of % is closed', new.entry_date using errcode = 'BK002';
        end if;
        return new;
    end $$
    """,
    """
    create trigger journal_entries_guard before insert or update or delete on journal_entries
    for each row execute function bk_entry_guard()
    """,
    """
    create function bk_line_guard() returns trigger language plpgsql
    set enable_seqscan = off as $$
    declare
        e record;
        r record;
    begin
        if tg_op = 'DELETE' and bk_purging(old.tenant_id) then
            return old;
        end if;
        if tg_op = 'UPDATE' and new.tenant_id is distinct from old.tenant_id then
            return new;  -- moving rows between tenants: RLS and foreign keys refuse it
        end if;
        for r in
            select old.tenant_id as tenant_id, old.entry_id as entry_id where tg_op <> 'INSERT'
            union
            select new.tenant_id, new.entry_id where tg_op <> 'DELETE'
        loop
            select status, entry_date, number into e from journal_entries
            where tenant_id = r.tenant_id and id = r.entry_id;
            if not found then
                continue;  -- the entry itself is being deleted (cascade)
            end if;
            if e.status = 'posted' then
                raise exception 'journal entry % is posted: its lines cannot change', e.number
                    using errcode = 'BK001';
            end if;
            if bk_period_closed(r.tenant_id, e.entry_date) then
                raise exception 'the period of % is closed', e.entry_date using errcode = 'BK002';
            end if;
        end loop;
        if tg_op = 'DELETE' then
            return old;
        end if;
        return new;
    end $$
    """,
    """
    create trigger journal_lines_guard before insert or update or delete on journal_lines
    for each row execute function bk_line_guard()
    """,
    # Σdebit = Σcredit per entry (and at least two lines), checked at commit so the
    # lines of one entry can be written one by one inside the transaction. Index scans
    # are forced: a bulk import fills the tables within one transaction, while the cached
    # plan still believes them empty and would scan every line once per line.
    """
    create function bk_check_balance(t uuid, e uuid) returns void language plpgsql
    set enable_seqscan = off as $$
    declare
        d bigint;
        c bigint;
        n integer;
    begin
        if not exists (select 1 from journal_entries where tenant_id = t and id = e) then
            return;
        end if;
        select coalesce(sum(debit), 0), coalesce(sum(credit), 0), count(*) into d, c, n
        from journal_lines where tenant_id = t and entry_id = e;
        if n < 2 or d <> c then
            raise exception 'journal entry % is unbalanced: debits %, credits %, % lines',
                e, d, c, n using errcode = 'BK003';
        end if;
    end $$
    """,
    """
    create function bk_entry_balanced() returns trigger language plpgsql as $$
    begin
        if tg_table_name = 'journal_entries' then
            perform bk_check_balance(new.tenant_id, new.id);
            return null;
        end if;
        if tg_op <> 'INSERT' then
            perform bk_check_balance(old.tenant_id, old.entry_id);
        end if;
        if tg_op <> 'DELETE' then
            perform bk_check_balance(new.tenant_id, new.entry_id);
        end if;
        return null;
    end $$
    """,
    """
    create constraint trigger journal_lines_balanced
    after insert or update or delete on journal_lines
    deferrable initially deferred for each row execute function bk_entry_balanced()
    """,
    """
    create constraint trigger journal_entries_balanced after insert on journal_entries
    deferrable initially deferred for each row execute function bk_entry_balanced()
    """,
]

DROP_SQL = [
    "drop trigger if exists journal_entries_balanced on journal_entries",
    "drop trigger if exists journal_lines_balanced on journal_lines",
    "drop trigger if exists journal_lines_guard on journal_lines",
    "drop trigger if exists journal_entries_guard on journal_entries",
    "drop function if exists bk_entry_balanced()",
    "drop function if exists bk_check_balance(uuid, uuid)",
    "drop function if exists bk_line_guard()",
    "drop function if exists bk_entry_guard()",
    "drop function if exists bk_period_closed(uuid, date)",
    "drop function if exists bk_purging(uuid)",
]


def upgrade() -> None:
    op.create_table(
        "bookkeeping_settings",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column(
            "tax_accounting", sa.String(length=16), server_default="exclusive", nullable=False
        ),
        sa.Column("amount_basis", sa.String(length=16), server_default="inclusive", nullable=False),
        sa.Column("tax_rounding", sa.String(length=8), server_default="floor", nullable=False),
        sa.Column("fiscal_year_start_month", sa.Integer(), server_default="4", nullable=False),
        sa.Column("next_entry_number", sa.Integer(), server_default="1", nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "amount_basis in ('inclusive', 'exclusive')",
            name=op.f("ck_bookkeeping_settings_amount_basis"),
        ),
        sa.CheckConstraint(
            "tax_accounting in ('exclusive', 'inclusive')",
            name=op.f("ck_bookkeeping_settings_tax_accounting"),
        ),
        sa.CheckConstraint(
            "tax_rounding in ('floor', 'round', 'ceil')",
            name=op.f("ck_bookkeeping_settings_tax_rounding"),
        ),
        sa.CheckConstraint(
            "fiscal_year_start_month between 1 and 12",
            name=op.f("ck_bookkeeping_settings_start_month"),
        ),
        sa.CheckConstraint(
            "next_entry_number >= 1", name=op.f("ck_bookkeeping_settings_next_entry_number")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_bookkeeping_settings_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_bookkeeping_settings")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_bookkeeping_settings_tenant_id")),
    )
    op.create_table(
        "accounts",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sub_name", sa.String(length=100), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.Column(
            "default_tax_category",
            sa.String(length=32),
            server_default="out_of_scope",
            nullable=False,
        ),
        sa.Column("tax_role", sa.String(length=8), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "category in ('asset', 'liability', 'equity', 'revenue', 'expense')",
            name=op.f("ck_accounts_category"),
        ),
        sa.CheckConstraint("code ~ '^[0-9A-Za-z_-]{1,16}$'", name=op.f("ck_accounts_code_format")),
        sa.CheckConstraint(
            "section in ('current_assets', 'fixed_assets', 'intangible_assets', 'investments',"
            " 'current_liabilities', 'long_term_liabilities', 'equity', 'sales',"
            " 'cost_of_sales', 'sga', 'non_operating_income', 'non_operating_expense',"
            " 'extraordinary_income', 'extraordinary_loss', 'income_taxes')",
            name=op.f("ck_accounts_section"),
        ),
        sa.CheckConstraint(
            "tax_role is null or tax_role in ('input', 'output')", name=op.f("ck_accounts_tax_role")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_accounts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_accounts_tenant_id_code")),
    )
    op.create_table(
        "departments",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "code ~ '^[0-9A-Za-z_-]{1,16}$'", name=op.f("ck_departments_code_format")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_departments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_departments")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_departments_tenant_id_code")),
    )
    op.create_table(
        "counterparties",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("registration_number", sa.String(length=14), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "registration_number is null or registration_number ~ '^T[0-9]{13}$'",
            name=op.f("ck_counterparties_registration_number_format"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_counterparties_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_counterparties")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_counterparties_tenant_id_name")),
    )
    op.create_table(
        "fiscal_years",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("end_date > start_date", name=op.f("ck_fiscal_years_dates")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_fiscal_years_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_fiscal_years")),
        sa.UniqueConstraint(
            "tenant_id", "start_date", name=op.f("uq_fiscal_years_tenant_id_start_date")
        ),
    )
    op.create_table(
        "accounting_periods",
        sa.Column("fiscal_year_id", sa.UUID(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), server_default="open", nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.UUID(), nullable=True),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "status in ('open', 'closed')", name=op.f("ck_accounting_periods_status")
        ),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_accounting_periods_dates")),
        sa.ForeignKeyConstraint(
            ["closed_by"],
            ["users.id"],
            name=op.f("fk_accounting_periods_closed_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "fiscal_year_id"],
            ["fiscal_years.tenant_id", "fiscal_years.id"],
            name=op.f("fk_accounting_periods_tenant_id_fiscal_year_id_fiscal_years"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_accounting_periods")),
        sa.UniqueConstraint(
            "tenant_id", "start_date", name=op.f("uq_accounting_periods_tenant_id_start_date")
        ),
    )
    op.create_index(
        "ix_accounting_periods_tenant_id_status_dates",
        "accounting_periods",
        ["tenant_id", "status", "start_date"],
        unique=False,
    )
    op.create_table(
        "journal_entries",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=8), server_default="draft", nullable=False),
        sa.Column("is_closing", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("source_kind", sa.String(length=32), server_default="manual", nullable=False),
        sa.Column("source_id", sa.UUID(), nullable=True),
        sa.Column("reverses_id", sa.UUID(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("posted_by", sa.UUID(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("updated_by", sa.UUID(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(status = 'posted') = (posted_at is not null)",
            name=op.f("ck_journal_entries_posted_at_when_posted"),
        ),
        sa.CheckConstraint("status in ('draft', 'posted')", name=op.f("ck_journal_entries_status")),
        sa.CheckConstraint("number >= 1", name=op.f("ck_journal_entries_number_positive")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_journal_entries_version_positive")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_journal_entries_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["posted_by"],
            ["users.id"],
            name=op.f("fk_journal_entries_posted_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "reverses_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_journal_entries_tenant_id_reverses_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_journal_entries_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_journal_entries_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_journal_entries")),
        sa.UniqueConstraint(
            "tenant_id", "number", name=op.f("uq_journal_entries_tenant_id_number")
        ),
        sa.UniqueConstraint(
            "tenant_id", "reverses_id", name=op.f("uq_journal_entries_tenant_id_reverses_id")
        ),
    )
    op.create_index(
        "ix_journal_entries_tenant_id_entry_date",
        "journal_entries",
        ["tenant_id", "entry_date"],
        unique=False,
    )
    op.create_index(
        "ix_journal_entries_tenant_id_source",
        "journal_entries",
        ["tenant_id", "source_kind", "source_id"],
        unique=False,
    )
    op.create_index(
        "ix_journal_entries_tenant_id_updated_at",
        "journal_entries",
        ["tenant_id", "updated_at"],
        unique=False,
    )
    op.create_table(
        "journal_lines",
        sa.Column("entry_id", sa.UUID(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("debit", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("credit", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "tax_category", sa.String(length=32), server_default="out_of_scope", nullable=False
        ),
        sa.Column("tax_rate", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tax_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("tax_included", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("tax_parent_line_no", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("department_id", sa.UUID(), nullable=True),
        sa.Column("counterparty_id", sa.UUID(), nullable=True),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "(debit > 0 and credit = 0) or (credit > 0 and debit = 0)",
            name=op.f("ck_journal_lines_one_side"),
        ),
        sa.CheckConstraint("tax_amount >= 0", name=op.f("ck_journal_lines_tax_amount_nonnegative")),
        sa.CheckConstraint("tax_rate in (0, 8, 10)", name=op.f("ck_journal_lines_tax_rate")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["accounts.tenant_id", "accounts.id"],
            name=op.f("fk_journal_lines_tenant_id_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "counterparty_id"],
            ["counterparties.tenant_id", "counterparties.id"],
            name=op.f("fk_journal_lines_tenant_id_counterparty_id_counterparties"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "department_id"],
            ["departments.tenant_id", "departments.id"],
            name=op.f("fk_journal_lines_tenant_id_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_journal_lines_tenant_id_entry_id_journal_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_journal_lines")),
        sa.UniqueConstraint(
            "tenant_id",
            "entry_id",
            "line_no",
            name=op.f("uq_journal_lines_tenant_id_entry_id_line_no"),
        ),
    )
    op.create_index(
        "ix_journal_lines_account_id",
        "journal_lines",
        ["account_id"],
        unique=False,
    )
    op.create_table(
        "journal_entry_documents",
        sa.Column("entry_id", sa.UUID(), nullable=False),
        sa.Column("document_id", sa.UUID(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_journal_entry_documents_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["documents.tenant_id", "documents.id"],
            name=op.f("fk_journal_entry_documents_tenant_id_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_journal_entry_documents_tenant_id_entry_id_journal_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_journal_entry_documents")),
        sa.UniqueConstraint(
            "tenant_id",
            "entry_id",
            "document_id",
            name=op.f("uq_journal_entry_documents_tenant_id_entry_id_document_id"),
        ),
    )
    op.create_index(
        "ix_journal_entry_documents_tenant_id_document_id",
        "journal_entry_documents",
        ["tenant_id", "document_id"],
        unique=False,
    )
    for table in TENANT_TABLES:
        for stmt in enable_rls_sql(table):
            op.execute(stmt)
    for stmt in TRIGGER_SQL:
        op.execute(stmt)


def downgrade() -> None:
    for stmt in DROP_SQL:
        op.execute(stmt)
    for table in reversed(TENANT_TABLES):
        for stmt in disable_rls_sql(table):
            op.execute(stmt)
        op.drop_table(table)
