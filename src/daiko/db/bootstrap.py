"""Roles and grants: the same on the embedded server and on an external PostgreSQL.

`daiko_app` logs in, owns nothing, and cannot bypass RLS; `daiko_system` can (BYPASSRLS)
and is used only by the scheduler's set-wise sweeps. The owner (whoever
`DAIKO_DATABASE_URL` names) runs migrations and owns every table.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from daiko.config import APP_ROLE, SYSTEM_ROLE, Settings
from daiko.db.base import APPEND_ONLY_TABLES


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ensure_roles(conn: Connection, settings: Settings) -> None:
    """Create or update the two runtime roles. Idempotent, safe to race (two test runs
    bootstrapping one server at once)."""
    roles = (
        (APP_ROLE, settings.app_db_password.get_secret_value(), "NOBYPASSRLS"),
        (SYSTEM_ROLE, settings.system_db_password.get_secret_value(), "BYPASSRLS"),
    )
    for name, password, bypass in roles:
        pw = _quote_literal(password)
        conn.execute(
            text(
                f"""
                do $$ begin
                  if not exists (select from pg_roles where rolname = '{name}') then
                    begin
                      create role {name} login {bypass} nosuperuser nocreatedb nocreaterole
                        password {pw};
                    exception when duplicate_object or unique_violation then null;
                    end;
                  end if;
                  alter role {name} login {bypass} nosuperuser nocreatedb nocreaterole
                    password {pw};
                end $$;
                """
            )
        )


def grant_runtime_privileges(conn: Connection) -> None:
    """After migrations: the runtime roles may use the schema and its tables, nothing
    more. Append-only tables revoke UPDATE/DELETE in their own migrations."""
    db = conn.execute(text("select current_database()")).scalar_one()
    for role in (APP_ROLE, SYSTEM_ROLE):
        conn.execute(text(f'grant connect on database "{db}" to {role}'))
        conn.execute(text(f"grant usage on schema public to {role}"))
        conn.execute(
            text(f"grant select, insert, update, delete on all tables in schema public to {role}")
        )
        conn.execute(text(f"grant usage, select on all sequences in schema public to {role}"))
        conn.execute(text(f"grant execute on all functions in schema public to {role}"))
    # Neither runtime role may touch the migration bookkeeping.
    conn.execute(text(f"revoke all on alembic_version from {APP_ROLE}, {SYSTEM_ROLE}"))
    for table in sorted(APPEND_ONLY_TABLES):
        exists = conn.execute(text("select to_regclass(:t)"), {"t": table}).scalar()
        if exists is not None:
            conn.execute(
                text(f"revoke update, delete, truncate on {table} from {APP_ROLE}, {SYSTEM_ROLE}")
            )
