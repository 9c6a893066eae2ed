"""The import tables in the database are what their models say (Alembic finds no diff),
and every one of them has its RLS policies."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.db.base import Base
from daiko.db.models import load_all_models
from tests.bookkeeping.test_migration import table_of

TABLES = (
    "bookkeeping_import_mappings",
    "bookkeeping_import_batches",
    "bookkeeping_import_files",
    "bookkeeping_statement_lines",
    "bookkeeping_rules",
)


async def test_models_match_the_migration(owner_engine: AsyncEngine) -> None:
    load_all_models()

    def compare(conn: Any) -> list[Any]:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)

    async with owner_engine.connect() as conn:
        diffs = await conn.run_sync(compare)
    assert [d for d in diffs if table_of(d) in TABLES] == []


async def test_rls_forced_with_four_policies_and_file_bytes_stored_external(
    owner_engine: AsyncEngine,
) -> None:
    async with owner_engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "select c.relname, c.relrowsecurity, c.relforcerowsecurity,"
                    " (select count(*) from pg_policy p where p.polrelid = c.oid)"
                    " from pg_class c where c.relname = any(:t) order by c.relname"
                ),
                {"t": list(TABLES)},
            )
        ).all()
        storage = await conn.scalar(
            text(
                "select attstorage from pg_attribute where attrelid ="
                " 'bookkeeping_import_files'::regclass and attname = 'content'"
            )
        )
    assert [tuple(r) for r in rows] == [(t, True, True, 4) for t in sorted(TABLES)]
    assert storage in (b"e", "e")  # 'char' comes back as bytes from asyncpg
