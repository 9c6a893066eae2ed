"""Dramatiq actors: thin shells over services in `daiko`.

`dramatiq workers` (or `daiko worker`) imports this package; it builds the broker from
`DAIKO_BROKER_URL` and imports every actor module, so each job kind has its actor.
"""

from __future__ import annotations

import dramatiq

from daiko.broker import broker_url, build_broker
from daiko.config import get_settings
from daiko.db.models import load_all_models
from daiko.logging import configure_logging
from daiko.runtime import Runtime

_settings = get_settings()
configure_logging(_settings.log_level, _settings.log_format, is_dev=_settings.is_dev)
broker = build_broker(broker_url(_settings))
dramatiq.set_broker(broker)
# Every mapped table, so foreign keys between domains resolve in this process.
load_all_models()

_runtime: Runtime | None = None


def runtime() -> Runtime:
    """The process's runtime, built on first use inside the AsyncIO middleware's event
    loop (asyncpg connections belong to the loop that opened them)."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime.from_settings(_settings)
    return _runtime


from workers import documents as documents  # noqa: E402
from workers import jobs as jobs  # noqa: E402  (actors register on the broker set above)
