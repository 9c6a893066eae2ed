"""`daiko tenants …`: tenants as code, and offboarding.

    daiko tenants apply [--dry-run] [--prune] [PATHS...]   default: tenants/*.yaml
    daiko tenants export SLUG [--output FILE]
    daiko tenants offboard SLUG --output FILE.zip [--yes]

Exit codes: 0 done, 2 invalid files or a clash with the database (nothing applied),
1 unknown tenant.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from daiko.tenancy.spec import TenantSpec, TenantSpecErrors, dump_tenant_spec, load_tenant_files

if TYPE_CHECKING:
    from daiko.config import Settings
    from daiko.tenancy.offboarding import Offboarded
    from daiko.tenancy.service import Change

DEFAULT_DIR = Path("tenants")


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def _settings() -> Settings:
    # Imported here: daiko.cli imports this module while it is being built.
    from daiko.cli import settings_with_embedded_database
    from daiko.config import get_settings

    return settings_with_embedded_database(get_settings())


def _fail(lines: Sequence[str], code: int) -> NoReturn:
    for line in lines:
        click.secho(line, fg="red", err=True)
    sys.exit(code)


def tenant_files(paths: Sequence[Path]) -> list[Path]:
    """The files named, with each directory expanded to its `*.yaml` / `*.yml`."""
    found: list[Path] = []
    for path in paths or (DEFAULT_DIR,):
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            found.append(path)
    return found


def format_changes(changes: Sequence[Change]) -> list[str]:
    """Tenants always; people only when something happens to them; then a summary."""
    lines: list[str] = []
    for change in changes:
        if change.kind != "tenant" and change.action == "unchanged":
            continue
        indent = "" if change.kind == "tenant" else "  "
        lines.append(indent + str(change))
        lines += [f"{indent}    {diff}" for diff in change.fields]
    counts = Counter(c.action for c in changes if c.kind == "tenant")
    people = Counter(c.action for c in changes if c.kind != "tenant")
    tenants = ", ".join(f"{counts[a]} {a}" for a in ("created", "updated", "unchanged"))
    touched = ", ".join(
        f"{people[a]} {a}" for a in ("created", "updated", "removed", "kept") if people[a]
    )
    lines.append(f"tenants: {tenants}; people: {touched or 'no change'}")
    return lines


async def _apply(
    settings: Settings, specs: list[TenantSpec], dry_run: bool, prune: bool
) -> list[Change]:
    from daiko.db.engine import Database
    from daiko.tenancy.scope import NO_TENANTS
    from daiko.tenancy.service import apply_tenant_specs

    db = Database(settings)
    changes: list[Change] = []
    try:
        async with db.session(NO_TENANTS) as session:
            changes = await apply_tenant_specs(session, specs, prune=prune)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    finally:
        await db.dispose()
    return changes


@click.group("tenants")
def group() -> None:
    """Tenants as code: apply and export `tenants/<slug>.yaml`; offboard a tenant."""


@group.command("apply")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--prune", is_flag=True, help="Also remove members and operators not in the file.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def apply_command(dry_run: bool, prune: bool, paths: tuple[Path, ...]) -> None:
    """Create or update tenants from their YAML files (default: tenants/*.yaml).

    All files are validated first; if any is invalid nothing is applied. Everything is
    applied in one transaction.
    """
    from daiko.tenancy.service import TenantApplyConflict

    files = tenant_files(paths)
    if not files:
        _fail([f"no tenant files in {', '.join(map(str, paths or (DEFAULT_DIR,)))}"], 2)
    try:
        specs = load_tenant_files(files)
    except TenantSpecErrors as exc:
        _fail([*(str(e) for e in exc.errors), "nothing applied"], 2)
    try:
        changes = asyncio.run(_apply(_settings(), specs, dry_run, prune))
    except TenantApplyConflict as exc:
        _fail([*exc.problems, "nothing applied"], 2)
    for line in format_changes(changes):
        click.echo(line)
    if dry_run:
        click.echo("dry run: nothing was written")


async def _export(settings: Settings, slug: str) -> TenantSpec | None:
    from daiko.db.engine import Database
    from daiko.tenancy.scope import NO_TENANTS
    from daiko.tenancy.service import export_tenant_spec

    db = Database(settings)
    try:
        async with db.session(NO_TENANTS) as session:
            return await export_tenant_spec(session, slug)
    finally:
        await db.dispose()


@group.command("export")
@click.argument("slug")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="File (default stdout).")
def export_command(slug: str, output: Path | None) -> None:
    """Write a tenant back as YAML (its current members and operators included)."""
    spec = asyncio.run(_export(_settings(), slug))
    if spec is None:
        _fail([f"no tenant {slug!r}"], 1)
    text = dump_tenant_spec(spec)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


async def _offboard(settings: Settings, slug: str, output: Path) -> Offboarded:
    from daiko.db.engine import Database
    from daiko.documents.store import build_store
    from daiko.errors import NotFound
    from daiko.tenancy import repository as repo
    from daiko.tenancy.offboarding import TenantArchive, offboard_tenant
    from daiko.tenancy.scope import NO_TENANTS
    from daiko.tenancy.service import Actor

    db = Database(settings)
    try:
        async with db.session(NO_TENANTS) as session:
            tenant = await repo.tenant_by_slug(session, slug)
        if tenant is None:
            raise NotFound(f"no tenant {slug!r}")

        async def keep(_tenant: object, archive: TenantArchive) -> None:
            # Durable before the deletion commits: written, flushed and synced.
            partial = output.with_name(output.name + ".part")
            with partial.open("wb") as f:
                f.write(archive.data)
                f.flush()
                os.fsync(f.fileno())
            partial.replace(output)

        return await offboard_tenant(
            db, build_store(settings), tenant.id, keep_archive=keep, actor=Actor.cli()
        )
    finally:
        await db.dispose()


@group.command("offboard")
@click.argument("slug")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Where to write the export (.zip).",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def offboard_command(slug: str, output: Path, yes: bool) -> None:
    """Export everything of a tenant to a zip, then delete its data and documents.

    The zip is written (and synced) before anything is deleted. The tenant row stays,
    marked offboarded, because the audit trail refers to it. Remove its YAML file too,
    or the next apply would bring it back.
    """
    from daiko.errors import Conflict, NotFound

    if output.exists():
        _fail([f"{output} exists; choose another --output"], 2)
    if not yes:
        click.confirm(
            f"Export and then DELETE all data and documents of {slug}?", abort=True, err=True
        )
    try:
        done = asyncio.run(_offboard(_settings(), slug, output))
    except (NotFound, Conflict) as exc:
        _fail([exc.detail], 1)
    rows = sum(done.archive.rows.values())
    click.echo(
        f"exported {rows} rows from {len(done.archive.rows)} tables and "
        f"{len(done.archive.documents)} documents to {output} (sha256 {done.archive.sha256})"
    )
    click.echo(
        f"deleted {sum(done.deleted.values())} rows and {done.documents_deleted} documents; "
        f"tenant {done.slug} is offboarded"
    )
