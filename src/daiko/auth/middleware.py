"""Authentication: resolve the request's `Principal` once, before routing.

A session cookie (people) or an `Authorization: Bearer` JWT (partners). The principal and
its `TenantScope` go into the ASGI scope's state, where `policy_guard` and the
`db_session` dependency read them. Failing to authenticate is not an error here: public
routes still work, and guarded routes answer 401 with the reason recorded.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from daiko.auth.bearer import resolve_bearer
from daiko.auth.sessions import COOKIE_NAME, load_session
from daiko.errors import NotAuthenticated
from daiko.runtime import Runtime
from daiko.tenancy.principals import user_principal


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


async def authenticate(runtime: Runtime, scope: Scope) -> None:
    state: dict[str, Any] = scope.setdefault("state", {})
    authz = _header(scope, b"authorization")
    if authz is not None:
        kind, _, token = authz.partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            state["auth_error"] = "Authorization must be 'Bearer <token>'"
            return
        try:
            principal = await resolve_bearer(runtime, token.strip())
        except NotAuthenticated as exc:
            state["auth_error"] = exc.detail
            return
        state["principal"] = principal
        state["tenant_scope"] = principal.scope
        return
    cookie = _cookie(scope, COOKIE_NAME)
    if not cookie:
        return
    async with runtime.db.global_session() as session:
        found = await load_session(session, cookie)
        if found is None:
            state["auth_error"] = "your session has ended; sign in again"
            return
        row, user = found
        principal = await user_principal(
            session, user, session_id=row.id, mfa_verified=row.mfa_verified
        )
    state["principal"] = principal
    state["tenant_scope"] = principal.scope
    state["user_session"] = row


def authentication_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and not scope["path"].startswith(
            ("/static", "/health", "/metrics")
        ):
            runtime: Runtime = scope["litestar_app"].state.runtime
            await authenticate(runtime, scope)
        await app(scope, receive, send)

    return middleware
