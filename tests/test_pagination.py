from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from daiko.errors import InvalidInput
from daiko.pagination import cursor_after, decode_cursor, encode_cursor

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


def test_cursor_after_knows_the_first_page_and_the_list_kind() -> None:
    day, moment = date(2026, 4, 1), datetime(2026, 4, 1, tzinfo=UTC)
    assert cursor_after(None, date) is None and cursor_after("", str) is None
    assert cursor_after(encode_cursor(day, ROW), date) == (day, ROW)
    assert cursor_after(encode_cursor(moment, ROW), datetime) == (moment, ROW)
    # A time cursor on a list by date (and the other way round) is another list's cursor.
    for cursor, kind in ((encode_cursor(moment, ROW), date), (encode_cursor(day, ROW), datetime)):
        with pytest.raises(InvalidInput) as err:
            cursor_after(cursor, kind, "after")  # type: ignore[type-var]
        assert err.value.errors == [{"field": "after", "reason": "not a cursor of this list"}]
