"""Sign-in events reach the audit trail of every tenant the person belongs to."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from daiko.audit.models import AuditEvent
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenants
from tests.auth.conftest import Clock
from tests.auth.test_login import login
from tests.factories import World


async def trail(runtime: Runtime, world: World) -> list[tuple[str, str, str | None]]:
    ids = [world.tenant_a.id, world.tenant_b.id]
    async with runtime.db.session(scope_of_tenants(ids)) as s:
        rows = await s.execute(
            select(AuditEvent.tenant_id, AuditEvent.action, AuditEvent.actor_id).order_by(
                AuditEvent.tenant_id, AuditEvent.seq
            )
        )
        return [("A" if t == world.tenant_a.id else "B", a, actor) for t, a, actor in rows]


async def test_failed_and_successful_sign_in_are_audited_in_the_users_tenant(
    client: httpx.AsyncClient, passwords: World, clock: Clock, runtime: Runtime
) -> None:
    member = passwords.tenant_a.users["client_member"]
    assert (await login(client, member.email, "not the password at all")).status_code == 401
    assert (await login(client, member.email)).status_code == 200
    client.cookies.clear()
    assert (
        await login(client, "nobody@nowhere.example")
    ).status_code == 401  # no tenant: logged only
    uid = str(member.id)
    assert await trail(runtime, passwords) == [
        ("A", "user.sign_in_failed", uid),
        ("A", "user.signed_in", uid),
    ]
