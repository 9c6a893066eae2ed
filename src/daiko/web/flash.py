"""Flash messages: one-shot notices shown on the next page (サインアウトしました …).

Kept in a signed cookie (HMAC with the secret key), so a client cannot plant markup or
another user's message; the page that shows them clears the cookie."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, Literal

from litestar import Request, Response
from litestar.datastructures import Cookie

COOKIE = "daiko_flash"
Level = Literal["info", "success", "warning", "error"]


def _sign(secret: str, payload: bytes) -> str:
    mac = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()[:32]
    return base64.urlsafe_b64encode(payload).decode() + "." + mac


def _unsign(secret: str, value: str) -> list[dict[str, str]]:
    body, _, mac = value.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body.encode())
    except ValueError:
        return []
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()[:32]
    if not hmac.compare_digest(mac, expected):
        return []
    try:
        items = json.loads(payload)
    except ValueError:
        return []
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def flash(
    request: Request[Any, Any, Any], response: Response[Any], level: Level, message: str
) -> None:
    """Queue `message` for the next page this browser shows."""
    secret = request.app.state.runtime.settings.secret_key.get_secret_value()
    existing = _unsign(secret, request.cookies.get(COOKIE, ""))
    existing.append({"level": level, "message": message})
    response.cookies.append(
        Cookie(
            key=COOKIE,
            value=_sign(secret, json.dumps(existing[-5:]).encode()),
            httponly=True,
            samesite="lax",
            path="/",
            max_age=300,
        )
    )


def pop_flashes(request: Request[Any, Any, Any]) -> list[dict[str, str]]:
    """The queued messages (the page template shows them; `clear_flash` drops them)."""
    value = request.cookies.get(COOKIE)
    if not value:
        return []
    secret = request.app.state.runtime.settings.secret_key.get_secret_value()
    return _unsign(secret, value)


def clear_flash(response: Response[Any]) -> None:
    response.cookies.append(Cookie(key=COOKIE, value="", max_age=0, path="/"))
