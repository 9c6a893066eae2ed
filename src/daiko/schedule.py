"""Every periodic job of the system, in one place. Cron expressions are UTC."""

from __future__ import annotations

from daiko.cases.recurring import run_periodic as open_recurring_cases
from daiko.scheduler import Periodic

PERIODIC: list[Periodic] = [
    # Hourly at :05 (exactly once per period by the database, so a missed hour only waits).
    Periodic(name="cases.open_recurring", cron="5 * * * *", run=open_recurring_cases),
]
