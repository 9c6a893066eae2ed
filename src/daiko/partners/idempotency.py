"""`Idempotency-Key` for every POST and PATCH under /api/v1 (draft-ietf-httpapi-
idempotency-key-header).

- Partners (bearer principals) must send it: without it, 400
  `urn:daiko:problem:idempotency-key-missing`. People signed in to the portal may send
  it and it is honoured the same way, but it is not required of them (their pages post
  forms with CSRF tokens and never retry blindly).
- Keys are scoped by tenant (the request's tenant, see `daiko.partners.requests`) and
  principal (partner client or user) and kept 24 hours.
- The first request claims the key with `INSERT … ON CONFLICT DO NOTHING` in its own
  committed transaction before the handler runs; so of 50 concurrent duplicates exactly
  one runs, and the others get 409 `idempotency-key-in-use` while it runs, then the
  stored response replayed (with `Idempotency-Replayed: true`).
- The same key with another method, path or body: 422 `idempotency-key-reused`.
- A 5xx or 429 answer is not stored (the key is released, a retry runs again); every
  other answer, errors included, is replayed as first given. A claim whose process died
  is taken over after `LOCK_SECONDS`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from daiko.errors import PROBLEM_JSON, problem_type
from daiko.ids import new_id
from daiko.partners.models import IdempotencyKey
from daiko.partners.requests import (
    API_PREFIX,
    header,
    is_public,
    principal_key,
    principal_of,
    request_tenant,
)
from daiko.runtime import Runtime
from daiko.tenancy.scope import scope_of_tenant

log = structlog.get_logger("daiko.partners.idempotency")

HEADER = b"idempotency-key"
METHODS = frozenset({"POST", "PATCH"})
TTL = timedelta(hours=24)
LOCK_SECONDS = 60
MAX_KEY = 255
MAX_STORED_BODY = 1024 * 1024
# Response headers worth replaying (not cookies, request ids or rate-limit state).
REPLAYED_HEADERS = frozenset({b"content-type", b"location", b"etag", b"content-language"})

PROBLEMS: dict[str, tuple[int, str]] = {
    "idempotency-key-missing": (400, "An Idempotency-Key header is required"),
    "idempotency-key-invalid": (400, "The Idempotency-Key header is not valid"),
    "idempotency-key-reused": (
        422,
        "This Idempotency-Key was used for a different request",
    ),
    "idempotency-key-in-use": (409, "A request with this Idempotency-Key is still running"),
}


async def _problem(
    send: Send, path: str, slug: str, detail: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    status, title = PROBLEMS[slug]
    body = json.dumps(
        {
            "type": problem_type(slug),
            "title": title,
            "status": status,
            "detail": detail,
            "instance": path,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


def parse_key(raw: str) -> str | None:
    """The key from the header: an sf-string (`"…"`, as the draft specifies) or, as
    many clients send it, a bare token. None if empty, too long or not printable."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not value or len(value) > MAX_KEY:
        return None
    if not all(0x20 <= ord(c) < 0x7F for c in value):
        return None
    return value


async def _read_body(receive: Receive) -> tuple[bytes, list[ReceiveMessage]]:
    chunks: list[bytes] = []
    messages: list[ReceiveMessage] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


def _replaying_receive(messages: list[ReceiveMessage], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> ReceiveMessage:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    h = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def idempotency_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != ScopeType.HTTP
            or scope.get("method") not in METHODS
            or not scope["path"].startswith(API_PREFIX)
            or is_public(scope)
        ):
            await app(scope, receive, send)
            return
        principal = principal_of(scope)
        if principal is None:
            await app(scope, receive, send)  # the guard answers 401
            return
        raw = header(scope, HEADER)
        if raw is None:
            if principal.kind == "partner":
                await _problem(
                    send,
                    scope["path"],
                    "idempotency-key-missing",
                    f"{scope['method']} requests need an Idempotency-Key header "
                    "(a unique value per operation, e.g. a UUID); retries reuse it.",
                )
                return
            await app(scope, receive, send)
            return
        key = parse_key(raw)
        if key is None:
            await _problem(
                send,
                scope["path"],
                "idempotency-key-invalid",
                f"use 1–{MAX_KEY} printable ASCII characters",
            )
            return
        body, messages = await _read_body(receive)
        receive = _replaying_receive(messages, receive)
        tenant_id = request_tenant(scope, principal, body)
        if tenant_id is None:
            await app(scope, receive, send)
            return
        runtime: Runtime = scope["litestar_app"].state.runtime
        await _handle(
            app,
            scope,
            receive,
            send,
            runtime=runtime,
            tenant_id=tenant_id,
            who=principal_key(principal),
            key=key,
            fp=fingerprint(scope["method"], scope["path"], scope.get("query_string", b""), body),
        )

    return middleware


async def _claim(
    runtime: Runtime, tenant_scope: Any, values: dict[str, Any], now: datetime
) -> tuple[str, IdempotencyKey | None]:
    """('run', None) when this request owns the key now; otherwise ('seen', row)."""
    async with runtime.db.session(tenant_scope) as session:
        inserted = await session.execute(
            pg_insert(IdempotencyKey)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["tenant_id", "principal", "key"])
            .returning(IdempotencyKey.id)
        )
        if inserted.scalar_one_or_none() is not None:
            return "run", None
        row = (
            await session.execute(
                select(IdempotencyKey).where(
                    IdempotencyKey.tenant_id == values["tenant_id"],
                    IdempotencyKey.principal == values["principal"],
                    IdempotencyKey.key == values["key"],
                )
            )
        ).scalar_one_or_none()
        if row is None:
            return "retry", None  # expired and swept between the two statements
        if row.expires_at <= now:
            # Past its 24 hours but not yet swept: the key is free again.
            await session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.tenant_id == row.tenant_id, IdempotencyKey.id == row.id)
                .values(
                    **{k: v for k, v in values.items() if k not in ("tenant_id", "id")},
                    response_status=None,
                    response_headers=None,
                    response_body=None,
                )
            )
            return "run", None
        if (
            row.fingerprint == values["fingerprint"]
            and row.state == "in_progress"
            and row.locked_until <= now
        ):
            taken = await session.execute(
                update(IdempotencyKey)
                .where(
                    IdempotencyKey.tenant_id == row.tenant_id,
                    IdempotencyKey.id == row.id,
                    IdempotencyKey.state == "in_progress",
                    IdempotencyKey.locked_until <= now,
                )
                .values(locked_until=values["locked_until"])
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return "run", None
        return "seen", row


async def _handle(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    runtime: Runtime,
    tenant_id: Any,
    who: str,
    key: str,
    fp: str,
) -> None:
    tenant_scope = scope_of_tenant(tenant_id)
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "id": new_id(),
        "principal": who,
        "key": key,
        "method": scope.get("method", "POST"),
        "path": scope["path"],
        "fingerprint": fp,
        "state": "in_progress",
        "locked_until": now + timedelta(seconds=LOCK_SECONDS),
        "expires_at": now + TTL,
    }
    outcome, row = await _claim(runtime, tenant_scope, values, now)
    if outcome == "retry":
        outcome, row = await _claim(runtime, tenant_scope, values, now)
    if outcome != "run":
        assert row is not None
        if row.fingerprint != fp:
            await _problem(
                send,
                scope["path"],
                "idempotency-key-reused",
                f"the key was first used for {row.method} {row.path} with another body; "
                "use a new key for a new operation",
            )
        elif row.state != "completed":
            await _problem(
                send,
                scope["path"],
                "idempotency-key-in-use",
                "the first request with this key has not finished; retry shortly",
                [(b"retry-after", b"1")],
            )
        else:
            await _replay(send, row)
        return

    status = 500
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []
    size = 0

    async def capture(message: Message) -> None:
        nonlocal status, headers, size
        if message["type"] == "http.response.start":
            status = int(message["status"])
            headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            part = bytes(message.get("body", b""))
            size += len(part)
            if size <= MAX_STORED_BODY:
                chunks.append(part)
        await send(message)

    try:
        await app(scope, receive, capture)
    finally:
        await _settle(runtime, tenant_scope, values, status, headers, chunks, size)


async def _settle(
    runtime: Runtime,
    tenant_scope: Any,
    values: dict[str, Any],
    status: int,
    headers: list[tuple[bytes, bytes]],
    chunks: list[bytes],
    size: int,
) -> None:
    where = (
        IdempotencyKey.tenant_id == values["tenant_id"],
        IdempotencyKey.id == values["id"],
    )
    try:
        async with runtime.db.session(tenant_scope) as session:
            if status >= 500 or status == 429 or size > MAX_STORED_BODY:
                await session.execute(delete(IdempotencyKey).where(*where))
                return
            kept = [
                [k.decode("latin-1"), v.decode("latin-1")]
                for k, v in headers
                if k.lower() in REPLAYED_HEADERS
            ]
            await session.execute(
                update(IdempotencyKey)
                .where(*where)
                .values(
                    state="completed",
                    response_status=status,
                    response_headers=kept,
                    response_body=b"".join(chunks),
                )
            )
    except Exception:
        # The response has gone out; a key left in progress is taken over after its lock.
        log.exception("idempotency key not settled", key=values["key"])


async def _replay(send: Send, row: IdempotencyKey) -> None:
    body = row.response_body or b""
    headers: list[tuple[bytes, bytes]] = [
        (k.encode("latin-1"), v.encode("latin-1")) for k, v in (row.response_headers or [])
    ]
    headers += [
        (b"content-length", str(len(body)).encode()),
        (b"idempotency-replayed", b"true"),
    ]
    await send(
        {
            "type": "http.response.start",
            "status": row.response_status or 200,
            "headers": headers,
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def expire_keys(runtime: Runtime) -> int:
    """Delete keys past their 24 hours, set-wise as the system role (periodic)."""
    from sqlalchemy import text

    async with runtime.db.system_engine.begin() as conn:
        result = await conn.execute(text("delete from idempotency_keys where expires_at < now()"))
    return int(result.rowcount)
