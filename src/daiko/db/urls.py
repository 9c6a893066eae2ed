"""Connection URLs for the three roles, derived from the owner's URL unless given."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url

from daiko.config import APP_ROLE, SYSTEM_ROLE, ConfigError, Settings


def _async(url: URL) -> URL:
    return url.set(drivername="postgresql+asyncpg")


def owner_url(settings: Settings) -> URL:
    if settings.database_url is None:
        raise ConfigError(
            "DAIKO_DATABASE_URL",
            "not set (run through `daiko dev`, or set it to a postgresql:// URL)",
        )
    return _async(make_url(settings.database_url))


def app_url(settings: Settings) -> URL:
    if settings.app_database_url:
        return _async(make_url(settings.app_database_url))
    return owner_url(settings).set(
        username=APP_ROLE, password=settings.app_db_password.get_secret_value()
    )


def system_url(settings: Settings) -> URL:
    if settings.system_database_url:
        return _async(make_url(settings.system_database_url))
    return owner_url(settings).set(
        username=SYSTEM_ROLE, password=settings.system_db_password.get_secret_value()
    )


def libpq_dsn(url: URL) -> str:
    """A plain `postgresql://` DSN (for asyncpg.connect / psycopg style callers)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)
