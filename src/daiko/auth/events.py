"""Security events (sign-ins, failures, lockouts, MFA changes, tokens, denials).

Logged through structlog with identifiers only, never secrets: no passwords, codes,
tokens or secrets are ever passed here. When the audit module lands, this is the one
place to forward them to it.
"""

from __future__ import annotations

from typing import Any

import structlog

log = structlog.get_logger("daiko.auth")


def auth_event(event: str, **fields: Any) -> None:
    log.info(event, **{k: (str(v) if v is not None else None) for k, v in fields.items()})
