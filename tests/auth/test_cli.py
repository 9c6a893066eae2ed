"""`daiko auth …` commands, run through click against the test database."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

import anyio
import httpx
import pytest
from click.testing import CliRunner, Result

from daiko.cli import cli
from daiko.config import Settings, get_settings
from daiko.runtime import Runtime
from tests.auth.conftest import Clock


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    assert settings.database_url is not None
    monkeypatch.setenv("DAIKO_ENV", "test")
    monkeypatch.setenv("DAIKO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DAIKO_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def invoke(*args: str) -> Result:
    # The command runs its own event loop (asyncio.run), so it gets a thread of its own.
    return await anyio.to_thread.run_sync(lambda: CliRunner().invoke(cli, list(args)))


async def test_create_partner_prints_credentials_that_work(
    cli_env: None, client: httpx.AsyncClient, runtime: Runtime, clock: Clock
) -> None:
    bad = await invoke("auth", "create-partner", "Acme", "--scopes", "root:all")
    assert bad.exit_code == 2
    assert "unknown: root:all" in bad.output
    result = await invoke("auth", "create-partner", "Acme HR", "--scopes", "employees:read")
    assert result.exit_code == 0, result.output
    client_id = re.search(r"client_id:\s+(\S+)", result.output)
    secret = re.search(r"client_secret:\s+(\S+)", result.output)
    assert client_id and secret
    basic = base64.b64encode(f"{client_id[1]}:{secret[1]}".encode()).decode()
    r = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert r.status_code == 200
    assert r.json()["scope"] == "employees:read"

    rotated = await invoke("auth", "rotate-keys")
    assert rotated.exit_code == 0, rotated.output
    assert len((await client.get("/.well-known/jwks.json")).json()["keys"]) == 2


async def test_create_operator_prints_a_password_link(
    cli_env: None, client: httpx.AsyncClient, runtime: Runtime, clock: Clock
) -> None:
    result = await invoke("auth", "create-operator", "New.Op@Daiko.example", "--ops-admin")
    assert result.exit_code == 0, result.output
    assert "operator new.op@daiko.example created (ops_admin)" in result.output
    token = re.search(r"/auth/password-reset/confirm\?token=(\S+)", result.output)
    assert token
    r = await client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token[1], "password": "a long and private passphrase"},
    )
    assert r.status_code == 200
    login = await client.post(
        "/api/v1/auth/login",
        json={"email": "new.op@daiko.example", "password": "a long and private passphrase"},
    )
    assert login.json()["mfa_pending"] is True  # operators always enrol TOTP
    again = await invoke("auth", "create-operator", "new.op@daiko.example")
    assert again.exit_code == 1
    assert "already has an account" in again.output
