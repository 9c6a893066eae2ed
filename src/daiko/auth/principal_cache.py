"""Recently resolved partner tokens, kept only while the database can tell us they changed.

Resolving a bearer token costs a signature check and a round trip (revocation, the
client's state, its live grants); a partner syncing employees sends the same token
thousands of times a minute. `PrincipalCache` keeps token → `Principal` for a few seconds,
and is used only while this process is LISTENing on `daiko_principals`: migration 0016
makes every write to `revoked_tokens`, `partner_clients`, `partner_grants`, `signing_keys`
and `tenants` NOTIFY that channel when it commits, and the listener empties the cache.

Ordering. A resolution reads the generation before its query and stores its answer only
if no notification arrived meanwhile, so an answer read before a revocation committed
is never stored after the revocation was heard. A session of this process that writes
one of those tables also empties the cache itself when it commits (the session events
below), so a request that follows a revocation made here never races the notification.

If the listening connection is lost, the cache is emptied and bypassed until a new one
is up: no notifications, no cache.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import weakref
from datetime import datetime
from itertools import chain
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from daiko.auth.principal import Principal

CHANNEL = "daiko_principals"
TTL_SECONDS = 30.0
MAX_ENTRIES = 10_000
RETRY_SECONDS = 5.0

# The tables a principal is derived from; migration 0016 puts the NOTIFY trigger on each.
WATCHED = frozenset(
    {"revoked_tokens", "partner_clients", "partner_grants", "signing_keys", "tenants"}
)
_CHANGED = "daiko.principal_state_changed"

log = logging.getLogger(__name__)

_caches: weakref.WeakSet[PrincipalCache] = weakref.WeakSet()


def invalidate_all() -> None:
    """Empty every cache in this process (after a local write to auth state commits)."""
    for cache in list(_caches):
        cache.invalidate()


def _changed(session: Session) -> None:
    invalidate_all()  # resolutions already in flight must not store what they read
    session.info[_CHANGED] = True


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    for obj in chain(session.new, session.dirty, session.deleted):
        if getattr(obj, "__tablename__", None) in WATCHED:
            _changed(session)
            return


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in WATCHED:
            _changed(state.session)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        invalidate_all()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def _key(token: str) -> bytes:
    return hashlib.blake2b(token.encode(), digest_size=20).digest()


class PrincipalCache:
    def __init__(self, dsn: str, *, ttl: float = TTL_SECONDS) -> None:
        self.dsn = dsn
        self.ttl = ttl
        self.generation = 0
        self._entries: dict[bytes, tuple[float, datetime, Principal]] = {}
        self._conn: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._retry_at = 0.0
        self._starting: asyncio.Lock | None = None
        _caches.add(self)

    @property
    def listening(self) -> bool:
        return (
            self._conn is not None
            and not self._conn.is_closed()
            and self._loop is asyncio.get_running_loop()
        )

    async def ready(self) -> bool:
        """True when the cache may be used: the listener is (or has just been) connected."""
        if self.listening:
            return True
        if self._conn is not None:
            self._drop_connection()
        if time.monotonic() < self._retry_at:
            return False
        if self._starting is None or self._loop is not asyncio.get_running_loop():
            self._starting = asyncio.Lock()
        async with self._starting:
            if self.listening:
                return True
            return await self._listen()

    async def _listen(self) -> bool:
        import asyncpg  # type: ignore[import-untyped]

        try:
            conn = await asyncpg.connect(
                self.dsn, server_settings={"application_name": "daiko-principals"}
            )
            await conn.add_listener(CHANNEL, self._notified)
        except (OSError, asyncpg.PostgresError) as exc:
            self._retry_at = time.monotonic() + RETRY_SECONDS
            log.warning("principal cache off: cannot listen on %s (%s)", CHANNEL, exc)
            return False
        conn.add_termination_listener(self._terminated)
        self.invalidate()  # anything may have changed while nobody listened
        self._conn, self._loop = conn, asyncio.get_running_loop()
        return True

    def _notified(self, *_args: object) -> None:
        self.invalidate()

    def _terminated(self, *_args: object) -> None:
        log.warning("principal cache off: the %s listener was disconnected", CHANNEL)
        self._drop_connection()

    def _drop_connection(self) -> None:
        self._conn = self._loop = None
        self.invalidate()

    def invalidate(self) -> None:
        self.generation += 1
        self._entries.clear()

    def get(self, token: str, now: datetime) -> Principal | None:
        found = self._entries.get(_key(token))
        if found is None:
            return None
        stored_until, expires_at, principal = found
        if time.monotonic() >= stored_until or now >= expires_at:
            self._entries.pop(_key(token), None)
            return None
        return principal

    def put(self, token: str, principal: Principal, expires_at: datetime, generation: int) -> None:
        """Store an answer read at `generation`, unless something changed since."""
        if generation != self.generation or not self.listening:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[_key(token)] = (time.monotonic() + self.ttl, expires_at, principal)

    async def aclose(self) -> None:
        conn, self._conn, self._loop = self._conn, None, None
        self.invalidate()
        if conn is not None and not conn.is_closed():
            conn.remove_termination_listener(self._terminated)
            try:
                await conn.close(timeout=2)
            except Exception:  # closing a broken connection: nothing left to release
                conn.terminate()
