"""Writing and verifying the audit trail.

`record(...)` appends one event to the tenant's chain inside the caller's transaction
(flush only): the event commits with the change it records or not at all. Appends of
one tenant are serialised by a transaction-scoped advisory lock, so the sequence is
gap-free and each event links to the one before it. Keep `record` near the end of a
transaction: the lock is held until commit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit import repository
from daiko.audit.chain import (
    GENESIS_HASH,
    ActorRef,
    ChainedFields,
    canonical_details,
    event_hash,
)
from daiko.audit.models import ACTION_PATTERN, ACTOR_KINDS, AuditEvent
from daiko.auth.principal import Principal
from daiko.db.engine import Database
from daiko.documents.store import DocumentStore
from daiko.tenancy.scope import scope_of_tenant

_ACTION = re.compile(ACTION_PATTERN)
log = structlog.get_logger("daiko.audit")
VERIFY_BATCH = 1000


@dataclass(frozen=True)
class SystemActor:
    """Work done by the system itself: a scheduler sweep, a worker, a CLI command."""

    name: str  # "scheduler.retention_sweep", "cli.tenants_apply"
    display: str | None = None


Actor = Principal | SystemActor | ActorRef | None


def actor_ref(actor: Actor) -> ActorRef:
    """The stored form of who acted. An `ActorRef` passes through unchanged (for callers
    that already hold one, e.g. the tenancy CLI's actor)."""
    if actor is None:
        return ActorRef(kind="system", id=None, display=None)
    if isinstance(actor, ActorRef):
        if actor.kind not in ACTOR_KINDS:
            raise ValueError(f"actor kind {actor.kind!r} is not one of {ACTOR_KINDS}")
        return actor
    if isinstance(actor, SystemActor):
        return ActorRef(kind="system", id=actor.name, display=actor.display or actor.name)
    if actor.kind == "partner":
        return ActorRef(kind="partner", id=actor.client_id, display=actor.client_id)
    return ActorRef(
        kind="operator" if actor.is_operator else "user",
        id=str(actor.user_id) if actor.user_id else None,
        display=actor.display_name or actor.email,
    )


def _request_id() -> str | None:
    rid = structlog.contextvars.get_contextvars().get("request_id")
    return str(rid) if rid else None


async def record(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: str | uuid.UUID | None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to `tenant_id`'s chain in the caller's transaction (flushed,
    never committed). `action` is dotted lower case (`case.status_changed`); `details`
    never holds secrets (keys such as `password` or `my_number` raise `ValueError`)."""
    if not _ACTION.match(action):
        raise ValueError(f"audit action {action!r} must look like 'resource.verb'")
    if not resource_type:
        raise ValueError("audit resource_type is required")
    body = canonical_details(details)
    who = actor_ref(actor)
    rid = str(resource_id) if resource_id is not None else None
    await repository.lock_chain(session, tenant_id)
    head = await repository.chain_head(session, tenant_id)
    fields = ChainedFields(
        tenant_id=tenant_id,
        seq=head.seq + 1 if head else 1,
        # Taken after the lock, so times follow the chain order within one clock.
        occurred_at=dt.datetime.now(dt.UTC),
        actor=who,
        action=action,
        resource_type=resource_type,
        resource_id=rid,
        details=body,
        request_id=_request_id(),
        prev_hash=head.hash if head else GENESIS_HASH,
    )
    event = AuditEvent(
        tenant_id=tenant_id,
        seq=fields.seq,
        occurred_at=fields.occurred_at,
        actor_kind=who.kind,
        actor_id=who.id,
        actor_display=who.display,
        action=action,
        resource_type=resource_type,
        resource_id=rid,
        details=body,
        request_id=fields.request_id,
        prev_hash=fields.prev_hash,
        hash=event_hash(fields),
    )
    session.add(event)
    await session.flush()
    return event


class SensitiveKind(StrEnum):
    """Data whose every read is audited (DESIGN: My Number, bank accounts, payslips)."""

    MY_NUMBER = "my_number"
    BANK_ACCOUNT = "bank_account"
    PAYSLIP = "payslip"


async def record_read_of_sensitive(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    actor: Actor,
    kind: SensitiveKind,
    resource_type: str,
    resource_id: str | uuid.UUID | None,
    purpose: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Audit a read of sensitive data as `<resource_type>.<kind>_revealed`
    (`employee.my_number_revealed`). A My Number read must state its purpose
    (番号法: use only for 個人番号関係事務, e.g. `withholding_slip`)."""
    if kind is SensitiveKind.MY_NUMBER and not purpose:
        raise ValueError("reading a My Number requires a purpose (個人番号関係事務)")
    body: dict[str, Any] = {**(details or {}), "sensitive": kind.value}
    if purpose:
        body["purpose"] = purpose
    return await record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action=f"{resource_type}.{kind.value}_revealed",
        resource_type=resource_type,
        resource_id=resource_id,
        details=body,
    )


class BreakReason(StrEnum):
    SEQUENCE_GAP = "sequence_gap"
    HASH_MISMATCH = "hash_mismatch"
    PREV_HASH_MISMATCH = "prev_hash_mismatch"
    HEAD_MISMATCH = "head_mismatch"  # the chain lost or rewrote its exported head


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of walking one tenant's chain. `events_checked` counts the events
    found intact before the first break (all of them when `ok`)."""

    tenant_id: uuid.UUID
    ok: bool
    events_checked: int
    broken_seq: int | None = None
    reason: BreakReason | None = None
    detail: str | None = None
    head_seq: int = 0
    head_hash: str = GENESIS_HASH


async def verify_chain(
    db: repository.Executor, tenant_id: uuid.UUID, *, batch_size: int = VERIFY_BATCH
) -> VerifyResult:
    """Walk `tenant_id`'s chain from seq 1 and report the first break, if any.

    Checked per event, in this order: its seq is the next one (a deleted or renumbered
    event is a `sequence_gap` at the missing number); its stored hash matches its
    recomputed content (`hash_mismatch`: the event was changed); its prev_hash is the
    previous event's hash (`prev_hash_mismatch`: the event before it was rewritten with
    a recomputed hash). Truncating the newest events is not detectable from the chain
    alone; compare with an exported head for that.
    """
    expected = 1
    prev = GENESIS_HASH
    while True:
        rows = await repository.chain_batch(db, tenant_id, after_seq=expected - 1, limit=batch_size)
        if not rows:
            break
        for row in rows:
            seq = int(row.seq)
            broken = _check(tenant_id, row, expected, prev)
            if broken is not None:
                reason, detail = broken
                at = expected if reason is BreakReason.SEQUENCE_GAP else seq
                return VerifyResult(
                    tenant_id=tenant_id,
                    ok=False,
                    events_checked=expected - 1,
                    broken_seq=at,
                    reason=reason,
                    detail=detail,
                    head_seq=expected - 1,
                    head_hash=prev,
                )
            prev = str(row.hash)
            expected = seq + 1
        if len(rows) < batch_size:
            break
    return VerifyResult(
        tenant_id=tenant_id,
        ok=True,
        events_checked=expected - 1,
        head_seq=expected - 1,
        head_hash=prev,
    )


def _check(
    tenant_id: uuid.UUID, row: Any, expected: int, prev: str
) -> tuple[BreakReason, str] | None:
    if row.seq != expected:
        return BreakReason.SEQUENCE_GAP, f"expected seq {expected}, found seq {row.seq}"
    fields = ChainedFields(
        tenant_id=tenant_id,
        seq=row.seq,
        occurred_at=row.occurred_at,
        actor=ActorRef(kind=row.actor_kind, id=row.actor_id, display=row.actor_display),
        action=row.action,
        resource_type=row.resource_type,
        resource_id=row.resource_id,
        details=row.details,
        request_id=row.request_id,
        prev_hash=row.prev_hash,
    )
    try:
        recomputed = event_hash(fields)
    except (TypeError, ValueError) as exc:
        return BreakReason.HASH_MISMATCH, f"event cannot be encoded: {exc}"
    if recomputed != row.hash:
        return BreakReason.HASH_MISMATCH, "stored hash does not match the event's content"
    if row.prev_hash != prev:
        return BreakReason.PREV_HASH_MISMATCH, "prev_hash does not match the previous event"
    return None


@dataclass(frozen=True)
class TenantVerification:
    tenant_id: uuid.UUID
    slug: str
    result: VerifyResult | None  # None when the chain could not be read
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok


async def verify_tenants(
    db: Database, slug: str | None = None, *, store: DocumentStore | None = None
) -> list[TenantVerification]:
    """Verify every tenant's chain (or one tenant's), each in its own scope and its own
    try: one unreadable chain never stops the others. With `store`, an intact chain must
    also still hold the head last exported there (`daiko.audit.heads`)."""
    from daiko.audit.heads import check_against_export

    tenants = await repository.tenants_for_verification_as_system(db.system_engine, slug)
    out: list[TenantVerification] = []
    for tenant in tenants:
        try:
            async with db.session(scope_of_tenant(tenant.id)) as session:
                result = await verify_chain(session, tenant.id)
                if result.ok and store is not None:
                    problem = await check_against_export(session, store, tenant.id)
                    if problem is not None:
                        result = dataclasses.replace(
                            result,
                            ok=False,
                            broken_seq=result.head_seq + 1,
                            reason=BreakReason.HEAD_MISMATCH,
                            detail=problem,
                        )
        except Exception as exc:
            log.exception("audit verification failed", tenant_id=str(tenant.id))
            out.append(TenantVerification(tenant.id, tenant.slug, None, f"{type(exc).__name__}"))
            continue
        out.append(TenantVerification(tenant.id, tenant.slug, result))
    return out
