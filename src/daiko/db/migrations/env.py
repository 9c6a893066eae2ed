"""Alembic environment. Runs as the owner role; creates the runtime roles first and
grants them their privileges after, so `alembic upgrade head` and `daiko db upgrade`
leave the same database. With no `DAIKO_DATABASE_URL` it uses the embedded server."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from daiko.config import get_settings
from daiko.db.base import Base
from daiko.db.bootstrap import ensure_roles, grant_runtime_privileges
from daiko.db.models import load_all_models
from daiko.db.urls import owner_url

load_all_models()
config = context.config
target_metadata = Base.metadata


def _include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    return True


def _run(connection: Connection) -> None:
    settings = get_settings()
    ensure_roles(connection, settings)
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=False,
        include_object=_include_object,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()
    grant_runtime_privileges(connection)
    connection.commit()


async def _run_async() -> None:
    settings = get_settings()
    if settings.database_url is None:
        from daiko.embedded import ensure_dev_database_url

        settings.database_url = ensure_dev_database_url(settings)
    engine = create_async_engine(owner_url(settings))
    async with engine.connect() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_async())
