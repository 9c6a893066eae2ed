from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from daiko.errors import InvalidInput
from daiko.pagination import decode_cursor, encode_cursor

ROW = uuid.UUID("0190f2d2-0000-7000-8000-000000000001")


@pytest.mark.parametrize(
    "key",
    [datetime(2026, 4, 1, 9, 30, tzinfo=UTC), date(2026, 4, 1), 42, "E0001|odd|key"],
)
def test_a_cursor_round_trips_its_key_and_id(key: object) -> None:
    assert decode_cursor(encode_cursor(key, ROW)) == (key, ROW)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "!!", "eHl6", encode_cursor("x", ROW)[:-3]])
def test_a_foreign_cursor_is_a_field_error(bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        decode_cursor(bad, field="after")
    assert err.value.errors == [{"field": "after", "reason": "not a cursor this API returned"}]
