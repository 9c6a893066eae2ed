"""notify daiko_principals when anything a partner principal is built from changes

Revision ID: 0016
Revises: 0015

API processes cache resolved bearer tokens for a few seconds, and only while they
LISTEN on `daiko_principals` (`daiko.auth.principal_cache`). A statement-level trigger on
each table a principal is derived from (revocations, clients, grants, signing keys,
tenants' status) sends the notification; PostgreSQL delivers it when the writing
transaction commits, whoever wrote (the app, a migration, psql, a truncate).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("revoked_tokens", "partner_clients", "partner_grants", "signing_keys", "tenants")


def upgrade() -> None:
    op.execute(
        """
        create function daiko_notify_principals() returns trigger
        language plpgsql as $$
        begin
          perform pg_notify('daiko_principals', tg_table_name);
          return null;
        end
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"create trigger {table}_notify_principals"
            f" after insert or update or delete or truncate on {table}"
            " for each statement execute function daiko_notify_principals()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"drop trigger {table}_notify_principals on {table}")
    op.execute("drop function daiko_notify_principals()")
