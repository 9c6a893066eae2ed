"""Row-level security DDL, used by migrations for every tenant table.

One policy per command, each a single indexable comparison with the setting read once
per statement through an InitPlan (`(select …)`): anything richer (OR chains, volatile
functions) costs 10× and more. Unset or empty scope → empty array → no row visible and
no row writable (fail closed).
"""

from __future__ import annotations

SCOPE_EXPR = (
    "(select string_to_array(nullif(current_setting('daiko.tenant_ids', true), ''), ','))::uuid[]"
)
TENANT_PREDICATE = f"tenant_id = any ({SCOPE_EXPR})"


def enable_rls_sql(table: str) -> list[str]:
    p = TENANT_PREDICATE
    return [
        f"alter table {table} enable row level security",
        f"alter table {table} force row level security",
        f"create policy {table}_select on {table} for select using ({p})",
        f"create policy {table}_insert on {table} for insert with check ({p})",
        f"create policy {table}_update on {table} for update using ({p}) with check ({p})",
        f"create policy {table}_delete on {table} for delete using ({p})",
    ]


def disable_rls_sql(table: str) -> list[str]:
    return [
        *(
            f"drop policy if exists {table}_{cmd} on {table}"
            for cmd in ("select", "insert", "update", "delete")
        ),
        f"alter table {table} no force row level security",
        f"alter table {table} disable row level security",
    ]
