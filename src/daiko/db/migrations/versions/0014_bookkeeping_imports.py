"""bookkeeping imports: statements, staging, rules

Import batches with the uploaded file, statement lines (the unmatched queue), saved
column mappings and categorisation rules; every table tenant-owned under RLS. The
uploaded bytes are stored uncompressed out of line (STORAGE EXTERNAL): they are read
whole by the import job and never by list queries.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from daiko.db.rls import disable_rls_sql, enable_rls_sql

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "bookkeeping_import_mappings",
    "bookkeeping_import_batches",
    "bookkeeping_import_files",
    "bookkeeping_statement_lines",
    "bookkeeping_rules",
)


def upgrade() -> None:
    op.create_table(
        "bookkeeping_import_mappings",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("mapping", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
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
            "kind in ('bank', 'card', 'receipt')", name=op.f("ck_bookkeeping_import_mappings_kind")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_bookkeeping_import_mappings_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_bookkeeping_import_mappings_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_bookkeeping_import_mappings")),
        sa.UniqueConstraint(
            "tenant_id", "name", name=op.f("uq_bookkeeping_import_mappings_tenant_id_name")
        ),
    )
    op.create_table(
        "bookkeeping_import_batches",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("layout", sa.String(length=32), nullable=False),
        sa.Column("mapping", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("encoding", sa.String(length=16), nullable=True),
        sa.Column("account_code", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="previewed", nullable=False),
        sa.Column("line_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "errors",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("skip_invalid", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("job_id", sa.UUID(), nullable=True),
        sa.Column("imported_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("matched_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("document_id", sa.UUID(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=True),
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
            "kind in ('bank', 'card', 'receipt')", name=op.f("ck_bookkeeping_import_batches_kind")
        ),
        sa.CheckConstraint(
            "status in ('previewed', 'invalid', 'queued', 'importing', 'imported', 'failed')",
            name=op.f("ck_bookkeeping_import_batches_status"),
        ),
        sa.CheckConstraint(
            "line_count >= 0 and error_count >= 0 and imported_count >= 0",
            name=op.f("ck_bookkeeping_import_batches_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_bookkeeping_import_batches_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_code"],
            ["accounts.tenant_id", "accounts.code"],
            name=op.f("fk_bookkeeping_import_batches_tenant_id_account_code_accounts"),
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["documents.tenant_id", "documents.id"],
            name=op.f("fk_bookkeeping_import_batches_tenant_id_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "job_id"],
            ["jobs.tenant_id", "jobs.id"],
            name=op.f("fk_bookkeeping_import_batches_tenant_id_job_id_jobs"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_bookkeeping_import_batches_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_bookkeeping_import_batches")),
    )
    op.create_index(
        "ix_bookkeeping_import_batches_tenant_id_created_at",
        "bookkeeping_import_batches",
        ["tenant_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "bookkeeping_import_files",
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "id"],
            ["bookkeeping_import_batches.tenant_id", "bookkeeping_import_batches.id"],
            name=op.f("fk_bookkeeping_import_files_tenant_id_id_bookkeeping_import_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_bookkeeping_import_files")),
    )
    op.create_table(
        "bookkeeping_statement_lines",
        sa.Column("batch_id", sa.UUID(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("txn_date", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("counterparty", sa.Text(), server_default="", nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=True),
        sa.Column("tax_rate", sa.SmallInteger(), nullable=True),
        sa.Column("memo", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="unmatched", nullable=False),
        sa.Column("rule_id", sa.UUID(), nullable=True),
        sa.Column("account_code", sa.String(length=16), nullable=True),
        sa.Column("tax_category", sa.String(length=32), nullable=True),
        sa.Column("journal_entry_id", sa.UUID(), nullable=True),
        sa.Column("document_id", sa.UUID(), nullable=True),
        sa.Column("categorised_by", sa.UUID(), nullable=True),
        sa.Column("categorised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "(status = 'posted') = (journal_entry_id is not null)",
            name=op.f("ck_bookkeeping_statement_lines_posted_has_entry"),
        ),
        sa.CheckConstraint(
            "status in ('unmatched', 'posted', 'ignored')",
            name=op.f("ck_bookkeeping_statement_lines_status"),
        ),
        sa.CheckConstraint(
            "tax_rate is null or tax_rate in (0, 8, 10)",
            name=op.f("ck_bookkeeping_statement_lines_tax_rate"),
        ),
        sa.ForeignKeyConstraint(
            ["categorised_by"],
            ["users.id"],
            name=op.f("fk_bookkeeping_statement_lines_categorised_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "batch_id"],
            ["bookkeeping_import_batches.tenant_id", "bookkeeping_import_batches.id"],
            name=op.f(
                "fk_bookkeeping_statement_lines_tenant_id_batch_id_bookkeeping_import_batches"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["documents.tenant_id", "documents.id"],
            name=op.f("fk_bookkeeping_statement_lines_tenant_id_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "journal_entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_bookkeeping_statement_lines_tenant_id_journal_entry_id_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_bookkeeping_statement_lines")),
        sa.UniqueConstraint(
            "tenant_id",
            "batch_id",
            "line_no",
            name=op.f("uq_bookkeeping_statement_lines_tenant_id_batch_id_line_no"),
        ),
    )
    op.create_index(
        "ix_bookkeeping_statement_lines_tenant_id_status_txn_date",
        "bookkeeping_statement_lines",
        ["tenant_id", "status", "txn_date", "id"],
        unique=False,
    )
    op.create_table(
        "bookkeeping_rules",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("match_field", sa.String(length=16), nullable=False),
        sa.Column("match_kind", sa.String(length=16), server_default="contains", nullable=False),
        sa.Column("pattern", sa.String(length=200), nullable=False),
        sa.Column("direction", sa.String(length=8), server_default="any", nullable=False),
        sa.Column("account_code", sa.String(length=16), nullable=False),
        sa.Column("tax_category", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.Integer(), server_default="100", nullable=False),
        sa.Column("hit_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_hit_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("source", sa.String(length=16), server_default="manual", nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
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
            "direction in ('any', 'in', 'out')", name=op.f("ck_bookkeeping_rules_direction")
        ),
        sa.CheckConstraint(
            "match_field in ('counterparty', 'description', 'any')",
            name=op.f("ck_bookkeeping_rules_match_field"),
        ),
        sa.CheckConstraint(
            "match_kind in ('contains', 'prefix', 'exact')",
            name=op.f("ck_bookkeeping_rules_match_kind"),
        ),
        sa.CheckConstraint(
            "source in ('manual', 'learned')", name=op.f("ck_bookkeeping_rules_source")
        ),
        sa.CheckConstraint("hit_count >= 0", name=op.f("ck_bookkeeping_rules_hit_count")),
        sa.CheckConstraint(
            "length(pattern) > 0", name=op.f("ck_bookkeeping_rules_pattern_not_empty")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_bookkeeping_rules_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_code"],
            ["accounts.tenant_id", "accounts.code"],
            name=op.f("fk_bookkeeping_rules_tenant_id_account_code_accounts"),
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_bookkeeping_rules_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_bookkeeping_rules")),
        sa.UniqueConstraint(
            "tenant_id",
            "match_field",
            "match_kind",
            "pattern",
            "direction",
            name=op.f("uq_bookkeeping_rules_tenant_id_match_field_match_kind_pattern_direction"),
        ),
    )
    op.create_index(
        "ix_bookkeeping_rules_tenant_id_priority",
        "bookkeeping_rules",
        ["tenant_id", "priority"],
        unique=False,
    )
    op.execute("alter table bookkeeping_import_files alter column content set storage external")
    for table in TENANT_TABLES:
        for statement in enable_rls_sql(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        for statement in disable_rls_sql(table):
            op.execute(statement)
        op.drop_table(table)
