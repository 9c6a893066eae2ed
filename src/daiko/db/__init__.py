"""Database access: engines per role, sessions scoped to a `TenantScope`."""

from daiko.db.engine import Database

__all__ = ["Database"]
