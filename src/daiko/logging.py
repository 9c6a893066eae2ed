"""structlog everywhere: JSON lines in production, readable lines in development.

The request id (taken from `X-Request-ID` or made up) is bound in contextvars by the
middleware in `daiko.web.middleware`, so every log line of a request carries it.
Secrets never reach a log: settings print redacted, and processors drop known keys.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRET_KEYS = frozenset(
    {
        "password",
        "secret",
        "token",
        "access_token",
        "refresh_token",
        "client_secret",
        "totp",
        "code",
        "authorization",
        "cookie",
        "my_number",
        "account_number",
    }
)


def _drop_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if key.lower() in _SECRET_KEYS:
            event[key] = "***"
    return event


def configure_logging(level: str = "INFO", fmt: str | None = None, *, is_dev: bool = True) -> None:
    fmt = fmt or ("console" if is_dev else "json")
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        if fmt == "console"
        else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_secrets,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info if fmt == "json" else (lambda _l, _m, e: e),
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # fontTools logs every subset it makes for a payslip at INFO.
    for noisy in (
        "botocore", "boto3", "urllib3", "s3transfer", "pika", "asyncio", "aiosqlite", "fontTools",
    ):  # fmt: skip
        logging.getLogger(noisy).setLevel(logging.WARNING)
