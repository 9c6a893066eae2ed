"""Run Alembic from code (the CLI, `daiko dev` and the test harness share this)."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from daiko.config import Settings
from daiko.db.urls import owner_url


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("daiko.db") / "migrations"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


async def _with_connection(settings: Settings, fn: str, *args: str) -> None:
    engine = create_async_engine(owner_url(settings))
    try:
        async with engine.connect() as conn:
            await conn.run_sync(lambda c: getattr(command, fn)(alembic_config(c), *args))
    finally:
        await engine.dispose()


async def upgrade(settings: Settings, revision: str = "head") -> None:
    await _with_connection(settings, "upgrade", revision)


async def downgrade(settings: Settings, revision: str) -> None:
    await _with_connection(settings, "downgrade", revision)


async def current(settings: Settings) -> str:
    """The database's revision(s), e.g. `0001 (head)`."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    engine = create_async_engine(owner_url(settings))
    try:
        async with engine.connect() as conn:
            revs = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_heads())
    finally:
        await engine.dispose()
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    if not revs:
        return "(empty database: run `daiko db upgrade`)"
    return ", ".join(f"{r} (head)" if r in heads else r for r in revs)
