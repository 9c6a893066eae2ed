"""Dramatiq actors: thin shells over services in `daiko`.

`dramatiq workers` (or `daiko worker`) imports this package; it builds the broker from
`DAIKO_BROKER_URL` and imports every actor module, so each job kind has its actor.
"""

from __future__ import annotations

import dramatiq

from daiko.broker import broker_url, build_broker
from daiko.config import get_settings
from daiko.logging import configure_logging

_settings = get_settings()
configure_logging(_settings.log_level, _settings.log_format, is_dev=_settings.is_dev)
broker = build_broker(broker_url(_settings))
dramatiq.set_broker(broker)
