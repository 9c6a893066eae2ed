"""Keyset cursors for every list endpoint: opaque to clients, stable under inserts.

A list orders by a sort key and the row id (the tie-break) and returns `next_cursor`,
the last row's (key, id) in URL-safe base64. The next page asks for rows after it, so
pages never skip or repeat a row however many are written meanwhile. `updated_since`
sync lists order by (updated_at, id) the same way.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import date, datetime
from typing import TypeVar

from daiko.errors import InvalidInput

Key = datetime | date | int | str


def encode_cursor(key: Key, row_id: uuid.UUID) -> str:
    if isinstance(key, datetime):
        text = "t" + key.isoformat()
    elif isinstance(key, date):
        text = "d" + key.isoformat()
    elif isinstance(key, int):
        text = "i" + str(key)
    else:
        text = "s" + key
    raw = f"{text}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, field: str = "cursor") -> tuple[Key, uuid.UUID]:
    """(key, id) of a cursor this API returned; anything else is a 400 naming `field`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        text, sep, row_id = raw.rpartition("|")
        if not sep or not text:
            raise ValueError(cursor)
        tag, value = text[0], text[1:]
        key: Key
        if tag == "t":
            key = datetime.fromisoformat(value)
        elif tag == "d":
            key = date.fromisoformat(value)
        elif tag == "i":
            key = int(value)
        elif tag == "s":
            key = value
        else:
            raise ValueError(tag)
        return key, uuid.UUID(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput.field(field, "not a cursor this API returned") from None


K = TypeVar("K", datetime, date, int, str)


def cursor_after(
    cursor: str | None, kind: type[K], field: str = "cursor"
) -> tuple[K, uuid.UUID] | None:
    """Where the next page starts, for a list sorted by a `kind` key then id: None for the
    first page, a 400 naming `field` for anything this API did not return for such a list
    (a date cursor is not a time cursor, nor the other way round)."""
    if not cursor:
        return None
    key, row_id = decode_cursor(cursor, field)
    if type(key) is not kind:
        raise InvalidInput.field(field, "not a cursor of this list")
    return key, row_id
