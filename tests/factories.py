"""Test data built through the owner role: tenants, users, memberships, assignments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.ids import new_id
from daiko.tenancy.models import Membership, OperatorAssignment, Tenant, User


@dataclass
class TestUser:
    __test__ = False  # a factory record, not a pytest class
    id: uuid.UUID
    email: str
    kind: str
    role: str | None = None
    platform_role: str | None = None


@dataclass
class TestTenant:
    __test__ = False
    id: uuid.UUID
    slug: str
    name: str
    users: dict[str, TestUser] = field(default_factory=dict)


@dataclass
class World:
    tenant_a: TestTenant
    tenant_b: TestTenant
    operator: TestUser  # assigned to tenant A only
    lead: TestUser  # assigned to A and B
    ops_admin: TestUser


async def create_tenant(
    engine: AsyncEngine, slug: str, name: str, corporate_number: str, prefecture: str = "13"
) -> TestTenant:
    tenant_id = new_id()
    async with engine.begin() as conn:
        await conn.execute(
            insert(Tenant).values(
                id=tenant_id,
                slug=slug,
                name=name,
                name_kana="テスト",
                corporate_number=corporate_number,
                prefecture=prefecture,
                services=["payroll", "bookkeeping", "social_insurance"],
            )
        )
    return TestTenant(tenant_id, slug, name)


async def create_user(
    engine: AsyncEngine,
    email: str,
    *,
    kind: str = "client",
    platform_role: str | None = None,
    password_hash: str | None = None,
) -> TestUser:
    user_id = new_id()
    async with engine.begin() as conn:
        await conn.execute(
            insert(User).values(
                id=user_id,
                email=email,
                display_name=email.split("@")[0],
                kind=kind,
                platform_role=platform_role,
                password_hash=password_hash,
            )
        )
    return TestUser(user_id, email, kind, platform_role=platform_role)


async def add_member(engine: AsyncEngine, tenant: TestTenant, user: TestUser, role: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(Membership).values(tenant_id=tenant.id, id=new_id(), user_id=user.id, role=role)
        )
    user.role = role
    tenant.users[role] = user


async def assign_operator(
    engine: AsyncEngine, tenant: TestTenant, user: TestUser, role: str
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(OperatorAssignment).values(
                tenant_id=tenant.id, id=new_id(), user_id=user.id, role=role
            )
        )
    user.role = role


async def build_world(engine: AsyncEngine) -> World:
    a = await create_tenant(engine, "tenant-a", "株式会社エー", "7000012050002")
    b = await create_tenant(engine, "tenant-b", "株式会社ビー", "1180301018771", prefecture="23")
    for tenant in (a, b):
        for role in ("client_admin", "client_member", "client_viewer"):
            user = await create_user(engine, f"{role.split('_')[1]}@{tenant.slug}.example")
            await add_member(engine, tenant, user, role)
    operator = await create_user(engine, "operator@daiko.example", kind="operator")
    await assign_operator(engine, a, operator, "operator")
    lead = await create_user(engine, "lead@daiko.example", kind="operator")
    await assign_operator(engine, a, lead, "lead")
    await assign_operator(engine, b, lead, "lead")
    admin = await create_user(
        engine, "admin@daiko.example", kind="operator", platform_role="ops_admin"
    )
    return World(a, b, operator, lead, admin)


async def sign_in(engine: AsyncEngine, user: TestUser, *, mfa_verified: bool = True) -> str:
    """A live session for `user`, as the sign-in flow would leave it; returns the cookie
    token. Route tests use it to act as anyone without replaying the login form."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from daiko.auth.sessions import create_session

    async with AsyncSession(engine) as session, session.begin():
        new = await create_session(session, user.id, mfa_verified=mfa_verified)
    return new.token
