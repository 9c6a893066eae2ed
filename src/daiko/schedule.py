"""Every periodic job of the system, in one place. Cron expressions are UTC."""

from __future__ import annotations

from daiko.scheduler import Periodic

PERIODIC: list[Periodic] = []
