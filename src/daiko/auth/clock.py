"""The one clock sign-in code reads. Tests pin it by putting a zero-argument callable
returning an aware `datetime` in `runtime.extras["clock"]`; TOTP steps, session
timeouts, throttling windows, reset expiry and token lifetimes then all move together."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import cast

from daiko.runtime import Runtime

CLOCK_KEY = "clock"


def utcnow(runtime: Runtime) -> datetime:
    clock = runtime.extras.get(CLOCK_KEY)
    if callable(clock):
        return cast(Callable[[], datetime], clock)()
    return datetime.now(UTC)
