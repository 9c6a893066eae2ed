"""Request id: taken from `X-Request-ID` when it looks sane, otherwise made up; bound into
structlog's contextvars for the request and echoed on the response."""

from __future__ import annotations

import re
import time

import structlog
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from daiko.ids import new_id

_SANE = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
log = structlog.get_logger("daiko.http")


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _SANE.match(incoming) else new_id().hex
        scope.setdefault("state", {})["request_id"] = rid
        structlog.contextvars.bind_contextvars(request_id=rid)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)["X-Request-ID"] = rid
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            path = scope["path"]
            if not path.startswith(("/health", "/metrics", "/static")):
                log.info(
                    "request",
                    method=scope.get("method"),
                    path=path,
                    status=status,
                    ms=round((time.perf_counter() - started) * 1000, 1),
                )
            structlog.contextvars.unbind_contextvars("request_id")

    return middleware
