"""No Docker engine runs here, so the compose file is checked by reading it: every
service command that runs Daiko is a real `daiko` CLI command, every `DAIKO_*` variable is
a real setting, and production mode accepts the environment it sets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from daiko.cli import cli
from daiko.config import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return data


def daiko_services() -> dict[str, dict[str, Any]]:
    return {
        name: svc
        for name, svc in compose()["services"].items()
        if svc.get("image") == "daiko:local" or "build" in svc
    }


def test_stack_has_the_production_shape() -> None:
    services = compose()["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["rabbitmq"]["image"].startswith("rabbitmq:3-management")
    assert services["minio"]["image"].startswith("minio/minio")
    assert set(daiko_services()) == {"migrate", "api", "workers", "scheduler"}
    assert (REPO / daiko_services()["api"]["build"]["dockerfile"]).is_file()


@pytest.mark.parametrize("service", ["migrate", "api", "workers", "scheduler"])
def test_command_exists_in_cli(service: str) -> None:
    command = daiko_services()[service]["command"]
    assert command[0] == "daiko"
    ctx = click.Context(cli)
    group: click.Command = cli
    args = list(command[1:])
    while isinstance(group, click.Group) and args and not args[0].startswith("-"):
        sub = group.get_command(ctx, args[0])
        assert sub is not None, f"{service}: `daiko {' '.join(command[1:])}` is not a command"
        group, args = sub, args[1:]
    # The remaining options parse against that command.
    group.make_context(group.name or "", args, parent=ctx)


@pytest.mark.parametrize("service", ["migrate", "api", "workers", "scheduler"])
def test_env_is_real_settings_and_production_accepts_it(service: str) -> None:
    env = daiko_services()[service]["environment"]
    fields = {f"DAIKO_{name.upper()}" for name in Settings.model_fields}
    daiko_vars = {k for k in env if k.startswith("DAIKO_")}
    assert daiko_vars - fields == set()
    assert {k for k in env if not k.startswith("DAIKO_")} <= {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    }
    settings = load_settings(
        **{k.removeprefix("DAIKO_").lower(): v for k, v in env.items() if k in daiko_vars}
    )
    assert settings.env == "production"


def test_dockerfile_copies_what_the_image_needs() -> None:
    text = (REPO / "infra" / "Dockerfile").read_text()
    for path in ("src", "workers", "tenants", "alembic.ini", "uv.lock"):
        assert path in text
    assert 'CMD ["daiko", "serve"]' in text
