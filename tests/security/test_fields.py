"""Field encryption on real PostgreSQL, as the runtime role in tenant scopes."""

from __future__ import annotations

import base64
import os

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.audit.models import AuditEvent
from daiko.audit.service import SensitiveKind, SystemActor
from daiko.runtime import Runtime
from daiko.security.fields import (
    FieldDecryptionError,
    decrypt_field,
    decrypt_fields,
    encrypt_field,
    reveal_field,
    rewrap_tenant_keys,
    rotate_data_key,
)
from daiko.security.keys import KeyUnavailable, MasterKeyring, master_key_id
from daiko.security.models import TenantDataKey
from daiko.tenancy.scope import scope_of_tenant, scope_of_tenants
from tests.factories import World

MY_NUMBER = "123456789018"
PURPOSE = "employee.my_number"


@pytest.fixture
def keyring(runtime: Runtime) -> MasterKeyring:
    return MasterKeyring.from_settings(runtime.settings)


async def test_round_trip_and_token_shape(
    runtime: Runtime, world: World, keyring: MasterKeyring
) -> None:
    a = world.tenant_a.id
    async with runtime.db.session(scope_of_tenant(a)) as s:
        token = await encrypt_field(s, a, MY_NUMBER, purpose=PURPOSE, keyring=keyring)
        again = await encrypt_field(s, a, MY_NUMBER, purpose=PURPOSE, keyring=keyring)
    prefix, version, body = token.split(":")
    assert (prefix, version) == ("v1", "1")
    assert len(base64.urlsafe_b64decode(body + "==")) == 12 + 12 + 16  # nonce, text, tag
    assert MY_NUMBER not in token
    assert token != again  # a fresh nonce every time
    async with runtime.db.session(scope_of_tenant(a)) as s:
        assert await decrypt_field(s, a, token, purpose=PURPOSE, keyring=keyring) == MY_NUMBER
        assert await decrypt_fields(s, a, [token, again], purpose=PURPOSE, keyring=keyring) == [
            MY_NUMBER,
            MY_NUMBER,
        ]
        keys = (await s.execute(select(TenantDataKey))).scalars().all()
    assert [(k.version, k.status, k.master_key_id) for k in keys] == [
        (1, "active", keyring.current_id)
    ]


async def test_another_tenant_or_purpose_cannot_decrypt(
    runtime: Runtime, world: World, keyring: MasterKeyring
) -> None:
    a, b = world.tenant_a.id, world.tenant_b.id
    async with runtime.db.session(scope_of_tenant(a)) as s:
        token = await encrypt_field(s, a, MY_NUMBER, purpose=PURPOSE, keyring=keyring)
    async with runtime.db.session(scope_of_tenant(b)) as s:
        await encrypt_field(s, b, "x", purpose=PURPOSE, keyring=keyring)  # B has a v1 key too
        with pytest.raises(FieldDecryptionError, match="another tenant or purpose"):
            await decrypt_field(s, b, token, purpose=PURPOSE, keyring=keyring)
    async with runtime.db.session(scope_of_tenant(a)) as s:
        with pytest.raises(FieldDecryptionError, match="another tenant or purpose"):
            await decrypt_field(s, a, token, purpose="employee.bank_account", keyring=keyring)
    # In B's scope, A's keys do not exist at all (RLS).
    async with runtime.db.session(scope_of_tenant(b)) as s:
        with pytest.raises(FieldDecryptionError, match="no data key v1 in this scope"):
            await decrypt_field(s, a, token, purpose=PURPOSE, keyring=keyring)


async def test_tampered_or_malformed_tokens_fail(
    runtime: Runtime, world: World, keyring: MasterKeyring
) -> None:
    a = world.tenant_a.id
    async with runtime.db.session(scope_of_tenant(a)) as s:
        token = await encrypt_field(s, a, MY_NUMBER, purpose=PURPOSE, keyring=keyring)
        prefix, version, body = token.split(":")
        raw = bytearray(base64.urlsafe_b64decode(body + "=="))
        raw[15] ^= 0x01
        flipped = f"{prefix}:{version}:{base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('=')}"
        with pytest.raises(FieldDecryptionError, match="altered"):
            await decrypt_field(s, a, flipped, purpose=PURPOSE, keyring=keyring)
        with pytest.raises(FieldDecryptionError, match="no data key v2"):
            await decrypt_field(s, a, f"v1:2:{body}", purpose=PURPOSE, keyring=keyring)
        for bad in ("", "v2:1:abc", "v1:1:", "v1:x:abc", "v1:1:AAAA"):
            with pytest.raises(FieldDecryptionError):
                await decrypt_field(s, a, bad, purpose=PURPOSE, keyring=keyring)
        with pytest.raises(ValueError, match="must look like"):
            await encrypt_field(s, a, MY_NUMBER, purpose="My Number", keyring=keyring)


async def test_a_wrapped_key_copied_to_another_tenant_does_not_unwrap(
    runtime: Runtime, world: World, keyring: MasterKeyring, owner_engine: AsyncEngine
) -> None:
    a, b = world.tenant_a.id, world.tenant_b.id
    async with runtime.db.session(scope_of_tenant(a)) as s:
        token = await encrypt_field(s, a, MY_NUMBER, purpose=PURPOSE, keyring=keyring)
    async with owner_engine.begin() as conn:
        await conn.execute(
            text(
                "insert into tenant_data_keys (tenant_id, id, version, status, wrapped_key,"
                " master_key_id) select :b, gen_random_uuid(), version, status, wrapped_key,"
                " master_key_id from tenant_data_keys where tenant_id = :a"
            ),
            {"a": a, "b": b},
        )
    async with runtime.db.session(scope_of_tenant(b)) as s:
        with pytest.raises(KeyUnavailable, match="does not unwrap"):
            await decrypt_field(s, b, token, purpose=PURPOSE, keyring=keyring)


async def test_data_key_rotation_keeps_old_tokens_readable(
    runtime: Runtime, world: World, keyring: MasterKeyring
) -> None:
    a = world.tenant_a.id
    async with runtime.db.session(scope_of_tenant(a)) as s:
        old = await encrypt_field(s, a, MY_NUMBER, purpose=PURPOSE, keyring=keyring)
        assert await rotate_data_key(s, a, keyring=keyring) == 2
        new = await encrypt_field(s, a, "548836529885", purpose=PURPOSE, keyring=keyring)
        assert new.startswith("v1:2:")
        assert await decrypt_fields(s, a, [old, new], purpose=PURPOSE, keyring=keyring) == [
            MY_NUMBER,
            "548836529885",
        ]
        rows = (
            await s.execute(select(TenantDataKey.version, TenantDataKey.status).order_by("version"))
        ).all()
    assert [tuple(r) for r in rows] == [(1, "retired"), (2, "active")]


async def test_master_key_rotation_rewraps_and_old_key_is_then_unneeded(
    runtime: Runtime, world: World, keyring: MasterKeyring
) -> None:
    a = world.tenant_a.id
    async with runtime.db.session(scope_of_tenant(a)) as s:
        token = await encrypt_field(s, a, MY_NUMBER, purpose=PURPOSE, keyring=keyring)
    new_master = os.urandom(32)
    rotating = MasterKeyring(current=new_master, previous=(keyring.current,))
    async with runtime.db.session(scope_of_tenant(a)) as s:
        assert await rewrap_tenant_keys(s, a, rotating) == 1
        assert await rewrap_tenant_keys(s, a, rotating) == 0  # idempotent
    only_new = MasterKeyring(current=new_master)
    async with runtime.db.session(scope_of_tenant(a)) as s:
        assert await decrypt_field(s, a, token, purpose=PURPOSE, keyring=only_new) == MY_NUMBER
        with pytest.raises(KeyUnavailable, match="not configured"):
            await decrypt_field(s, a, token, purpose=PURPOSE, keyring=keyring)
        [kid] = (await s.execute(select(TenantDataKey.master_key_id))).scalars().all()
    assert kid == master_key_id(new_master)


async def test_concurrent_first_use_creates_one_data_key(
    runtime: Runtime, world: World, keyring: MasterKeyring
) -> None:
    import asyncio

    a = world.tenant_a.id

    async def one() -> str:
        async with runtime.db.session(scope_of_tenant(a)) as s:
            return await encrypt_field(s, a, MY_NUMBER, purpose=PURPOSE, keyring=keyring)

    tokens = await asyncio.gather(*(one() for _ in range(5)))
    async with runtime.db.session(scope_of_tenant(a)) as s:
        assert (
            await decrypt_fields(s, a, tokens, purpose=PURPOSE, keyring=keyring) == [MY_NUMBER] * 5
        )
        assert (await s.execute(text("select count(*) from tenant_data_keys"))).scalar() == 1


async def test_reveal_decrypts_and_audits_in_one_transaction(
    runtime: Runtime, world: World, keyring: MasterKeyring
) -> None:
    a = world.tenant_a.id
    async with runtime.db.session(scope_of_tenants([a])) as s:
        token = await encrypt_field(s, a, MY_NUMBER, purpose=PURPOSE, keyring=keyring)
        clear = await reveal_field(
            s,
            tenant_id=a,
            token=token,
            purpose=PURPOSE,
            kind=SensitiveKind.MY_NUMBER,
            actor=SystemActor("tests"),
            resource_type="employee",
            resource_id="e1",
            business_purpose="withholding_slip",
            keyring=keyring,
        )
        event = (await s.execute(select(AuditEvent))).scalar_one()
    assert clear == MY_NUMBER
    assert (event.action, event.resource_id, event.details) == (
        "employee.my_number_revealed",
        "e1",
        {"field": PURPOSE, "sensitive": "my_number", "purpose": "withholding_slip"},
    )


async def test_rotate_master_key_rewraps_every_tenant_and_audits_it(
    runtime: Runtime, world: World, keyring: MasterKeyring
) -> None:
    from daiko.security.fields import rotate_master_key

    for tenant in (world.tenant_a, world.tenant_b):
        async with runtime.db.session(scope_of_tenant(tenant.id)) as s:
            await encrypt_field(s, tenant.id, MY_NUMBER, purpose=PURPOSE, keyring=keyring)
    rotating = MasterKeyring(current=os.urandom(32), previous=(keyring.current,))
    done = await rotate_master_key(runtime.db, rotating)
    assert done == {world.tenant_a.id: 1, world.tenant_b.id: 1}
    assert await rotate_master_key(runtime.db, rotating) == {
        world.tenant_a.id: 0,
        world.tenant_b.id: 0,
    }
    async with runtime.db.session(scope_of_tenant(world.tenant_b.id)) as s:
        event = (await s.execute(select(AuditEvent))).scalar_one()
    assert (event.action, event.actor_kind, event.details) == (
        "tenant.data_keys_rewrapped",
        "system",
        {"keys": 1, "master_key_id": rotating.current_id},
    )
