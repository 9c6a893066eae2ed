"""Set-wise SLA reads across tenants, as `daiko_system` (BYPASSRLS): the one module of
the SLA domain that names that role's engine.

Only the scheduler (and `daiko sla scan`, `bench/sla.py`) calls these. They only read:
which clocks have a threshold due (an indexed range query on `next_event_at`), and
which tenants' unsettled clocks were computed under a policy that has since changed.
Every write that follows runs in the tenant's own scope, so RLS vets it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from daiko.db.engine import Database


@dataclass(frozen=True)
class DueClock:
    tenant_id: uuid.UUID
    id: uuid.UUID
    case_id: uuid.UUID
    clock: str
    kind: str
    level_done: int
    warn1_pct: int
    warn2_pct: int
    warn1_at: dt.datetime | None
    warn2_at: dt.datetime | None
    breach_at: dt.datetime | None
    due_at: dt.datetime | None


_DUE = text(
    """
    select tenant_id, id, case_id, clock, kind, level_done, warn1_pct, warn2_pct,
           warn1_at, warn2_at, breach_at, due_at
      from sla_clocks
     where next_event_at <= :now
     order by next_event_at
     limit :limit
    """
)


async def due_clocks(db: Database, now: dt.datetime, limit: int) -> list[DueClock]:
    """Clocks of every tenant with an unrecorded threshold at or before `now`."""
    async with db.system_engine.connect() as conn:
        rows = await conn.execute(_DUE, {"now": now, "limit": limit})
        return [DueClock(**r._mapping) for r in rows]


_UNSETTLED_POLICIES = text(
    "select distinct tenant_id, policy_hash from sla_clocks where settled_at is null"
)
_TENANTS = text("select id, slug, time_zone, settings from tenants where id = any(:ids)")
_OVERRIDES = text("select * from sla_policies where tenant_id = any(:ids)")


@dataclass(frozen=True)
class TenantPolicyRows:
    tenant: dict[str, Any]
    overrides: list[dict[str, Any]]


async def unsettled_policy_hashes(
    db: Database,
) -> tuple[dict[uuid.UUID, set[str]], dict[uuid.UUID, TenantPolicyRows]]:
    """Per tenant with unsettled clocks: the policy fingerprints they were computed
    under, and the tenant's current settings and overrides to compare with."""
    seen: dict[uuid.UUID, set[str]] = defaultdict(set)
    async with db.system_engine.connect() as conn:
        for r in await conn.execute(_UNSETTLED_POLICIES):
            seen[r.tenant_id].add(r.policy_hash)
        ids = list(seen)
        tenants = {r.id: dict(r._mapping) for r in await conn.execute(_TENANTS, {"ids": ids})}
        overrides: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
        for r in await conn.execute(_OVERRIDES, {"ids": ids}):
            overrides[r.tenant_id].append(dict(r._mapping))
    current = {
        tid: TenantPolicyRows(tenant=row, overrides=overrides.get(tid, []))
        for tid, row in tenants.items()
    }
    return dict(seen), current
