import pytest
from kernel.errors import ValidationError
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
