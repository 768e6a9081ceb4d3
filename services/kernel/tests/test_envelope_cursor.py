import pytest
from kernel.cursor import decode_cursor, encode_cursor, page_limit
from kernel.envelope import Envelope, make_event
from kernel.errors import PermissionDenied, ValidationError
from kernel.identity import Caller
from pydantic import ValidationError as PydanticValidationError


def test_envelope_round_trip():
    event = make_event(
        type="customer.created", source="customers", aggregate_type="customer", aggregate_id="c1",
        version=1, actor_id="u1", customer_id="c1", data={"id": "c1", "name": "A科技"},
    )  # fmt: skip
    again = Envelope.from_json(event.to_json())
    assert again == event
    assert '"A科技"' in event.to_json()  # not \u-escaped: readable in the broker UI
    assert event.to_json().count("Z") >= 1


def test_envelope_rejects_bad_type():
    payload = {
        "id": "x",
        "type": "Created",
        "source": "s",
        "occurred_at": "2026-01-01T00:00:00Z",
        "aggregate": {"type": "c", "id": "1", "version": 1},
        "actor": {"user_id": "u"},
        "data": {},
    }
    with pytest.raises(PydanticValidationError):
        Envelope.model_validate(payload)


def test_cursor_round_trip_and_garbage():
    assert decode_cursor(encode_cursor({"id": "abc", "t": "2026"})) == {"id": "abc", "t": "2026"}
    assert decode_cursor(None) is None
    for junk in ("!!!", "bm90IGpzb24", "WzFd"):
        with pytest.raises(ValidationError):
            decode_cursor(junk)


def test_page_limit_bounds():
    assert page_limit(None) == 50
    for bad in (0, 201, "10", True, 1.5):
        with pytest.raises(ValidationError):
            page_limit(bad)


def test_caller_payload_validation():
    caller = Caller.from_payload(Caller("u1", ("manager",), "t1").to_payload())
    assert caller.search_principals() == ["user:u1", "role:manager", "team:t1"]
    for bad in (None, {}, {"user_id": "u", "roles": ["pirate"]}, {"user_id": "", "roles": []}):
        with pytest.raises(PermissionDenied):
            Caller.from_payload(bad)
