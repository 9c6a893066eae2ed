"""Authentication: resolve the request's `Principal` once, before routing.

A session cookie (people) or an `Authorization: Bearer` JWT (partners). The principal and
its `TenantScope` go into the ASGI scope's state, where `policy_guard` and the
`db_session` dependency read them. Failing to authenticate is not an error here: public
routes still work, and guarded routes answer 401 with the reason recorded.

A session whose user must pass a second factor (operators, users with TOTP, client
users of a tenant with `require_mfa`) and has not yet grants no principal: it is kept in
`state["user_session"]` with `state["mfa_pending"] = True`, so only the second-factor
pages (which read it themselves) can use it.

CSRF (`daiko.auth.csrf`) is checked here too, once the session is known: an unsafe
request that fails it is answered 403 before it reaches any handler.
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPResponseStartEvent, Receive, Scope, Send

from daiko.auth import csrf
from daiko.auth.bearer import resolve_bearer
from daiko.auth.clock import utcnow
from daiko.auth.errors import CsrfRejected
from daiko.auth.events import auth_event
from daiko.auth.sessions import COOKIE_NAME, load_session
from daiko.errors import PROBLEM_JSON, NotAuthenticated, problem_type
from daiko.runtime import Runtime
from daiko.tenancy.principals import user_principal

PENDING_MFA = "sign-in is not complete: verify your second factor at /auth/mfa"


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
    from daiko.auth.service import mfa_required

    state: dict[str, Any] = scope.setdefault("state", {})
    authz = _header(scope, b"authorization")
    if authz is not None:
        state["bearer"] = True
        kind, _, token = authz.partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            state["auth_error"] = "Authorization must be 'Bearer <token>'"
            state["auth_challenge"] = {"WWW-Authenticate": 'Bearer realm="daiko"'}
            return
        try:
            principal = await resolve_bearer(runtime, token.strip())
        except NotAuthenticated as exc:
            state["auth_error"] = exc.detail
            state["auth_challenge"] = {
                "WWW-Authenticate": 'Bearer realm="daiko", error="invalid_token"'
            }
            return
        state["principal"] = principal
        state["tenant_scope"] = principal.scope
        return
    cookie = _cookie(scope, COOKIE_NAME)
    if not cookie:
        return
    state["session_token"] = cookie
    async with runtime.db.global_session() as session:
        found = await load_session(session, cookie, now=utcnow(runtime))
        if found is None:
            state["auth_error"] = "your session has ended; sign in again"
            return
        row, user = found
        principal = await user_principal(
            session, user, session_id=row.id, mfa_verified=row.mfa_verified
        )
        pending = not row.mfa_verified and await mfa_required(session, user, list(principal.roles))
    state["user_session"] = row
    state["session_user"] = user
    state["mfa_pending"] = pending
    if pending:
        state["auth_error"] = PENDING_MFA
        return
    state["principal"] = principal
    state["tenant_scope"] = principal.scope


async def check_csrf(scope: Scope, receive: Receive) -> tuple[bool, Receive]:
    """(passed, receive to hand on). See `daiko.auth.csrf` for the rules."""
    if scope.get("method", "GET") in csrf.SAFE_METHODS:
        return True, receive
    state: dict[str, Any] = scope.setdefault("state", {})
    if state.get("bearer") or scope["path"].startswith(csrf.EXEMPT_PREFIXES):
        return True, receive
    row = state.get("user_session")
    if row is not None:
        provided, receive = await csrf.submitted_token(scope, receive)
        return csrf.same(row.csrf_token, provided), receive
    if not csrf.is_form_like(scope):
        return True, receive
    provided, receive = await csrf.submitted_token(scope, receive)
    return csrf.same(_cookie(scope, csrf.PRELOGIN_COOKIE), provided), receive


async def _send_problem(send: Send, path: str, exc: CsrfRejected) -> None:
    body = json.dumps(
        {
            "type": problem_type(exc.slug),
            "title": exc.title,
            "status": exc.status,
            "detail": exc.detail,
            "instance": path,
        }
    ).encode()
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": exc.status,
        "headers": [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


def authentication_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and not scope["path"].startswith(
            ("/static", "/health", "/metrics")
        ):
            runtime: Runtime = scope["litestar_app"].state.runtime
            await authenticate(runtime, scope)
            passed, receive = await check_csrf(scope, receive)
            if not passed:
                auth_event("csrf rejected", path=scope["path"], method=scope.get("method"))
                await _send_problem(
                    send,
                    scope["path"],
                    CsrfRejected(
                        "The form has expired or was not sent from a Daiko page; "
                        "reload the page and try again."
                    ),
                )
                return
        await app(scope, receive, send)

    return middleware
