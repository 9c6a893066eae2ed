"""The ledger's tables in the database are what its models say (Alembic finds no diff)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Constraint, Index, Table
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.bookkeeping.models import TENANT_TABLES
from daiko.db.base import Base
from daiko.db.models import load_all_models


def table_of(diff: Any) -> str | None:
    """The table an Alembic diff entry is about."""
    if isinstance(diff, list):  # modify_* entries come grouped
        return table_of(diff[0])
    op, *args = diff
    for arg in args:
        if isinstance(arg, Table):
            return str(arg.name)
        if isinstance(arg, Index | Constraint | Column) and arg.table is not None:
            return str(arg.table.name)
    if op.startswith("modify_") or op in ("add_column", "remove_column"):
        return str(args[1])
    return None


async def test_models_match_the_migration(owner_engine: AsyncEngine) -> None:
    load_all_models()

    def compare(conn: Any) -> list[Any]:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)

    async with owner_engine.connect() as conn:
        diffs = await conn.run_sync(compare)
    assert [d for d in diffs if table_of(d) in TENANT_TABLES] == []


def test_table_of_names_the_table() -> None:
    t = Base.metadata.tables["journal_lines"]
    assert table_of(("add_table", t)) == "journal_lines"
    assert table_of(("remove_index", next(iter(t.indexes)))) == "journal_lines"
    assert table_of([("modify_nullable", None, "accounts", "code", {}, False, True)]) == "accounts"
