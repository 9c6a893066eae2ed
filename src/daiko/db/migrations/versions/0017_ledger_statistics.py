"""bk_analyze_ledger(): fresh planner statistics for the journal tables mid-transaction

Revision ID: 0017
Revises: 0016

The ledger's triggers (0013) look up the entry of every written line and sum every
entry's lines. A transaction that books many entries (a statement import) grows those
tables far beyond what their statistics say; without them the planner reads the row
filter `tenant_id = …` as selective, picks the primary key (tenant_id, id) over
(tenant_id, entry_id, line_no), and each check walks all the tenant's lines: booking
becomes quadratic. ANALYZE fixes it, and counts the writing transaction's own rows, but
only the tables' owner may run it; this function lets the app ask for it (it runs
nothing else and takes no argument).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        create function bk_analyze_ledger() returns void
        language plpgsql security definer set search_path = public, pg_temp as $$
        begin
            analyze journal_entries;
            analyze journal_lines;
        end $$
        """
    )
    # Only the runtime roles (granted by daiko.db.bootstrap after every upgrade).
    op.execute("revoke all on function bk_analyze_ledger() from public")


def downgrade() -> None:
    op.execute("drop function if exists bk_analyze_ledger()")
