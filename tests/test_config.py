"""Settings: bad values fail with one line naming the variable; production refuses
development secrets; the CLI turns an unreachable database into one line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from daiko.config import ConfigError, load_settings, redact_url


@pytest.mark.parametrize(
    ("field", "value", "setting", "reason"),
    [
        (
            "database_url",
            "mysql://x@y/z",
            "DAIKO_DATABASE_URL",
            "must be a postgresql:// URL (got scheme 'mysql')",
        ),
        (
            "broker_url",
            "kafka://k:9092",
            "DAIKO_BROKER_URL",
            "must be redis://, unix:// or amqp:// (got scheme 'kafka')",
        ),
        (
            "storage_url",
            "gs://bucket",
            "DAIKO_STORAGE_URL",
            "must be s3://bucket?endpoint=… or file://path (got 'gs')",
        ),
        (
            "storage_url",
            "s3://?endpoint=http://x",
            "DAIKO_STORAGE_URL",
            "s3:// URL names no bucket (s3://bucket?endpoint=…)",
        ),
        ("port", "99999", "DAIKO_PORT", "Input should be less than or equal to 65535"),
    ],
)
def test_bad_setting_names_the_variable(field: str, value: str, setting: str, reason: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(**{field: value})
    assert (err.value.setting, err.value.reason) == (setting, reason)
    assert "\n" not in str(err.value)


def test_production_refuses_development_secrets() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(
            env="production",
            database_url="postgresql://u@db/daiko",
            broker_url="amqp://g@mq//",
            storage_url="s3://b",
        )
    assert err.value.setting == "DAIKO_SECRET_KEY"
    assert err.value.reason == "production refuses the development default"


def test_production_accepts_real_secrets() -> None:
    s = load_settings(
        env="production",
        database_url="postgresql://u@db/daiko",
        broker_url="amqp://g@mq//",
        storage_url="s3://b",
        secret_key="k" * 40,
        master_key="bWFzdGVyLWtleS0zMi1ieXRlcy1sb25nLi4uLi4uLi4=",
        app_db_password="app-pw",
        system_db_password="sys-pw",
    )
    assert s.secure_cookies is True
    assert "k" * 40 not in repr(s)  # secrets are SecretStr: never printed


def test_redact_url_hides_password() -> None:
    assert redact_url("postgresql://u:hunter2@db:5432/x") == "postgresql://u:***@db:5432/x"
    assert redact_url(None) == "(embedded)"


def _daiko(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DAIKO_")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "daiko.cli", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_bad_url_is_one_line() -> None:
    r = _daiko("db", "current", DAIKO_BROKER_URL="kafka://x")
    assert r.returncode == 2
    assert (
        r.stderr
        == "error: DAIKO_BROKER_URL: must be redis://, unix:// or amqp:// (got scheme 'kafka')\n"
    )


def test_cli_unreachable_database_is_one_line() -> None:
    r = _daiko("db", "upgrade", DAIKO_DATABASE_URL="postgresql://postgres@127.0.0.1:1/daiko")
    assert r.returncode == 2
    assert r.stderr.startswith("error: DAIKO_DATABASE_URL: cannot connect to the database (")
    assert r.stderr.count("\n") == 1
    assert "Traceback" not in r.stderr
