"""the balance check plans each call against the table as it is now

Revision ID: 0018
Revises: 0017

`bk_check_balance` runs once per entry at commit. PL/pgSQL switches to a cached generic
plan after five calls, made when the tables' statistics still describe them as they
were before the transaction; after a bulk insert that plan can walk the tenant's lines
by primary key for every entry. A custom plan per call is costed on the relation's
current size and picks the (tenant_id, entry_id, line_no) index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "alter function bk_check_balance(uuid, uuid) set plan_cache_mode = force_custom_plan"
    )


def downgrade() -> None:
    op.execute("alter function bk_check_balance(uuid, uuid) reset plan_cache_mode")
