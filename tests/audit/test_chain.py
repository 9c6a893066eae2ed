"""The canonical encoding and hash, without a database."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from decimal import Decimal

import pytest

from daiko.audit.chain import (
    GENESIS_HASH,
    ActorRef,
    ChainedFields,
    canonical_bytes,
    canonical_details,
    event_hash,
)

TENANT = uuid.UUID("01900000-0000-7000-8000-000000000001")
FIELDS = ChainedFields(
    tenant_id=TENANT,
    seq=1,
    occurred_at=dt.datetime(2026, 12, 1, 3, 4, 5, 123456, tzinfo=dt.UTC),
    actor=ActorRef(kind="user", id="u1", display="山田"),
    action="case.status_changed",
    resource_type="case",
    resource_id="c1",
    details={"to": "done", "from": "open"},
    request_id="r-123456789",
    prev_hash=GENESIS_HASH,
)


def test_canonical_bytes_are_sorted_compact_utf8() -> None:
    assert (
        canonical_bytes(FIELDS)
        == (
            '{"action":"case.status_changed","actor":{"display":"山田","id":"u1","kind":"user"},'
            '"details":{"from":"open","to":"done"},"occurred_at":"2026-12-01T03:04:05.123456+00:00",'
            f'"prev_hash":"{GENESIS_HASH}","request_id":"r-123456789",'
            '"resource":{"id":"c1","type":"case"},"seq":1,'
            f'"tenant_id":"{TENANT}","v":1}}'
        ).encode()
    )
    assert event_hash(FIELDS) == hashlib.sha256(canonical_bytes(FIELDS)).hexdigest()


def test_time_is_normalised_to_utc_with_microseconds() -> None:
    jst = dt.timezone(dt.timedelta(hours=9))
    same = ChainedFields(
        **{**FIELDS.__dict__, "occurred_at": dt.datetime(2026, 12, 1, 12, 4, 5, 123456, jst)}
    )
    assert event_hash(same) == event_hash(FIELDS)


def test_every_field_changes_the_hash() -> None:
    base = event_hash(FIELDS)
    changes = {
        "tenant_id": uuid.uuid4(),
        "seq": 2,
        "occurred_at": FIELDS.occurred_at + dt.timedelta(microseconds=1),
        "actor": ActorRef(kind="operator", id="u1", display="山田"),
        "action": "case.assigned",
        "resource_type": "document",
        "resource_id": "c2",
        "details": {"to": "done", "from": "opened"},
        "request_id": None,
        "prev_hash": "f" * 64,
    }
    for name, value in changes.items():
        changed = ChainedFields(**{**FIELDS.__dict__, name: value})
        assert event_hash(changed) != base, name


def test_details_become_json_with_one_spelling() -> None:
    assert canonical_details(
        {
            "id": uuid.UUID("01900000-0000-7000-8000-000000000002"),
            "amount": Decimal("1200.50"),
            "on": dt.date(2026, 4, 1),
            "at": dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC),
            "tags": ("a", 1, True, None),
        }
    ) == {
        "id": "01900000-0000-7000-8000-000000000002",
        "amount": "1200.50",
        "on": "2026-04-01",
        "at": "2026-04-01T09:00:00.000000+00:00",
        "tags": ["a", 1, True, None],
    }
    assert canonical_details(None) == {}


@pytest.mark.parametrize(
    ("details", "message"),
    [
        ({"rate": 0.1}, r"details\.rate: floats are not allowed"),
        ({"password": "x"}, r"details\.password: secrets never go into the audit trail"),
        ({"new_password": "x"}, r"details\.new_password: secrets"),
        ({"employee": {"my_number": "123456789018"}}, r"details\.employee\.my_number: secrets"),
        ({"Account_Number": "1234567"}, r"details\.Account_Number: secrets"),
        ({1: "x"}, r"details: keys must be strings"),
        ({"s": "a\x00b"}, r"details\.s: NUL characters"),
        ({"b": b"raw"}, r"details\.b: bytes cannot be stored"),
    ],
)
def test_details_refuse_floats_secrets_and_odd_types(details: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        canonical_details(details)
