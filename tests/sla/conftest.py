"""Fixtures of the SLA tests: signed-in clients that can write (CSRF header)."""

from __future__ import annotations

from tests.cases.conftest import As, as_user

__all__ = ["As", "as_user"]
