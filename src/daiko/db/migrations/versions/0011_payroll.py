"""payroll runs, results, payslips, bank files: payroll settings, runs, their members,
results (one payslip per employee), journal lines and output documents (tenant, RLS)

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from daiko.db.rls import disable_rls_sql, enable_rls_sql

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "payroll_settings",
    "payroll_runs",
    "payroll_run_members",
    "payroll_results",
    "payroll_journal_lines",
    "payroll_run_documents",
)


def upgrade() -> None:
    op.create_table(
        "payroll_settings",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("company_code", sa.String(length=10), server_default="", nullable=False),
        sa.Column("company_name_kana", sa.String(length=80), server_default="", nullable=False),
        sa.Column("bank_code", sa.String(length=4), server_default="", nullable=False),
        sa.Column("bank_name_kana", sa.String(length=40), server_default="", nullable=False),
        sa.Column("branch_code", sa.String(length=3), server_default="", nullable=False),
        sa.Column("branch_name_kana", sa.String(length=40), server_default="", nullable=False),
        sa.Column("account_type", sa.Integer(), server_default="1", nullable=False),
        sa.Column("account_number", sa.String(length=7), server_default="", nullable=False),
        sa.Column(
            "zengin_line_breaks", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
        sa.Column(
            "withholding_method", sa.String(length=16), server_default="table", nullable=False
        ),
        sa.Column(
            "premium_collection", sa.String(length=16), server_default="next_month", nullable=False
        ),
        sa.Column("pay_day", sa.Integer(), server_default="25", nullable=False),
        sa.Column("closing_day", sa.Integer(), server_default="31", nullable=False),
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
            "premium_collection in ('next_month', 'current_month')",
            name=op.f("ck_payroll_settings_premium_collection"),
        ),
        sa.CheckConstraint(
            "withholding_method in ('table', 'formula')",
            name=op.f("ck_payroll_settings_withholding_method"),
        ),
        sa.CheckConstraint("account_type in (1, 2)", name=op.f("ck_payroll_settings_account_type")),
        sa.CheckConstraint(
            "closing_day between 1 and 31", name=op.f("ck_payroll_settings_closing_day")
        ),
        sa.CheckConstraint("pay_day between 1 and 31", name=op.f("ck_payroll_settings_pay_day")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_payroll_settings_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_payroll_settings")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_payroll_settings_tenant_id")),
    )
    op.create_table(
        "payroll_runs",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("pay_group", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("pay_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("corrects_run_id", sa.UUID(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("employee_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "totals",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("calculate_job_id", sa.UUID(), nullable=True),
        sa.Column("outputs_job_id", sa.UUID(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("prepared_by", sa.UUID(), nullable=True),
        sa.Column("calculated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.UUID(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejected_by", sa.UUID(), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("zengin_sha256", sa.String(length=64), nullable=True),
        sa.Column("journal_entry_id", sa.UUID(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
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
        sa.CheckConstraint("kind in ('monthly', 'bonus')", name=op.f("ck_payroll_runs_kind")),
        sa.CheckConstraint(
            "period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'", name=op.f("ck_payroll_runs_period_format")
        ),
        sa.CheckConstraint(
            "status in ('draft', 'calculating', 'review', 'approved', 'locked')",
            name=op.f("ck_payroll_runs_status"),
        ),
        sa.CheckConstraint(
            "status not in ('approved', 'locked') or approved_by <> prepared_by",
            name=op.f("ck_payroll_runs_four_eyes"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by"],
            ["users.id"],
            name=op.f("fk_payroll_runs_approved_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_payroll_runs_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["prepared_by"],
            ["users.id"],
            name=op.f("fk_payroll_runs_prepared_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rejected_by"],
            ["users.id"],
            name=op.f("fk_payroll_runs_rejected_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "case_id"],
            ["cases.tenant_id", "cases.id"],
            name=op.f("fk_payroll_runs_tenant_id_case_id_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "corrects_run_id"],
            ["payroll_runs.tenant_id", "payroll_runs.id"],
            name=op.f("fk_payroll_runs_tenant_id_corrects_run_id_payroll_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_payroll_runs_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_payroll_runs")),
    )
    op.create_index(
        "ix_payroll_runs_tenant_id_pay_date",
        "payroll_runs",
        ["tenant_id", "pay_date"],
        unique=False,
    )
    op.create_index(
        "uq_payroll_runs_original",
        "payroll_runs",
        ["tenant_id", "kind", "pay_group", "pay_date"],
        unique=True,
        postgresql_where=sa.text("corrects_run_id is null"),
    )
    op.create_table(
        "payroll_run_members",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "employee_id"],
            ["employees.tenant_id", "employees.id"],
            name=op.f("fk_payroll_run_members_tenant_id_employee_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "run_id"],
            ["payroll_runs.tenant_id", "payroll_runs.id"],
            name=op.f("fk_payroll_run_members_tenant_id_run_id_payroll_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_payroll_run_members")),
        sa.UniqueConstraint(
            "tenant_id",
            "run_id",
            "employee_id",
            name=op.f("uq_payroll_run_members_tenant_id_run_id_employee_id"),
        ),
        sa.UniqueConstraint(
            "tenant_id", "run_id", "seq", name=op.f("uq_payroll_run_members_tenant_id_run_id_seq")
        ),
    )
    op.create_table(
        "payroll_results",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("employee_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("employee_code", sa.String(length=32), nullable=False),
        sa.Column("employee_name", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=True),
        sa.Column("standard_monthly_remuneration", sa.BigInteger(), nullable=True),
        sa.Column("nursing_care", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("gross_pay", sa.BigInteger(), nullable=False),
        sa.Column("taxable_pay", sa.BigInteger(), nullable=False),
        sa.Column("non_taxable_pay", sa.BigInteger(), nullable=False),
        sa.Column("health_insurance", sa.BigInteger(), nullable=False),
        sa.Column("child_support_levy", sa.BigInteger(), nullable=False),
        sa.Column("pension", sa.BigInteger(), nullable=False),
        sa.Column("employment_insurance", sa.BigInteger(), nullable=False),
        sa.Column("social_insurance_total", sa.BigInteger(), nullable=False),
        sa.Column("taxable_after_insurance", sa.BigInteger(), nullable=False),
        sa.Column("income_tax", sa.BigInteger(), nullable=False),
        sa.Column("resident_tax", sa.BigInteger(), nullable=False),
        sa.Column("other_deductions", sa.BigInteger(), nullable=False),
        sa.Column("total_deductions", sa.BigInteger(), nullable=False),
        sa.Column("net_pay", sa.BigInteger(), nullable=False),
        sa.Column("employer_health_insurance", sa.BigInteger(), nullable=False),
        sa.Column("employer_child_support_levy", sa.BigInteger(), nullable=False),
        sa.Column("employer_pension", sa.BigInteger(), nullable=False),
        sa.Column("employer_employment_insurance", sa.BigInteger(), nullable=False),
        sa.Column("employer_child_contribution", sa.BigInteger(), nullable=False),
        sa.Column("employer_total", sa.BigInteger(), nullable=False),
        sa.Column(
            "lines",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "employee_id"],
            ["employees.tenant_id", "employees.id"],
            name=op.f("fk_payroll_results_tenant_id_employee_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "run_id"],
            ["payroll_runs.tenant_id", "payroll_runs.id"],
            name=op.f("fk_payroll_results_tenant_id_run_id_payroll_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_payroll_results")),
        sa.UniqueConstraint(
            "tenant_id",
            "run_id",
            "employee_id",
            name=op.f("uq_payroll_results_tenant_id_run_id_employee_id"),
        ),
    )
    op.create_index(
        "ix_payroll_results_tenant_id_run_id_seq",
        "payroll_results",
        ["tenant_id", "run_id", "seq"],
        unique=False,
    )
    op.create_table(
        "payroll_journal_lines",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("account_code", sa.String(length=16), nullable=False),
        sa.Column("account_name", sa.String(length=64), nullable=False),
        sa.Column("sub_account", sa.String(length=64), nullable=True),
        sa.Column("debit", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("credit", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "debit >= 0 and credit >= 0 and (debit = 0) <> (credit = 0)",
            name=op.f("ck_payroll_journal_lines_side"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "run_id"],
            ["payroll_runs.tenant_id", "payroll_runs.id"],
            name=op.f("fk_payroll_journal_lines_tenant_id_run_id_payroll_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_payroll_journal_lines")),
        sa.UniqueConstraint(
            "tenant_id",
            "run_id",
            "line_no",
            name=op.f("uq_payroll_journal_lines_tenant_id_run_id_line_no"),
        ),
    )
    op.create_table(
        "payroll_run_documents",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("employee_id", sa.UUID(), nullable=True),
        sa.Column("document_id", sa.UUID(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'payslip') = (employee_id is not null)",
            name=op.f("ck_payroll_run_documents_employee"),
        ),
        sa.CheckConstraint(
            "kind in ('payslip', 'ledger_csv', 'ledger_csv_cp932', 'ledger_xlsx', 'zengin')",
            name=op.f("ck_payroll_run_documents_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["documents.tenant_id", "documents.id"],
            name=op.f("fk_payroll_run_documents_tenant_id_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "run_id"],
            ["payroll_runs.tenant_id", "payroll_runs.id"],
            name=op.f("fk_payroll_run_documents_tenant_id_run_id_payroll_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_payroll_run_documents")),
        sa.UniqueConstraint(
            "tenant_id",
            "run_id",
            "kind",
            "employee_id",
            name=op.f("uq_payroll_run_documents_tenant_id_run_id_kind_employee_id"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    for table in TENANT_TABLES:
        for statement in enable_rls_sql(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        for statement in disable_rls_sql(table):
            op.execute(statement)
        op.drop_table(table)
