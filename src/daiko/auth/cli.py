"""`daiko auth …`: partner clients, signing keys, operators.

    daiko auth create-partner NAME --scopes "employees:read employees:write"
    daiko auth rotate-keys
    daiko auth create-operator EMAIL [--name NAME] [--ops-admin]

Secrets are printed once and never stored in clear.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import click

from daiko.db.engine import Database

T = TypeVar("T")


def _with_db(fn: Callable[[Database], Awaitable[T]]) -> T:
    """Only PostgreSQL is needed (the embedded one when no URL is set): no broker, no store."""
    from daiko.cli import run, settings_with_embedded_database
    from daiko.config import get_settings

    async def go() -> T:
        db = Database(settings_with_embedded_database(get_settings()))
        try:
            return await fn(db)
        finally:
            await db.dispose()

    return run(go())


@click.group(name="auth")
def group() -> None:
    """Sign-in administration: partner clients, token signing keys, operators."""


@group.command("create-partner")
@click.argument("name")
@click.option(
    "--scopes",
    required=True,
    help='Space-separated scopes the client may request, e.g. "employees:read documents:write".',
)
def create_partner_command(name: str, scopes: str) -> None:
    """Register a partner client; prints its client id and secret (shown only now)."""
    from daiko.auth.partners import create_partner
    from daiko.auth.tokens import SCOPES

    wanted = frozenset(scopes.replace(",", " ").split())
    unknown = wanted - SCOPES
    if unknown or not wanted:
        raise click.BadParameter(
            f"unknown: {' '.join(sorted(unknown)) or '(none given)'}; "
            f"known: {' '.join(sorted(SCOPES))}",
            param_hint="--scopes",
        )

    async def go(db: Database) -> None:
        async with db.global_session() as session:
            new = await create_partner(session, name, wanted)
        click.echo(f"client_id:     {new.client_id}")
        click.echo(f"client_secret: {new.client_secret}")
        click.echo("The secret is shown only now; store it in the partner's vault.")

    _with_db(go)


@group.command("rotate-keys")
def rotate_keys_command() -> None:
    """Add a new token signing key; older keys stop signing and expire after a grace."""
    from daiko.auth.keys import RETIRED_KEY_GRACE, rotate_keys

    async def go(db: Database) -> None:
        async with db.global_session() as session:
            key = await rotate_keys(session, db.settings, datetime.now(UTC))
        click.echo(f"new signing key {key.kid}; previous keys retire in {RETIRED_KEY_GRACE}")

    _with_db(go)


@group.command("create-operator")
@click.argument("email")
@click.option("--name", "display_name", default=None, help="Display name (default: from e-mail).")
@click.option("--ops-admin", is_flag=True, help="Platform administrator (tenants, assignments).")
def create_operator_command(email: str, display_name: str | None, ops_admin: bool) -> None:
    """Create an operator and print a link to choose a password (valid 30 minutes).
    TOTP enrolment follows at first sign-in."""
    from sqlalchemy import func, select

    from daiko.auth.service import RESET_TTL, create_reset_token, reset_link
    from daiko.tenancy.models import User

    async def go(db: Database) -> None:
        now = datetime.now(UTC)
        async with db.global_session() as session:
            taken = await session.execute(
                select(User.id).where(func.lower(User.email) == email.strip().lower())
            )
            if taken.first() is not None:
                raise click.ClickException(f"{email} already has an account")
            user = User(
                email=email.strip().lower(),
                display_name=display_name or email.split("@")[0],
                kind="operator",
                platform_role="ops_admin" if ops_admin else None,
            )
            session.add(user)
            await session.flush()
            token = await create_reset_token(session, user.id, now)
        minutes = int(RESET_TTL.total_seconds() // 60)
        click.echo(f"operator {user.email} created{' (ops_admin)' if ops_admin else ''}")
        click.echo(f"set a password within {minutes} minutes: {reset_link(db.settings, token)}")

    _with_db(go)
