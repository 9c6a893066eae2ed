"""Demo data for `daiko dev`: the tenants in `tenants/` and sign-in for their people.

`load_demo` applies `tenants/*.yaml` (the same code as `daiko tenants apply`), adds an
ops_admin, and gives every demo person the password `DEMO_PASSWORD` if they have none.
Operators must use TOTP; a demo operator without a secret gets `DEMO_TOTP_SECRET`
(enrolled), printed in the banner so a newcomer can add it to an authenticator app.
Nothing is overwritten: a password or TOTP secret someone set stays.
"""

from __future__ import annotations

import importlib
import importlib.util
from datetime import UTC, datetime
from pathlib import Path

import structlog
from sqlalchemy import update

from daiko.config import Settings
from daiko.db.engine import Database
from daiko.tenancy.spec import TenantSpec, load_tenant_dir

DEMO_PASSWORD = "daiko-demo-2026"  # noqa: S105 (printed in the dev banner on purpose)
# Base32, 32 symbols (160 bits) like `daiko.auth.totp.new_secret()`; public on purpose.
DEMO_TOTP_SECRET = "DAIKODEMOTOTPSECRETFORDEVONLYABC"  # noqa: S105
DEMO_OPS_ADMIN = "admin@daiko.example"
TENANTS_DIR = Path("tenants")

log = structlog.get_logger(__name__)


def _specs() -> list[TenantSpec]:
    return load_tenant_dir(TENANTS_DIR) if TENANTS_DIR.is_dir() else []


def demo_logins() -> list[tuple[str, str, str]]:
    """(email, what it is, password) for every person in the demo tenant files and the
    demo ops_admin; the description carries the TOTP secret of everyone who needs a
    second factor (operators, and client users of a tenant with `require_mfa`)."""
    specs = _specs()
    if not specs:
        return []
    clients: dict[str, list[str]] = {}
    operators: dict[str, list[str]] = {}
    needs_totp = _client_users_needing_totp(specs)
    for spec in specs:
        for user in spec.users:
            clients.setdefault(user.email, []).append(f"{user.role} @ {spec.slug}")
        for operator in spec.operators:
            operators.setdefault(operator.email, []).append(f"{operator.role} @ {spec.slug}")
    totp = f"TOTP secret {DEMO_TOTP_SECRET}"
    logins = [
        (email, ", ".join(roles) + (f"; {totp}" if email in needs_totp else ""), DEMO_PASSWORD)
        for email, roles in clients.items()
    ]
    logins += [
        (email, f"{', '.join(roles)}; {totp}", DEMO_PASSWORD) for email, roles in operators.items()
    ]
    logins.append((DEMO_OPS_ADMIN, f"ops_admin (all tenants); {totp}", DEMO_PASSWORD))
    return logins


# Domains add demo data beside their code: `daiko.<domain>.demo.load(db)` (idempotent:
# it must leave data that is already there alone), called in this order.
DOMAIN_DEMOS = (
    "employees",
    "payroll",
    "bookkeeping",
    "bookkeeping.imports",
    "social_insurance",
    "partners",
)


async def _load_domain_demos(db: Database) -> None:
    for domain in DOMAIN_DEMOS:
        name = f"daiko.{domain}.demo"
        if importlib.util.find_spec(f"daiko.{domain}") is None:
            continue
        if importlib.util.find_spec(name) is None:
            continue
        await importlib.import_module(name).load(db)


def _client_users_needing_totp(specs: list[TenantSpec]) -> set[str]:
    return {u.email for s in specs if s.require_mfa for u in s.users}


async def load_demo(settings: Settings) -> None:
    """Apply `tenants/*.yaml` and make every demo person able to sign in."""
    from daiko.auth.passwords import hash_password
    from daiko.tenancy import repository as repo
    from daiko.tenancy.models import User
    from daiko.tenancy.scope import NO_TENANTS
    from daiko.tenancy.service import apply_tenant_specs

    specs = _specs()
    if not specs:
        return
    db = Database(settings)
    try:
        async with db.session(NO_TENANTS) as session:
            changes = await apply_tenant_specs(session, specs)
            admin = await repo.user_by_email(session, DEMO_OPS_ADMIN)
            if admin is None:
                session.add(
                    User(
                        email=DEMO_OPS_ADMIN,
                        display_name="Daiko ops admin",
                        kind="operator",
                        platform_role="ops_admin",
                    )
                )
                await session.flush()
            emails = {u.email for s in specs for u in s.users}
            emails |= {o.email for s in specs for o in s.operators}
            users = await repo.users_by_emails(session, {*emails, DEMO_OPS_ADMIN})
            password_hash: str | None = None
            totp_clients = _client_users_needing_totp(specs)
            now = datetime.now(UTC)
            for user in users.values():
                values: dict[str, object] = {}
                if user.password_hash is None:
                    password_hash = password_hash or hash_password(DEMO_PASSWORD)
                    values.update(password_hash=password_hash, password_changed_at=now)
                needs_totp = user.kind == "operator" or user.email in totp_clients
                if needs_totp and user.totp_secret is None:
                    values.update(totp_secret=DEMO_TOTP_SECRET, totp_enabled_at=now)
                if values:
                    await session.execute(update(User).where(User.id == user.id).values(**values))
        await _load_domain_demos(db)
    finally:
        await db.dispose()
    created = sum(1 for c in changes if c.action in ("created", "updated"))
    log.info("demo tenants applied", tenants=len(specs), changes=created)
