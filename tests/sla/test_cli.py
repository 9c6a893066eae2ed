"""`daiko sla due` as operators and other tools call it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.cli import cli
from daiko.config import Settings
from daiko.tenancy.models import Tenant
from tests.factories import World


@pytest.mark.parametrize(
    ("args", "out"),
    [
        (["--calendar", "jp", "--start", "2026-04-28", "--business-days", "3"], "2026-05-07\n"),
        (
            ["--calendar", "jp", "--start", "2026-04-28T17:00+09:00", "--business-hours", "4"],
            "2026-04-30T12:00+09:00\n",
        ),
        (["--calendar", "jp-gov", "--start", "2026-12-28", "--business-days", "1"], "2027-01-04\n"),
        (["--start", "2026-05-07", "--business-days", "-3"], "2026-04-28\n"),
    ],
)
def test_due(args: list[str], out: str) -> None:
    result = CliRunner().invoke(cli, ["sla", "due", *args])
    assert (result.exit_code, result.output) == (0, out)


def test_due_needs_exactly_one_amount() -> None:
    result = CliRunner().invoke(cli, ["sla", "due", "--start", "2026-04-28"])
    assert result.exit_code == 2
    assert "give exactly one of --business-days and --business-hours" in result.output


async def test_due_on_a_tenant_calendar(
    settings: Settings, owner_engine: AsyncEngine, world: World
) -> None:
    async with owner_engine.begin() as conn:
        await conn.execute(
            update(Tenant)
            .where(Tenant.id == world.tenant_a.id)
            .values(
                settings={
                    "calendar": {
                        "working_hours": {"start": "08:30:00", "end": "17:30:00"},
                        "closures": [
                            {
                                "label": "夏季休業",
                                "start": {"month": 8, "day": 13},
                                "end": {"month": 8, "day": 16},
                            }
                        ],
                        "extra_days_off": ["2026-08-12"],
                    }
                }
            )
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAIKO_")}
    env["DAIKO_DATABASE_URL"] = str(settings.database_url)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "daiko.cli",
            "sla",
            "due",
            "--calendar",
            "tenant-a",
            "--start",
            "2026-08-11T16:30",
            "--business-hours",
            "2",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # 8/11 山の日 (holiday), 8/12 extra day off, 8/13–16 Obon (and a weekend): 8/17 at 08:30 + 2 h
    assert (run.returncode, run.stdout) == (0, "2026-08-17T10:30+09:00\n"), run.stderr
