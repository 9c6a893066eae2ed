"""Tenants as code against the real database: apply, dry run, idempotency, export."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.passwords import verify_password
from daiko.demo import DEMO_OPS_ADMIN, DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_logins, load_demo
from daiko.runtime import Runtime
from daiko.tenancy import cli as tenancy_cli
from daiko.tenancy.models import Membership, OperatorAssignment, Tenant, User
from daiko.tenancy.scope import NO_TENANTS, scope_of_tenant
from daiko.tenancy.service import (
    Change,
    FieldChange,
    TenantApplyConflict,
    apply_tenant_specs,
    export_tenant_spec,
)
from daiko.tenancy.spec import TenantSpec, UserSpec, dump_tenant_spec, load_tenant_files

REPO = Path(__file__).resolve().parents[2]
Invoke = Callable[..., Awaitable[tuple[int, str, str]]]
DEMO_FILES = sorted((REPO / "tenants").glob("*.yaml"))


def demo_specs() -> list[TenantSpec]:
    return load_tenant_files(DEMO_FILES)


async def apply(runtime: Runtime, specs: list[TenantSpec], *, prune: bool = False) -> list[Change]:
    async with runtime.db.session(NO_TENANTS) as session:
        return await apply_tenant_specs(session, specs, prune=prune)


def summary(changes: list[Change]) -> list[tuple[str, str, str | None, str]]:
    return [(c.kind, c.key, c.tenant, c.action) for c in changes]


async def count(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(f"select count(*) from {table}"))).scalar_one())


FIRST_APPLY = [
    ("tenant", "osaka-mfg", "osaka-mfg", "created"),
    ("user", "admin@naniwa-seiko.example", None, "created"),
    ("user", "auditor@naniwa-seiko.example", None, "created"),
    ("user", "operator@daiko.example", None, "created"),
    ("membership", "admin@naniwa-seiko.example", "osaka-mfg", "created"),
    ("membership", "auditor@naniwa-seiko.example", "osaka-mfg", "created"),
    ("operator_assignment", "operator@daiko.example", "osaka-mfg", "created"),
    ("tenant", "tokyo-soft", "tokyo-soft", "created"),
    ("user", "admin@mirai-soft.example", None, "created"),
    ("user", "keiri@mirai-soft.example", None, "created"),
    ("user", "operator2@daiko.example", None, "created"),
    ("membership", "admin@mirai-soft.example", "tokyo-soft", "created"),
    ("membership", "keiri@mirai-soft.example", "tokyo-soft", "created"),
    ("operator_assignment", "operator@daiko.example", "tokyo-soft", "created"),
    ("operator_assignment", "operator2@daiko.example", "tokyo-soft", "created"),
]


async def test_apply_creates_tenants_people_and_scoped_rows(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    changes = await apply(runtime, demo_specs())
    assert summary(changes) == FIRST_APPLY

    async with runtime.db.global_session() as s:
        tokyo = (await s.scalars(select(Tenant).where(Tenant.slug == "tokyo-soft"))).one()
        assert (tokyo.name, tokyo.prefecture, tokyo.services, tokyo.require_mfa) == (
            "株式会社ミライソフト",
            "13",
            ["payroll", "bookkeeping", "social_insurance"],
            True,
        )
        assert tokyo.settings["calendar"]["working_hours"] == {
            "start": "09:30:00",
            "end": "18:30:00",
        }
        assert tokyo.settings["calendar"]["extra_days_off"] == ["2026-06-12"]
        kinds = dict((await s.execute(select(User.email, User.kind))).all())
        assert kinds == {
            "admin@naniwa-seiko.example": "client",
            "auditor@naniwa-seiko.example": "client",
            "admin@mirai-soft.example": "client",
            "keiri@mirai-soft.example": "client",
            "operator@daiko.example": "operator",
            "operator2@daiko.example": "operator",
        }
        # Global session: the tenant tables are invisible (RLS, no scope).
        assert await s.scalar(select(func.count()).select_from(Membership)) == 0

    async with runtime.db.session(scope_of_tenant(tokyo.id)) as s:
        roles = (
            await s.execute(
                select(User.email, OperatorAssignment.role)
                .join(User, User.id == OperatorAssignment.user_id)
                .order_by(User.email)
            )
        ).all()
        assert [tuple(r) for r in roles] == [
            ("operator2@daiko.example", "operator"),
            ("operator@daiko.example", "lead"),
        ]
    assert await count(owner_engine, "memberships") == 4
    assert await count(owner_engine, "operator_assignments") == 3


async def test_second_apply_changes_nothing(runtime: Runtime, owner_engine: AsyncEngine) -> None:
    await apply(runtime, demo_specs())
    async with owner_engine.connect() as conn:
        before = (await conn.execute(text("select slug, updated_at from tenants"))).all()
    changes = await apply(runtime, demo_specs())
    assert {c.action for c in changes} == {"unchanged"}
    assert summary(changes) == [
        ("tenant", "osaka-mfg", "osaka-mfg", "unchanged"),
        ("membership", "admin@naniwa-seiko.example", "osaka-mfg", "unchanged"),
        ("membership", "auditor@naniwa-seiko.example", "osaka-mfg", "unchanged"),
        ("operator_assignment", "operator@daiko.example", "osaka-mfg", "unchanged"),
        ("tenant", "tokyo-soft", "tokyo-soft", "unchanged"),
        ("membership", "admin@mirai-soft.example", "tokyo-soft", "unchanged"),
        ("membership", "keiri@mirai-soft.example", "tokyo-soft", "unchanged"),
        ("operator_assignment", "operator@daiko.example", "tokyo-soft", "unchanged"),
        ("operator_assignment", "operator2@daiko.example", "tokyo-soft", "unchanged"),
    ]
    async with owner_engine.connect() as conn:
        after = (await conn.execute(text("select slug, updated_at from tenants"))).all()
    assert after == before
    assert await count(owner_engine, "users") == 6


async def test_changed_file_updates_fields_and_roles_with_a_diff(runtime: Runtime) -> None:
    osaka, tokyo = demo_specs()
    await apply(runtime, [osaka, tokyo])
    calendar = msgspec.structs.replace(
        tokyo.calendar,
        working_hours=msgspec.structs.replace(tokyo.calendar.working_hours, start=dt.time(9, 0)),
    )
    users = (tokyo.users[0], msgspec.structs.replace(tokyo.users[1], role="client_viewer"))
    changed = msgspec.structs.replace(
        tokyo, name="株式会社ミライソフトウェア", calendar=calendar, users=users
    )
    changes = await apply(runtime, [changed])
    updated = [c for c in changes if c.action != "unchanged"]
    assert updated == [
        Change(
            "tenant",
            "tokyo-soft",
            "updated",
            "tokyo-soft",
            (
                FieldChange("name", "株式会社ミライソフト", "株式会社ミライソフトウェア"),
                FieldChange("settings.calendar.working_hours.start", "09:30:00", "09:00:00"),
            ),
        ),
        Change(
            "membership",
            "keiri@mirai-soft.example",
            "updated",
            "tokyo-soft",
            (FieldChange("role", "client_member", "client_viewer"),),
        ),
    ]
    async with runtime.db.session(NO_TENANTS) as s:
        assert await export_tenant_spec(s, "tokyo-soft") == changed


async def test_export_round_trips_the_demo_files(runtime: Runtime, tmp_path: Path) -> None:
    specs = demo_specs()
    await apply(runtime, specs)
    for spec in specs:
        async with runtime.db.session(NO_TENANTS) as s:
            exported = await export_tenant_spec(s, spec.slug)
        assert exported == spec
        assert exported is not None
        out = tmp_path / f"{spec.slug}.yaml"
        out.write_text(dump_tenant_spec(exported), encoding="utf-8")
        assert load_tenant_files([out]) == [spec]
    async with runtime.db.session(NO_TENANTS) as s:
        assert await export_tenant_spec(s, "no-such-tenant") is None


async def test_people_not_in_the_file_are_kept_unless_pruned(runtime: Runtime) -> None:
    osaka, _ = demo_specs()
    extra = UserSpec(email="new@naniwa-seiko.example", display_name="新人", role="client_member")
    await apply(runtime, [msgspec.structs.replace(osaka, users=(*osaka.users, extra))])

    kept = [c for c in await apply(runtime, [osaka]) if c.action != "unchanged"]
    assert kept == [
        Change(
            "membership",
            "new@naniwa-seiko.example",
            "kept",
            "osaka-mfg",
            note="client_member; not in the file, kept (--prune removes)",
        )
    ]
    pruned = [c for c in await apply(runtime, [osaka], prune=True) if c.action != "unchanged"]
    assert pruned == [
        Change(
            "membership", "new@naniwa-seiko.example", "removed", "osaka-mfg", note="client_member"
        )
    ]
    async with runtime.db.session(NO_TENANTS) as s:
        assert await export_tenant_spec(s, "osaka-mfg") == osaka


async def test_clash_with_existing_accounts_applies_nothing(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    osaka, tokyo = demo_specs()
    await apply(runtime, [osaka])
    # operator@daiko.example is an operator; listing it as a client user must fail.
    bad_user = UserSpec(email="operator@daiko.example", display_name="x", role="client_admin")
    bad = msgspec.structs.replace(tokyo, users=(*tokyo.users, bad_user), operators=())
    stolen = msgspec.structs.replace(
        tokyo, slug="tokyo-copy", corporate_number=osaka.corporate_number, users=(), operators=()
    )
    with pytest.raises(TenantApplyConflict) as caught:
        await apply(runtime, [bad, stolen])
    assert caught.value.problems == (
        "tokyo-copy: corporate_number: 2120001999902 already belongs to tenant osaka-mfg",
        "tokyo-soft: users[2].email: operator@daiko.example is an existing operator account "
        "and cannot be listed as a client user",
    )
    assert await count(owner_engine, "tenants") == 1


# --------------------------------------------------------------------------- the command


async def run_cli(runtime: Runtime, *args: str, cwd: Path = REPO) -> tuple[int, str, str]:
    """`python -m daiko.cli tenants …` in a real process (the command as people run it)."""
    env = dict(os.environ)
    env.update(
        DAIKO_ENV="test",
        DAIKO_DATABASE_URL=str(runtime.settings.database_url),
        DAIKO_LOG_LEVEL="WARNING",
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "daiko.cli",
        "tenants",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
def invoke(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """The `tenants` command group in-process (fast), on the test database. Run in a
    thread: the command calls `asyncio.run`, which needs a thread without a loop."""
    monkeypatch.setattr(tenancy_cli, "_settings", lambda: runtime.settings)
    monkeypatch.chdir(REPO)

    async def run(*args: str) -> tuple[int, str, str]:
        result = await asyncio.to_thread(CliRunner().invoke, tenancy_cli.group, list(args))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    return run


async def test_cli_dry_run_prints_and_writes_nothing_then_apply_writes(
    runtime: Runtime, owner_engine: AsyncEngine, invoke: Invoke
) -> None:
    code, out, err = await run_cli(runtime, "apply", "--dry-run")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "tenant osaka-mfg: created"
    assert "  membership keiri@mirai-soft.example in tokyo-soft: created (client_member)" in lines
    assert lines[-2:] == [
        "tenants: 2 created, 0 updated, 0 unchanged; people: 13 created",
        "dry run: nothing was written",
    ]
    assert await count(owner_engine, "tenants") == 0
    assert await count(owner_engine, "users") == 0

    code, out, _ = await invoke("apply")
    assert code == 0
    assert await count(owner_engine, "tenants") == 2
    code, out, _ = await invoke("apply")
    assert out.splitlines() == [
        "tenant osaka-mfg: unchanged",
        "tenant tokyo-soft: unchanged",
        "tenants: 0 created, 0 updated, 2 unchanged; people: no change",
    ]


async def test_cli_invalid_file_applies_nothing_and_exits_2(
    owner_engine: AsyncEngine, tmp_path: Path, invoke: Invoke
) -> None:
    for path in DEMO_FILES:
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "broken.yaml").write_text(
        "slug: broken\nname: 株式会社ブロークン\nname_kana: ブロークン\n"
        'corporate_number: "1234567890123"\nprefecture: 99\nservices: [payroll]\n',
        encoding="utf-8",
    )
    code, out, err = await invoke("apply", str(tmp_path))
    assert code == 2
    assert out == ""
    broken = tmp_path / "broken.yaml"
    assert err.splitlines()[-1] == "nothing applied"
    assert err.splitlines()[0].startswith(f"{broken}:4: corporate_number: ")
    assert err.splitlines()[1].startswith(f"{broken}:5: prefecture: ")
    assert await count(owner_engine, "tenants") == 0


async def test_cli_export_writes_yaml_that_loads_back(
    runtime: Runtime, tmp_path: Path, invoke: Invoke
) -> None:
    await apply(runtime, demo_specs())
    code, out, _ = await invoke("export", "tokyo-soft")
    assert code == 0
    assert out == dump_tenant_spec(demo_specs()[1])
    target = tmp_path / "tokyo-soft.yaml"
    code, _, err = await invoke("export", "tokyo-soft", "--output", str(target))
    assert (code, err.strip()) == (0, f"wrote {target}")
    assert load_tenant_files([target]) == [demo_specs()[1]]
    code, _, err = await invoke("export", "nope")
    assert (code, err.strip()) == (1, "no tenant 'nope'")


# --------------------------------------------------------------------------- demo


async def test_load_demo_gives_every_demo_person_a_way_in(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    await load_demo(runtime.settings)
    await load_demo(runtime.settings)  # idempotent: nothing re-hashed or duplicated
    async with runtime.db.global_session() as s:
        users = {u.email: u for u in await s.scalars(select(User))}
    logins = demo_logins()
    assert {email for email, _, _ in logins} == set(users)
    assert users[DEMO_OPS_ADMIN].platform_role == "ops_admin"
    for email, what, password in logins:
        user = users[email]
        assert password == DEMO_PASSWORD
        assert user.password_hash is not None and verify_password(user.password_hash, password)
        # Operators, and client users of tokyo-soft (require_mfa: true), need a second
        # factor: they get the demo secret, and the banner shows it; the others do not.
        if user.kind == "operator" or email.endswith("@mirai-soft.example"):
            assert (user.totp_secret, what.endswith(f"TOTP secret {DEMO_TOTP_SECRET}")) == (
                DEMO_TOTP_SECRET,
                True,
            )
            assert user.totp_enabled_at is not None
        else:
            assert user.totp_secret is None
            assert "TOTP" not in what
    assert (
        "keiri@mirai-soft.example",
        f"client_member @ tokyo-soft; TOTP secret {DEMO_TOTP_SECRET}",
        DEMO_PASSWORD,
    ) in logins
    assert ("admin@naniwa-seiko.example", "client_admin @ osaka-mfg", DEMO_PASSWORD) in logins
