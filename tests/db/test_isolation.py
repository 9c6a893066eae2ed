"""Tenant isolation, proven from the catalog: every tenant table, every command.

Generated from `pg_catalog`, not hand-listed: a new table with a `tenant_id` column is
covered the moment its migration exists (and fails here until it has RLS and a seed row).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from daiko.config import APP_ROLE, SYSTEM_ROLE
from daiko.db.base import APPEND_ONLY_TABLES, GLOBAL_TABLES
from daiko.ids import new_id
from daiko.runtime import Runtime
from tests.factories import World
from tests.seeds import seed_everything


async def tenant_tables(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                """
                select c.relname from pg_class c
                  join pg_namespace n on n.oid = c.relnamespace
                  join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id'
                 where n.nspname = 'public' and c.relkind in ('r', 'p') and not a.attisdropped
                 order by 1
                """
            )
        )
        return [r for r in rows.scalars() if r not in GLOBAL_TABLES]


async def test_every_tenant_table_has_forced_rls_and_four_policies(
    owner_engine: AsyncEngine, runtime: Runtime
) -> None:
    tables = await tenant_tables(owner_engine)
    assert "memberships" in tables
    assert "operator_assignments" in tables
    async with owner_engine.connect() as conn:
        for table in tables:
            row = (
                await conn.execute(
                    text(
                        "select relrowsecurity, relforcerowsecurity from pg_class where relname = :t"
                    ),
                    {"t": table},
                )
            ).one()
            assert tuple(row) == (True, True), f"{table}: RLS must be enabled and forced"
            cmds = (
                await conn.execute(
                    text("select cmd, qual, with_check from pg_policies where tablename = :t"),
                    {"t": table},
                )
            ).all()
            by_cmd = {c: (q, w) for c, q, w in cmds}
            assert set(by_cmd) == {"SELECT", "INSERT", "UPDATE", "DELETE"}, table
            assert by_cmd["INSERT"][1] is not None and by_cmd["UPDATE"][1] is not None, table
            for qual, check in by_cmd.values():
                for expr in (qual, check):
                    if expr is not None:
                        assert "daiko.tenant_ids" in expr and " OR " not in expr.upper(), (
                            table,
                            expr,
                        )


async def test_tables_without_tenant_id_are_the_listed_global_ones(
    owner_engine: AsyncEngine, runtime: Runtime
) -> None:
    async with owner_engine.connect() as conn:
        rows = await conn.execute(
            text(
                """
                select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname = 'public' and c.relkind in ('r', 'p')
                   and not exists (select from pg_attribute a where a.attrelid = c.oid
                                   and a.attname = 'tenant_id' and not a.attisdropped)
                """
            )
        )
        unlisted = set(rows.scalars()) - GLOBAL_TABLES
    assert unlisted == set(), "global tables must be listed in daiko.db.base.GLOBAL_TABLES"


async def test_no_view_bypasses_rls(owner_engine: AsyncEngine, runtime: Runtime) -> None:
    async with owner_engine.connect() as conn:
        rows = await conn.execute(
            text(
                """
                select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname = 'public' and c.relkind in ('v', 'm')
                   and not coalesce('security_invoker=true' = any(c.reloptions), false)
                """
            )
        )
        assert list(rows.scalars()) == []


async def test_runtime_role_owns_nothing_and_cannot_bypass_rls(
    owner_engine: AsyncEngine, runtime: Runtime
) -> None:
    async with owner_engine.connect() as conn:
        role = (
            await conn.execute(
                text(
                    "select rolsuper, rolbypassrls, rolcanlogin, rolcreaterole, rolcreatedb"
                    " from pg_roles where rolname = :r"
                ),
                {"r": APP_ROLE},
            )
        ).one()
        assert tuple(role) == (False, False, True, False, False)
        owned = await conn.execute(
            text(
                "select c.relname from pg_class c join pg_roles r on r.oid = c.relowner"
                " where r.rolname = :r"
                " union all select p.proname from pg_proc p join pg_roles r on r.oid = p.proowner"
                " where r.rolname = :r"
            ),
            {"r": APP_ROLE},
        )
        assert list(owned.scalars()) == []
        system = (
            await conn.execute(
                text("select rolsuper, rolbypassrls from pg_roles where rolname = :r"),
                {"r": SYSTEM_ROLE},
            )
        ).one()
        assert tuple(system) == (False, True)


@pytest.fixture
async def seeded(owner_engine: AsyncEngine, world: World) -> World:
    await seed_everything(owner_engine, world)
    return world


@pytest.fixture
async def app_conn(runtime: Runtime) -> AsyncIterator[AsyncConnection]:
    async with runtime.db.app_engine.connect() as conn:
        yield conn


async def _scope(conn: AsyncConnection, *tenant_ids: uuid.UUID) -> None:
    await conn.execute(
        text("select set_config('daiko.tenant_ids', :v, true)"),
        {"v": ",".join(str(t) for t in tenant_ids)},
    )


async def _row_of(owner: AsyncEngine, table: str, tenant_id: uuid.UUID) -> dict[str, object] | None:
    async with owner.connect() as conn:
        row = (
            await conn.execute(
                text(f"select to_jsonb(t) from {table} t where tenant_id = :t limit 1"),
                {"t": tenant_id},
            )
        ).scalar()
        return dict(row) if row is not None else None


async def test_foreign_and_empty_scopes_see_and_change_nothing_in_any_tenant_table(
    owner_engine: AsyncEngine, seeded: World, runtime: Runtime
) -> None:
    a, b = seeded.tenant_a.id, seeded.tenant_b.id
    for table in await tenant_tables(owner_engine):
        row_b = await _row_of(owner_engine, table, b)
        assert row_b is not None, (
            f"{table}: no seed row for tenant B; add a seeder in tests/seeds.py"
        )
        async with runtime.db.app_engine.connect() as conn:
            # Positive control: in B's own scope the row is there, so the checks below can fail.
            async with conn.begin():
                await _scope(conn, b)
                seen = (
                    await conn.execute(
                        text(f"select count(*) from {table} where tenant_id = :b"), {"b": b}
                    )
                ).scalar()
                assert seen and seen > 0, table

            for scope in ((a,), ()):
                async with conn.begin() as tx:
                    await _scope(conn, *scope)
                    assert (
                        await conn.execute(
                            text(f"select count(*) from {table} where tenant_id = :b"), {"b": b}
                        )
                    ).scalar() == 0, (table, scope)
                    if not scope:
                        assert (
                            await conn.execute(text(f"select count(*) from {table}"))
                        ).scalar() == 0, table
                    changes = (
                        f"update {table} set tenant_id = tenant_id where tenant_id = :b",
                        f"delete from {table} where tenant_id = :b",
                    )
                    for sql in changes:
                        if table in APPEND_ONLY_TABLES:
                            # No UPDATE/DELETE privilege at all: refused before RLS.
                            with pytest.raises(DBAPIError, match="permission denied"):
                                async with conn.begin_nested():
                                    await conn.execute(text(sql), {"b": b})
                        else:
                            changed = await conn.execute(text(sql), {"b": b})
                            assert changed.rowcount == 0, (table, scope, sql)  # type: ignore[attr-defined]
                    await tx.rollback()
                # Inserting a copy of B's row (new id) must be refused by the policy.
                clone = dict(row_b, id=str(new_id()))
                async with conn.begin() as tx:
                    await _scope(conn, *scope)
                    with pytest.raises(DBAPIError, match="row-level security"):
                        await conn.execute(
                            text(
                                f"insert into {table} select * from jsonb_populate_record(null::{table}, cast(:r as jsonb))"
                            ),
                            {"r": __import__("json").dumps(clone, default=str)},
                        )
                    await tx.rollback()
            # An update in A's scope may not move A's row into B either.
            row_a = await _row_of(owner_engine, table, a)
            if row_a is not None:
                async with conn.begin() as tx:
                    await _scope(conn, a)
                    refusal = (
                        "permission denied" if table in APPEND_ONLY_TABLES else "row-level security"
                    )
                    with pytest.raises(DBAPIError, match=refusal):
                        await conn.execute(
                            text(f"update {table} set tenant_id = :b where tenant_id = :a"),
                            {"a": a, "b": b},
                        )
                    await tx.rollback()


async def test_scope_is_transaction_local_on_pooled_connections(
    runtime: Runtime, world: World
) -> None:
    from daiko.tenancy.scope import scope_of_tenant

    async with runtime.db.session(scope_of_tenant(world.tenant_a.id)) as s:
        assert (await s.execute(text("select count(*) from memberships"))).scalar() == 3
    # The next transaction on the (pooled) connection starts with no scope at all.
    async with runtime.db.app_engine.connect() as conn:
        value = (
            await conn.execute(text("select current_setting('daiko.tenant_ids', true)"))
        ).scalar()
        assert value in (None, "")
        assert (await conn.execute(text("select count(*) from memberships"))).scalar() == 0
