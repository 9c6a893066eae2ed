"""Fixtures of the tenancy tests: signed-in clients that can also write (CSRF header),
and the extra people the route matrix needs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.sessions import COOKIE_NAME, hash_token
from tests.factories import TestUser, World, add_member, assign_operator, create_user

SignedIn = Callable[[TestUser], Awaitable[httpx.AsyncClient]]


@pytest.fixture
def signed_in(
    client_for: Callable[[TestUser], Awaitable[httpx.AsyncClient]], owner_engine: AsyncEngine
) -> SignedIn:
    """`await signed_in(user)`: a client signed in as `user` that also sends the
    session's CSRF token, so unsafe methods reach the handler."""

    async def make(user: TestUser) -> httpx.AsyncClient:
        client = await client_for(user)
        token = client.cookies.get(COOKIE_NAME)
        if token and "x-csrf-token" not in client.headers:
            async with owner_engine.connect() as conn:
                csrf = await conn.scalar(
                    text("select csrf_token from user_sessions where id = :id"),
                    {"id": hash_token(token)},
                )
            if csrf:
                client.headers["X-CSRF-Token"] = csrf
        return client

    return make


@dataclass
class MatrixPeople:
    """Who holds which role where. `only_a` / `only_b`: role → a user with that role in
    that tenant and no other; `both`: role → a user with that role in A and in B."""

    only_a: dict[str, TestUser]
    only_b: dict[str, TestUser]
    both: dict[str, TestUser]
    ops_admin: TestUser


@pytest.fixture
async def people(world: World, owner_engine: AsyncEngine) -> MatrixPeople:
    a, b = world.tenant_a, world.tenant_b
    b_operator = await create_user(owner_engine, "operator-b@daiko.example", kind="operator")
    await assign_operator(owner_engine, b, b_operator, "operator")
    b_lead = await create_user(owner_engine, "lead-b@daiko.example", kind="operator")
    await assign_operator(owner_engine, b, b_lead, "lead")
    both: dict[str, TestUser] = {"lead": world.lead}
    # add_member records the user on the tenant by role; keep the world's own users there.
    a_users, b_users = dict(a.users), dict(b.users)
    for role in ("client_admin", "client_member", "client_viewer"):
        user = await create_user(owner_engine, f"{role.split('_')[1]}@both.example")
        await add_member(owner_engine, a, user, role)
        await add_member(owner_engine, b, user, role)
        both[role] = user
    a.users, b.users = a_users, b_users
    dual_operator = await create_user(owner_engine, "operator-ab@daiko.example", kind="operator")
    await assign_operator(owner_engine, a, dual_operator, "operator")
    await assign_operator(owner_engine, b, dual_operator, "operator")
    both["operator"] = dual_operator
    return MatrixPeople(
        only_a={
            "client_admin": a.users["client_admin"],
            "client_member": a.users["client_member"],
            "client_viewer": a.users["client_viewer"],
            "operator": world.operator,
        },
        only_b={
            "client_admin": b.users["client_admin"],
            "client_member": b.users["client_member"],
            "client_viewer": b.users["client_viewer"],
            "operator": b_operator,
            "lead": b_lead,
        },
        both=both,
        ops_admin=world.ops_admin,
    )
