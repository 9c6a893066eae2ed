"""CSRF protection for cookie-authenticated requests, checked in the authentication
middleware before any handler runs.

- With a session (signed in or pending MFA): every unsafe request (POST, PUT, PATCH,
  DELETE) carries the session's synchronizer token, `user_sessions.csrf_token`, in the
  `X-CSRF-Token` header (JSON, HTMX) or a `csrf_token` form field (plain forms).
- Without a session, a form post (sign-in, password reset) uses double submit: the
  `daiko_csrf` cookie set with the form must equal the form's `csrf_token`. Without a
  session a JSON body needs nothing: a cross-site page cannot send `application/json`
  without a CORS preflight, which we never allow.
- Bearer-token requests never use the cookie and are exempt, as are the OAuth endpoints
  (their callers authenticate as clients, never with cookies).

Only url-encoded bodies are read here (small, buffered, then replayed to the handler);
multipart posts must send the header.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs

from litestar.types import Receive, ReceiveMessage, Scope

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
HEADER = b"x-csrf-token"
FIELD = "csrf_token"
PRELOGIN_COOKIE = "daiko_csrf"
EXEMPT_PREFIXES = ("/oauth/",)
MAX_FORM_BYTES = 64 * 1024
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(expected: str | None, provided: str | None) -> bool:
    if not expected or not provided:
        return False
    return hmac.compare_digest(expected.encode(), provided.encode())


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def _buffer(receive: Receive) -> tuple[bytes, list[ReceiveMessage]]:
    body = b""
    messages: list[ReceiveMessage] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if len(body) > MAX_FORM_BYTES or not message.get("more_body", False):
            break
    return body, messages


def _replay(messages: list[ReceiveMessage], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> ReceiveMessage:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


async def submitted_token(scope: Scope, receive: Receive) -> tuple[str | None, Receive]:
    """The token the request carries (header first, then url-encoded form field), and a
    `receive` that replays whatever body was read."""
    header = _header(scope, HEADER)
    if header:
        return header, receive
    content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return None, receive
    body, messages = await _buffer(receive)
    values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(FIELD)
    return (values[0] if values else None), _replay(messages, receive)


def is_form_like(scope: Scope) -> bool:
    content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    # A cross-site <form> always sends one of these; a request without a body type
    # cannot be a form post, and without a session it has nothing to ride on.
    return content_type in _FORM_TYPES
