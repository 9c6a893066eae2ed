"""The `daiko` command. Every process of the system starts here:

    daiko dev                      everything, embedded services, one terminal
    daiko serve | worker | scheduler   one process each (production, compose)
    daiko db upgrade|downgrade|current
    daiko tenants apply [--dry-run] | export SLUG

A wrong setting or an unreachable service ends with one line naming the setting.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import click

from daiko.config import ConfigError, Settings, get_settings, load_settings

T = TypeVar("T")


def fail(message: str, code: int = 2) -> NoReturn:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def settings_with_embedded_database(settings: Settings) -> Settings:
    """Commands that only need PostgreSQL use the embedded server when no URL is set."""
    if settings.database_url is None:
        from daiko.embedded import ensure_dev_database_url

        settings = settings.model_copy(update={"database_url": ensure_dev_database_url(settings)})
    return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="daiko")
def cli() -> None:
    """Daiko (代行): multi-tenant back-office outsourcing portal."""


@cli.command()
@click.option("--port", type=int, default=None, help="API port (default DAIKO_PORT, 8000).")
@click.option("--no-workers", is_flag=True, help="Run only the API and the scheduler.")
def dev(port: int | None, no_workers: bool) -> None:
    """Run api + workers + scheduler on the embedded services, demo tenants loaded."""
    from daiko.devserver import run_dev

    settings = get_settings()
    if port is not None:
        settings = settings.model_copy(
            update={"port": port, "base_url": f"http://127.0.0.1:{port}"}
        )
    sys.exit(run_dev(settings, with_workers=not no_workers))


@cli.command()
@click.option("--host", default=None, help="Bind address (default DAIKO_HOST).")
@click.option("--port", type=int, default=None, help="Port (default DAIKO_PORT).")
@click.option("--workers", "processes", type=int, default=1, show_default=True)
def serve(host: str | None, port: int | None, processes: int) -> None:
    """Serve the API and pages with uvicorn."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "daiko.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=processes,
        access_log=False,
        proxy_headers=True,
        log_config=None,
    )


@cli.command()
@click.option("--processes", type=int, default=1, show_default=True)
@click.option("--threads", type=int, default=4, show_default=True)
@click.option("--queues", "-Q", multiple=True, help="Only these queues (default: all).")
def worker(processes: int, threads: int, queues: tuple[str, ...]) -> None:
    """Run the Dramatiq workers (the `workers` package)."""
    settings = get_settings()
    if settings.broker_url is None:
        fail("DAIKO_BROKER_URL: not set (run through `daiko dev`, or set redis:// or amqp://)")
    args = [
        sys.executable,
        "-m",
        "dramatiq",
        "workers",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
    ]
    if queues:
        args += ["--queues", *queues]
    os.execv(sys.executable, args)


@cli.command()
def scheduler() -> None:
    """Run the scheduler: periodic jobs and the outbox relay (one leader at a time)."""
    from daiko.scheduler import run_scheduler

    run(run_scheduler(get_settings()))


@cli.group()
def db() -> None:
    """Database migrations (run as the owner role)."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Create the runtime roles and migrate to REVISION (default head)."""
    from daiko.db.migrate import upgrade

    settings = settings_with_embedded_database(get_settings())
    run(upgrade(settings, revision))
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate down to REVISION (e.g. -1, base)."""
    from daiko.db.migrate import downgrade

    settings = settings_with_embedded_database(get_settings())
    run(downgrade(settings, revision))
    click.echo(f"database at {revision}")


@db.command("current")
def db_current() -> None:
    """Show the database's revision."""
    from daiko.db.migrate import current

    settings = settings_with_embedded_database(get_settings())
    click.echo(run(current(settings)))


def _add_domain_commands() -> None:
    """Each domain may ship `daiko.<domain>.cli` with a click `group` (e.g. `tenants`)."""
    import importlib
    import importlib.util

    from daiko.app import DOMAINS

    for domain in DOMAINS:
        if importlib.util.find_spec(f"daiko.{domain}") is None:
            continue
        if importlib.util.find_spec(f"daiko.{domain}.cli") is None:
            continue
        module = importlib.import_module(f"daiko.{domain}.cli")
        cli.add_command(module.group)


_add_domain_commands()


def _connection_hint(exc: BaseException) -> str | None:
    """One line for the errors a user causes by configuration, not a traceback."""
    import socket

    names = {
        "ConnectionRefusedError",
        "InvalidPasswordError",
        "InvalidCatalogNameError",
        "InvalidAuthorizationSpecificationError",
        "CannotConnectNowError",
        "gaierror",
        "TimeoutError",
        "OperationalError",
        "InterfaceError",
    }
    chain: BaseException | None = exc
    while chain is not None:
        if type(chain).__name__ in names or isinstance(chain, OSError | socket.gaierror):
            reason = f"{type(chain).__name__}: {chain}"
            return f"DAIKO_DATABASE_URL: cannot connect to the database ({reason})"
        chain = chain.__cause__ or chain.__context__
    return None


def main() -> None:
    try:
        load_settings()
        cli.main(standalone_mode=False)
    except ConfigError as exc:
        fail(str(exc))
    except click.exceptions.Abort:
        fail("aborted", 130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        hint = _connection_hint(exc)
        if hint is None:
            raise
        fail(hint)


if __name__ == "__main__":
    main()
