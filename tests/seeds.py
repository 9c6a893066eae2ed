"""Rows in every tenant table, for the generated isolation tests.

The isolation test walks the catalog; a tenant table with no seed row fails it, so a new
table cannot slip past. Each domain adds `tests/<domain>/seed.py` with
`async def seed(engine, world)` writing at least one row per table for tenant B (and A
where useful); they are found here by name, so domains never edit this file.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import World

Seeder = Callable[[AsyncEngine, World], Awaitable[None]]
TESTS = Path(__file__).resolve().parent


def seeders() -> list[Seeder]:
    # memberships and operator_assignments are seeded by the world itself.
    found: list[Seeder] = []
    for path in sorted(TESTS.glob("*/seed.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.seed")
        found.append(module.seed)
    return found


async def seed_everything(engine: AsyncEngine, world: World) -> None:
    for seeder in seeders():
        await seeder(engine, world)
