"""Demo data for `daiko dev`: the tenants in `tenants/` and sign-in for their users."""

from __future__ import annotations

from pathlib import Path

from daiko.config import Settings

DEMO_PASSWORD = "daiko-demo-2026"  # noqa: S105 (printed in the dev banner on purpose)
TENANTS_DIR = Path("tenants")


def demo_logins() -> list[tuple[str, str, str]]:
    """(email, what it is, password) for every user in the demo tenant files."""
    return []


async def load_demo(settings: Settings) -> None:
    """Apply `tenants/*.yaml` (once the tenancy module provides `apply`)."""
    return None
