"""`daiko cases …`: case chores for operators.

    daiko cases open-recurring [--date YYYY-MM-DD] [--dry-run] [--tenant SLUG]

Opens each period's recurring cases as the scheduler does (exactly once: running it
again, or beside the scheduler, opens nothing twice). Exit code 1 when a tenant failed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys

import click


@click.group()
def group() -> None:
    """Cases (案件): recurring cases."""


group.name = "cases"


@group.command("open-recurring")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to open cases for (default: today in Japan).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be opened; change nothing.")
@click.option("--tenant", "slug", default=None, help="Only this tenant (slug).")
def open_recurring_command(day: dt.datetime | None, dry_run: bool, slug: str | None) -> None:
    """Open the recurring cases due on a day, for every active tenant."""
    from daiko.cases.recurring import TOKYO, RecurringReport, open_recurring
    from daiko.cli import settings_with_embedded_database
    from daiko.config import get_settings
    from daiko.db.engine import Database

    today = day.date() if day is not None else dt.datetime.now(TOKYO).date()

    async def run() -> RecurringReport:
        db = Database(settings_with_embedded_database(get_settings()))
        try:
            return await open_recurring(db, today, dry_run=dry_run, slug=slug)
        finally:
            await db.dispose()

    report = asyncio.run(run())
    verb = "would open" if dry_run else "opened"
    for tenant, title in report.created:
        click.echo(f"{tenant}: {verb} {title}")
    for tenant, title in report.existing:
        click.echo(f"{tenant}: already open {title}")
    for tenant, error in sorted(report.failed.items()):
        click.secho(f"{tenant}: failed: {error}", fg="red", err=True)
    click.echo(
        f"{today.isoformat()}: {len(report.created)} {verb}, {len(report.existing)} already open"
        + (f", {len(report.failed)} tenants failed" if report.failed else "")
    )
    if report.failed:
        sys.exit(1)
