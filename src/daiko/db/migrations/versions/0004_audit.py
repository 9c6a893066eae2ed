"""audit: the hash-chained audit trail and per-tenant field-encryption keys

Revision ID: 0004
Revises: 0003

Tenant-owned (RLS): audit_events, tenant_data_keys. `audit_events` is append-only:
the runtime role loses UPDATE/DELETE/TRUNCATE after every migration run
(`daiko.db.base.APPEND_ONLY_TABLES`), and a trigger refuses UPDATE and DELETE for any
role (daiko_system included) unless the owner deliberately disables it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from daiko.db.rls import disable_rls_sql, enable_rls_sql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("audit_events", "tenant_data_keys")

APPEND_ONLY_FUNCTION = """
create function daiko_audit_events_append_only() returns trigger
language plpgsql set search_path = public, pg_temp
as $$
begin
  raise exception 'audit_events is append-only (% refused)', tg_op
    using errcode = 'insufficient_privilege';
end
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=True),
        sa.Column("actor_display", sa.Text(), nullable=True),
        sa.Column("action", sa.String(length=128), nullable=False),
        sa.Column("resource_type", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.Text(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "action ~ '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$'",
            name=op.f("ck_audit_events_action_format"),
        ),
        sa.CheckConstraint(
            "actor_kind in ('user', 'operator', 'partner', 'system')",
            name=op.f("ck_audit_events_actor_kind"),
        ),
        sa.CheckConstraint("hash ~ '^[0-9a-f]{64}$'", name=op.f("ck_audit_events_hash_format")),
        sa.CheckConstraint(
            "prev_hash ~ '^[0-9a-f]{64}$'", name=op.f("ck_audit_events_prev_hash_format")
        ),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_audit_events_seq_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_audit_events_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_audit_events")),
    )
    op.create_index(
        "ix_audit_events_tenant_id_action_seq",
        "audit_events",
        ["tenant_id", "action", "seq"],
        unique=False,
    )
    op.create_index(
        "ix_audit_events_tenant_id_actor_id_seq",
        "audit_events",
        ["tenant_id", "actor_id", "seq"],
        unique=False,
    )
    op.create_index(
        "ix_audit_events_tenant_id_resource_seq",
        "audit_events",
        ["tenant_id", "resource_type", "resource_id", "seq"],
        unique=False,
    )
    op.create_index(
        "uq_audit_events_tenant_id_seq", "audit_events", ["tenant_id", "seq"], unique=True
    )
    op.create_table(
        "tenant_data_keys",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("master_key_id", sa.String(length=32), nullable=False),
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
            "status in ('active', 'retired')", name=op.f("ck_tenant_data_keys_status")
        ),
        sa.CheckConstraint(
            "length(wrapped_key) = 60", name=op.f("ck_tenant_data_keys_wrapped_key_length")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_tenant_data_keys_version_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tenant_data_keys_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tenant_data_keys")),
        sa.UniqueConstraint(
            "tenant_id", "version", name=op.f("uq_tenant_data_keys_tenant_id_version")
        ),
    )
    for table in TENANT_TABLES:
        for stmt in enable_rls_sql(table):
            op.execute(stmt)
    op.execute(APPEND_ONLY_FUNCTION)
    op.execute(
        "create trigger audit_events_append_only before update or delete on audit_events"
        " for each row execute function daiko_audit_events_append_only()"
    )


def downgrade() -> None:
    op.execute("drop trigger if exists audit_events_append_only on audit_events")
    op.execute("drop function if exists daiko_audit_events_append_only()")
    for table in TENANT_TABLES:
        for stmt in disable_rls_sql(table):
            op.execute(stmt)
    op.drop_table("tenant_data_keys")
    op.drop_index("uq_audit_events_tenant_id_seq", table_name="audit_events")
    op.drop_index("ix_audit_events_tenant_id_resource_seq", table_name="audit_events")
    op.drop_index("ix_audit_events_tenant_id_actor_id_seq", table_name="audit_events")
    op.drop_index("ix_audit_events_tenant_id_action_seq", table_name="audit_events")
    op.drop_table("audit_events")
