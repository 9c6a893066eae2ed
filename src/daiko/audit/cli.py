"""`daiko audit verify [--tenant SLUG]`: walk every tenant's hash chain.

Exits 0 when every chain is intact, 1 naming each tenant and the first broken seq
otherwise (a cron job or CI step alerts on the exit code), 2 on bad input.
"""

from __future__ import annotations

import sys

import click

from daiko.config import Settings, get_settings


def _settings(ctx: click.Context) -> Settings:
    from daiko.cli import settings_with_embedded_database

    given = (ctx.obj or {}).get("settings") if isinstance(ctx.obj, dict) else None
    return given if isinstance(given, Settings) else settings_with_embedded_database(get_settings())


@click.group("audit")
def group() -> None:
    """Audit trail: verify the per-tenant hash chains."""


@group.command("verify")
@click.option("--tenant", "slug", default=None, help="Only this tenant (its slug).")
@click.pass_context
def verify(ctx: click.Context, slug: str | None) -> None:
    """Recompute every event's hash and link; report the first break per tenant."""
    from daiko.audit.service import TenantVerification, verify_tenants
    from daiko.cli import fail, run
    from daiko.db.engine import Database

    settings = _settings(ctx)

    async def go() -> list[TenantVerification]:
        from daiko.documents.store import build_store

        db = Database(settings)  # PostgreSQL and the store of exported heads; no broker
        try:
            return await verify_tenants(db, slug, store=build_store(settings))
        finally:
            await db.dispose()

    results = run(go())
    if slug is not None and not results:
        fail(f"--tenant: no tenant with slug {slug!r}")
    broken = 0
    for item in results:
        r = item.result
        if r is None:
            broken += 1
            click.secho(f"{item.slug}: could not verify ({item.error})", fg="red")
        elif r.ok:
            click.echo(f"{item.slug}: ok, {r.events_checked} events, head seq {r.head_seq}")
        else:
            broken += 1
            click.secho(
                f"{item.slug}: TAMPERED at seq {r.broken_seq} ({r.reason}): {r.detail}; "
                f"{r.events_checked} events intact before it",
                fg="red",
            )
    click.echo(f"{len(results)} tenants checked, {broken} broken")
    if broken:
        sys.exit(1)
