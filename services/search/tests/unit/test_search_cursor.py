import base64
import json

import pytest
from kernel.cursor import encode_cursor as encode_position
from kernel.errors import ValidationError
from kernel.signing import keys_from
from search.cursor import decode_cursor, encode_cursor, query_fingerprint


def test_round_trip_is_opaque_and_url_safe():
    fp = query_fingerprint("科技", None, "u1")
    cursor = encode_cursor([3.25, 1700000000000, "customer:01J"], fp)
    assert "=" not in cursor and "+" not in cursor and "/" not in cursor
    assert decode_cursor(cursor, fp) == [3.25, 1700000000000, "customer:01J"]


def test_cursor_of_another_query_is_refused():
    cursor = encode_cursor([1.0, 1, "a"], query_fingerprint("a"))
    with pytest.raises(ValidationError, match="different query"):
        decode_cursor(cursor, query_fingerprint("b"))


@pytest.mark.parametrize(
    "bad", ["garbage!", "e30", encode_cursor([], "x")[:-2], "eyJhZnRlciI6IFtdLCAicSI6ICJ4In0"]
)
def test_garbage_is_a_validation_error(bad):
    with pytest.raises(ValidationError) as raised:
        decode_cursor(bad, "x")
    assert raised.value.errors[0]["field"] == "cursor"


def test_an_unsigned_or_forged_cursor_is_refused():
    """A hand-made ``search_after`` (wrong type or arity for the sort) made Elasticsearch fail: 5xx."""
    fp = query_fingerprint("a")
    unsigned = base64.urlsafe_b64encode(json.dumps({"after": ["x"], "q": fp}).encode()).decode()
    foreign = keys_from("another-deployment-s-identity-key-0123456789", 90)
    forged = encode_position({"after": ["x"], "q": fp}, keys=foreign)
    for bad in (unsigned.rstrip("="), forged):
        with pytest.raises(ValidationError) as raised:
            decode_cursor(bad, fp)
        assert raised.value.errors[0]["field"] == "cursor"
