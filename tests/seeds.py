"""Rows in every tenant table, for the generated isolation tests.

The isolation test walks the catalog; a tenant table with no seed row fails it, so a new
table cannot slip past. Each domain adds `tests/<domain>/seed.py` with
`async def seed(engine, world)` writing at least one row per table for tenant B (and A
where useful); they are found here by name, so domains never edit this file.

A seeder returns the path-parameter values of tenant A's objects it created, e.g.
`{"job_id": "0190…"}`: the generated route matrix calls every route that takes an id
with tenant A's real object as a member of tenant B (→ 404), anonymously (→ 401) and
with a too-weak role (→ 403).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import World

Seeder = Callable[[AsyncEngine, World], Awaitable[Mapping[str, str] | None]]
TESTS = Path(__file__).resolve().parent


def seeders() -> list[Seeder]:
    # memberships and operator_assignments are seeded by the world itself.
    found: list[Seeder] = []
    for path in sorted(TESTS.glob("*/seed.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.seed")
        found.append(module.seed)
    return found


async def seed_everything(engine: AsyncEngine, world: World) -> dict[str, str]:
    """Run every seeder; return tenant A's path-parameter values, merged."""
    params: dict[str, str] = {"tenant_id": str(world.tenant_a.id)}
    for seeder in seeders():
        params.update(await seeder(engine, world) or {})
    return params
