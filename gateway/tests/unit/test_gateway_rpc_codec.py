"""The wire format of the RPC client: request bodies, replies, and error mapping."""

from __future__ import annotations

import json

import pytest
from gateway.rpc import decode_reply, encode_request
from gateway.rpc_errors import RemoteServiceError, error_from_reply
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError


def reply(result=None, error=None) -> bytes:
    return json.dumps({"result": result, "error": error}).encode()


def nameko_error(exc_type: str, args: list, path: str | None = None) -> dict:
    return {
        "exc_type": exc_type,
        "exc_path": path or f"kernel.errors.{exc_type}",
        "exc_args": args,
        "value": args[0],
    }


def test_request_body_is_nameko_shaped_json():
    body = json.loads(encode_request({"caller": {"user_id": "u"}, "data": {"name": "A科技"}}))
    assert body == {"args": [], "kwargs": {"caller": {"user_id": "u"}, "data": {"name": "A科技"}}}


def test_datetimes_in_requests_become_iso_strings():
    from datetime import UTC, datetime

    body = json.loads(encode_request({"at": datetime(2026, 1, 2, 3, 4, tzinfo=UTC)}))
    assert body["kwargs"]["at"] == "2026-01-02T03:04:00+00:00"


def test_result_is_returned():
    assert decode_reply("s", "m", reply({"id": "1", "tags": ["x"]})) == {"id": "1", "tags": ["x"]}


def test_kombu_type_markers_become_plain_values():
    raw = json.dumps(
        {"result": {"at": {"__type__": "datetime", "__value__": "2026-01-01T00:00:00"}}, "error": None}
    )
    assert decode_reply("s", "m", raw.encode()) == {"at": "2026-01-01T00:00:00"}


@pytest.mark.parametrize(
    ("exc_type", "cls"),
    [("ValidationError", ValidationError), ("NotFound", NotFound), ("PermissionDenied", PermissionDenied),
     ("Conflict", Conflict)],
)  # fmt: skip
def test_kernel_errors_are_rebuilt_with_their_fields(exc_type, cls):
    fields = [{"field": "name", "message": "required"}]
    with pytest.raises(cls) as raised:
        decode_reply(
            "customers", "create_customer", reply(error=nameko_error(exc_type, ["name: required", fields]))
        )
    assert raised.value.detail == "name: required"
    assert raised.value.errors == fields


def test_malformed_field_errors_are_dropped_not_trusted():
    error = nameko_error(
        "ValidationError", ["bad", [{"field": 1}, "x", {"field": "a", "message": "b", "extra": 1}]]
    )
    mapped = error_from_reply("s", "m", error)
    assert isinstance(mapped, ValidationError)
    assert mapped.errors == [{"field": "a", "message": "b"}]


def test_same_named_foreign_error_is_a_service_error():
    error = nameko_error(
        "ValidationError", ["1 validation error"], path="pydantic_core._pydantic_core.ValidationError"
    )
    assert isinstance(error_from_reply("s", "m", error), RemoteServiceError)


@pytest.mark.parametrize(
    "exc_type", ["KeyError", "MethodNotFound", "IncorrectSignature", "UnserializableValueError"]
)
def test_anything_else_is_a_502_without_internals(exc_type):
    mapped = error_from_reply(
        "customers", "m", nameko_error(exc_type, ["secret detail"], path=f"x.{exc_type}")
    )
    assert isinstance(mapped, RemoteServiceError)
    assert mapped.status == 502
    assert "secret" not in mapped.detail


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_garbage_replies_are_service_errors(body):
    with pytest.raises(RemoteServiceError):
        decode_reply("s", "m", body)
