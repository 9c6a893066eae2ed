"""The session cookie: HttpOnly, SameSite=Lax, Secure outside plain-HTTP development."""

from __future__ import annotations

from typing import Any

from litestar import Response

from daiko.auth.csrf import PRELOGIN_COOKIE
from daiko.auth.sessions import COOKIE_NAME
from daiko.config import Settings


def set_session_cookie(response: Response[Any], settings: Settings, token: str) -> None:
    response.set_cookie(
        COOKIE_NAME,
        token,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def clear_session_cookie(response: Response[Any], settings: Settings) -> None:
    response.delete_cookie(COOKIE_NAME, path="/")


def set_prelogin_csrf_cookie(response: Response[Any], settings: Settings, token: str) -> None:
    response.set_cookie(
        PRELOGIN_COOKIE,
        token,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
