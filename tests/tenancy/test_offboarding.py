"""Offboarding: everything of tenant A leaves as a zip, then A's data and documents are
deleted; tenant B is untouched. Tables come from the catalog, so this covers tables
added after it was written (through their seeders)."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.db.base import APPEND_ONLY_TABLES
from daiko.documents.store import tenant_key
from daiko.runtime import Runtime
from daiko.tenancy import cli as tenancy_cli
from daiko.tenancy.offboarding import deletion_order, list_document_keys
from tests.db.test_isolation import tenant_tables
from tests.factories import World
from tests.seeds import seed_everything
from tests.tenancy.conftest import SignedIn


async def rows_per_table(engine: AsyncEngine, tenant_id: object) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with engine.connect() as conn:
        for table in await tenant_tables(engine):
            counts[table] = int(
                (
                    await conn.execute(
                        text(f"select count(*) from {table} where tenant_id = :t"), {"t": tenant_id}
                    )
                ).scalar_one()
            )
    return counts


@pytest.fixture
async def seeded(owner_engine: AsyncEngine, world: World, runtime: Runtime) -> World:
    await seed_everything(owner_engine, world)
    for tenant in (world.tenant_a, world.tenant_b):
        for name in ("documents/d1/v1", "documents/d2/v1"):
            await runtime.store.put(tenant_key(tenant.id, name), f"{tenant.slug}:{name}".encode())
    return world


def test_deletion_order_puts_children_first() -> None:
    order = deletion_order(
        ["a", "b", "c", "d"], [("b", "a"), ("c", "b"), ("d", "a"), ("x", "a"), ("c", "c")]
    )
    assert order.index("c") < order.index("b") < order.index("a")
    assert order.index("d") < order.index("a")
    assert sorted(order) == ["a", "b", "c", "d"]


async def check_offboarded(
    runtime: Runtime,
    owner_engine: AsyncEngine,
    world: World,
    archive: bytes,
    before: dict[str, int],
) -> None:
    a, b = world.tenant_a, world.tenant_b
    tables = await tenant_tables(owner_engine)
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        manifest = json.loads(z.read("manifest.json"))
        assert manifest["tables"] == before
        assert set(manifest["tables"]) == set(tables)
        for table in tables:
            rows = json.loads(z.read(f"tables/{table}.json"))
            assert len(rows) == before[table], table
            assert {row["tenant_id"] for row in rows} <= {str(a.id)}, table
        assert json.loads(z.read("tenant.json"))["slug"] == a.slug
        people = {u["email"] for u in json.loads(z.read("users.json"))}
        assert people == {
            "admin@tenant-a.example",
            "member@tenant-a.example",
            "viewer@tenant-a.example",
            "operator@daiko.example",
            "lead@daiko.example",
        }
        assert all("password_hash" not in u for u in json.loads(z.read("users.json")))
        assert z.read("documents/documents/d1/v1") == b"tenant-a:documents/d1/v1"
        assert [d["key"] for d in manifest["documents"]] == [
            tenant_key(a.id, "documents/d1/v1"),
            tenant_key(a.id, "documents/d2/v1"),
        ]
        assert z.read("tenant.yaml").decode().startswith("slug: tenant-a\n")

    after = await rows_per_table(owner_engine, a.id)
    audit = {t: n for t, n in after.items() if t in APPEND_ONLY_TABLES}
    assert {t: n for t, n in after.items() if t not in APPEND_ONLY_TABLES} == dict.fromkeys(
        (t for t in tables if t not in APPEND_ONLY_TABLES), 0
    )
    # The export and the deletion are both in A's audit trail, which is kept.
    async with owner_engine.connect() as conn:
        actions = (
            await conn.execute(
                text("select action from audit_events where tenant_id = :t order by seq"),
                {"t": a.id},
            )
        ).scalars()
        assert list(actions)[-2:] == ["tenant.exported", "tenant.offboarded"]
        status = (
            await conn.execute(text("select status from tenants where id = :t"), {"t": a.id})
        ).scalar_one()
        assert status == "offboarded"
        # Nobody's scope holds an offboarded tenant any more.
        granted = (
            await conn.execute(
                text("select count(*) from daiko_principal_tenant_ids(:u)"),
                {"u": a.users["client_admin"].id},
            )
        ).scalar_one()
        assert granted == 0
    assert audit["audit_events"] >= 2
    assert await list_document_keys(runtime.store, tenant_key(a.id) + "/") == []
    assert await list_document_keys(runtime.store, tenant_key(b.id) + "/") == [
        tenant_key(b.id, "documents/d1/v1"),
        tenant_key(b.id, "documents/d2/v1"),
    ]


async def test_cli_offboard_exports_then_deletes_only_that_tenant(
    runtime: Runtime,
    owner_engine: AsyncEngine,
    seeded: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = await rows_per_table(owner_engine, seeded.tenant_a.id)
    b_before = await rows_per_table(owner_engine, seeded.tenant_b.id)
    monkeypatch.setattr(tenancy_cli, "_settings", lambda: runtime.settings)
    out = tmp_path / "tenant-a.zip"
    result = await asyncio.to_thread(
        CliRunner().invoke,
        tenancy_cli.group,
        ["offboard", "tenant-a", "--output", str(out), "--yes"],
    )
    assert result.exit_code == 0, result.output
    rows = sum(before.values())
    assert result.stdout.splitlines()[-2].startswith(
        f"exported {rows} rows from {len(before)} tables and 2 documents to {out} (sha256 "
    )
    await check_offboarded(runtime, owner_engine, seeded, out.read_bytes(), before)
    assert await rows_per_table(owner_engine, seeded.tenant_b.id) == b_before

    again = await asyncio.to_thread(
        CliRunner().invoke,
        tenancy_cli.group,
        ["offboard", "tenant-a", "--output", str(tmp_path / "again.zip"), "--yes"],
    )
    assert (again.exit_code, again.stderr.strip()) == (1, "the tenant is already offboarded")
    assert not (tmp_path / "again.zip").exists()


async def test_api_offboard_is_ops_admin_only_and_confirms_the_slug(
    runtime: Runtime,
    owner_engine: AsyncEngine,
    seeded: World,
    signed_in: SignedIn,
) -> None:
    a = seeded.tenant_a
    url = f"/api/v1/tenants/{a.id}/offboard"
    before = await rows_per_table(owner_engine, a.id)
    b_before = await rows_per_table(owner_engine, seeded.tenant_b.id)
    lead = await signed_in(seeded.lead)
    r = await lead.post(url, json={"confirm_slug": "tenant-a"})
    assert r.status_code == 403
    admin = await signed_in(seeded.ops_admin)
    r = await admin.post(url, json={"confirm_slug": "tenant-b"})
    assert (r.status_code, r.json()["errors"]) == (
        422,
        [{"field": "confirm_slug", "reason": "must be the tenant's slug"}],
    )
    assert await rows_per_table(owner_engine, a.id) == before

    r = await admin.post(url, json={"confirm_slug": "tenant-a"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rows"] == before
    assert body["documents"] == 2
    assert body["archive_key"].startswith(f"offboarding/{a.id}/tenant-a-")
    archive = await runtime.store.get(body["archive_key"])
    assert len(archive) == body["archive_size"]
    await check_offboarded(runtime, owner_engine, seeded, archive, before)
    assert await rows_per_table(owner_engine, seeded.tenant_b.id) == b_before

    r = await admin.post(url, json={"confirm_slug": "tenant-a"})
    assert r.status_code == 404
    member = await signed_in(a.users["client_admin"])
    assert (await member.get(f"/api/v1/tenants/{a.id}")).status_code == 403
