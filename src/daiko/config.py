"""Settings: every knob is a `DAIKO_*` environment variable (or a line in `.env`).

Each backing service is chosen by one URL with an embedded default (see DESIGN.md), so a
fresh machine runs everything with no Docker. Secrets are `SecretStr` and never logged;
URLs are shown redacted. A bad value fails with one line naming the variable.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "dev-secret-key-change-me-in-production-0000000000"  # noqa: S105
# 32 zero bytes, base64: a development master key that production refuses.
DEV_MASTER_KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
DEV_DB_PASSWORD = "daiko-dev"  # noqa: S105

APP_ROLE = "daiko_app"
SYSTEM_ROLE = "daiko_system"


class ConfigError(Exception):
    """A setting is missing or wrong; `str()` is one line naming the variable."""

    def __init__(self, setting: str, reason: str) -> None:
        self.setting = setting
        self.reason = reason
        super().__init__(f"{setting}: {reason}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DAIKO_", env_file=".env", extra="ignore", validate_default=True
    )

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path(".daiko")

    # PostgreSQL. `database_url` is the owner role (migrations); the application
    # connects as `daiko_app` and the scheduler's set-wise sweeps as `daiko_system`,
    # on the same server and database unless their URLs are given.
    database_url: str | None = None
    app_database_url: str | None = None
    system_database_url: str | None = None
    app_db_password: SecretStr = SecretStr(DEV_DB_PASSWORD)
    system_db_password: SecretStr = SecretStr(DEV_DB_PASSWORD)
    db_pool_size: int = Field(default=10, ge=1, le=200)

    broker_url: str | None = None
    storage_url: str | None = None
    smtp_url: str | None = None
    mail_from: str = "Daiko <no-reply@daiko.localhost>"

    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    master_key: SecretStr = SecretStr(DEV_MASTER_KEY)

    # Single sign-on through an OpenID Connect provider (operators, and client users of
    # tenants without their own provider). Tenants name their own IdP in their YAML.
    oidc_discovery_url: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None

    # Partner API: webhook targets on loopback (local development only; private,
    # link-local and reserved addresses are always refused), the receiver's time limit,
    # and the rate limit per partner client and tenant (requests per window, GCRA).
    webhooks_allow_loopback: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    rate_limit: int = Field(default=600, ge=1, le=1_000_000)
    rate_limit_window: int = Field(default=60, ge=1, le=86_400)
    # The e-Gov filing backend. Only the recording double exists: real submission needs
    # a registered software ID and credentials (see daiko.social_insurance.egov).
    egov: Literal["recording"] = "recording"

    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["console", "json"] | None = None

    @field_validator("database_url", "app_database_url", "system_database_url")
    @classmethod
    def _postgres_url(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        scheme = urlsplit(v).scheme
        if scheme not in {"postgresql", "postgres", "postgresql+asyncpg"}:
            raise ValueError(f"must be a postgresql:// URL (got scheme {scheme or 'none'!r})")
        parts = urlsplit(v)
        if not parts.hostname and "host=" not in parts.query:
            raise ValueError("names no host")
        return v

    @field_validator("broker_url")
    @classmethod
    def _broker_url(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        scheme = urlsplit(v).scheme
        if scheme not in {"redis", "rediss", "unix", "amqp", "amqps"}:
            raise ValueError(
                f"must be redis://, unix:// or amqp:// (got scheme {scheme or 'none'!r})"
            )
        return v

    @field_validator("storage_url")
    @classmethod
    def _storage_url(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        parts = urlsplit(v)
        if parts.scheme == "s3":
            if not parts.netloc:
                raise ValueError("s3:// URL names no bucket (s3://bucket?endpoint=…)")
            endpoint = parse_qs(parts.query).get("endpoint", [None])[0]
            if endpoint is not None and urlsplit(endpoint).scheme not in {"http", "https"}:
                raise ValueError("endpoint must be an http(s) URL")
            return v
        if parts.scheme == "file":
            return v
        raise ValueError(f"must be s3://bucket?endpoint=… or file://path (got {parts.scheme!r})")

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if urlsplit(v).scheme not in {"smtp", "smtps", "smtp+starttls"}:
            raise ValueError("must be smtp://, smtps:// or smtp+starttls://")
        return v

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Settings:
        if self.env != "production":
            return self
        checks = {
            "DAIKO_SECRET_KEY": self.secret_key.get_secret_value() == DEV_SECRET_KEY,
            "DAIKO_MASTER_KEY": self.master_key.get_secret_value() == DEV_MASTER_KEY,
            "DAIKO_APP_DB_PASSWORD": self.app_db_password.get_secret_value() == DEV_DB_PASSWORD,
            "DAIKO_SYSTEM_DB_PASSWORD": self.system_db_password.get_secret_value()
            == DEV_DB_PASSWORD,
        }
        for name, is_dev in checks.items():
            if is_dev:
                raise ValueError(f"{name}: production refuses the development default")
        if len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("DAIKO_SECRET_KEY: must be at least 32 characters in production")
        if self.webhooks_allow_loopback:
            raise ValueError("DAIKO_WEBHOOKS_ALLOW_LOOPBACK: only for local development")
        for name, url in (
            ("DAIKO_DATABASE_URL", self.database_url),
            ("DAIKO_BROKER_URL", self.broker_url),
            ("DAIKO_STORAGE_URL", self.storage_url),
        ):
            if url is None:
                raise ValueError(f"{name}: production needs a real service, not the embedded one")
        return self

    @property
    def is_dev(self) -> bool:
        return self.env == "development"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://") or self.env == "production"


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's report into one `ConfigError` line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"][0] if err["loc"] else ""
        msg = str(err["msg"]).removeprefix("Value error, ")
        if loc:
            raise ConfigError(f"DAIKO_{str(loc).upper()}", msg) from None
        setting, _, reason = msg.partition(": ")
        raise ConfigError(setting, reason or msg) from None


@functools.cache
def get_settings() -> Settings:
    return load_settings()


def redact_url(url: str | None) -> str:
    """The URL with any password replaced, for logs and the dev banner."""
    if not url:
        return "(embedded)"
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url
