"""Time-ordered identifiers (UUIDv7, RFC 9562) for every row we create."""

from __future__ import annotations

import uuid

from uuid_utils.compat import uuid7


def new_id() -> uuid.UUID:
    """A new UUIDv7: ordered by creation time, so B-tree inserts stay local."""
    return uuid7()
