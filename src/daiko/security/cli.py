"""`daiko security rotate-master-key`: re-wrap every tenant's data keys.

Rotation, step by step: generate a new key (`python -c "import os, base64;
print(base64.b64encode(os.urandom(32)).decode())"`), run this command with
`DAIKO_MASTER_KEY` set to the new key and `DAIKO_PREVIOUS_MASTER_KEY` to the old one,
then deploy the new key everywhere. Field values are not touched (their data keys do not
change), so it takes seconds; it can be re-run safely.
"""

from __future__ import annotations

import uuid

import click

from daiko.config import Settings, get_settings


def _settings(ctx: click.Context) -> Settings:
    from daiko.cli import settings_with_embedded_database

    given = (ctx.obj or {}).get("settings") if isinstance(ctx.obj, dict) else None
    return given if isinstance(given, Settings) else settings_with_embedded_database(get_settings())


@click.group("security")
def group() -> None:
    """Field encryption keys."""


@group.command("rotate-master-key")
@click.option(
    "--previous-key",
    envvar="DAIKO_PREVIOUS_MASTER_KEY",
    multiple=True,
    help="Base64 master key(s) the data keys may still be wrapped by "
    "(env DAIKO_PREVIOUS_MASTER_KEY).",
)
@click.pass_context
def rotate_master_key_command(ctx: click.Context, previous_key: tuple[str, ...]) -> None:
    """Re-wrap all tenants' data keys under the current DAIKO_MASTER_KEY."""
    from daiko.cli import run
    from daiko.db.engine import Database
    from daiko.security.fields import rotate_master_key
    from daiko.security.keys import MasterKeyring

    settings = _settings(ctx)
    keyring = MasterKeyring.from_settings(settings, previous_key)

    async def go() -> dict[uuid.UUID, int]:
        db = Database(settings)
        try:
            return await rotate_master_key(db, keyring)
        finally:
            await db.dispose()

    done = run(go())
    click.echo(
        f"master key {keyring.current_id}: {sum(done.values())} data keys re-wrapped"
        f" across {len(done)} tenants"
    )
