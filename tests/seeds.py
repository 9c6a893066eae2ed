"""Rows in every tenant table, for the generated isolation tests.

The isolation test walks the catalog; a tenant table with no seed row fails it, so a new
table cannot slip past. Each domain appends a seeder here: it receives the owner engine
and the world, and writes at least one row per table for tenant B (and A where useful).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import World

Seeder = Callable[[AsyncEngine, World], Awaitable[None]]

# memberships and operator_assignments are seeded by the world itself.
SEEDERS: list[Seeder] = []


async def seed_everything(engine: AsyncEngine, world: World) -> None:
    for seeder in SEEDERS:
        await seeder(engine, world)
