"""Signed caller identities and signed cursors (issue 8 §2.6 and §2.9)."""

import time

import jwt
import pytest
from kernel.cursor import decode_cursor, encode_cursor
from kernel.errors import PermissionDenied, ValidationError
from kernel.identity import AUDIENCE, SYSTEM, Caller, sign_caller
from kernel.settings import DEV_IDENTITY_KEY, KernelSettings, ServiceSettings
from kernel.signing import keys_from, signing_keys
from pydantic import ValidationError as SettingsError

SALES = Caller("u1", ("sales",), "t1")
FOREIGN = keys_from("someone-else-s-key-that-is-long-enough-000", 90)


def refused(payload):
    with pytest.raises(PermissionDenied) as raised:
        Caller.from_payload(payload)
    assert raised.value.errors[0]["field"] == "caller"
    return raised.value


def test_signed_identity_round_trip():
    payload = SALES.to_payload()
    assert set(payload) == {"token"}
    assert Caller.from_payload(payload) == SALES
    assert Caller.from_payload(SYSTEM.to_payload()) == SYSTEM


@pytest.mark.parametrize(
    "payload",
    [
        None,
        {},
        "a string",
        {"user_id": "u1", "roles": ["sales"], "team_id": "t1"},  # the old unsigned form
        {"user_id": "system", "roles": ["system"], "team_id": None},  # claiming system
        {"token": ""},
        {"token": "not.a.jwt"},
    ],
)
def test_unsigned_identities_are_refused(payload):
    refused(payload)


def test_forged_identity_is_refused():
    refused({"token": sign_caller(SYSTEM, keys=FOREIGN)})
    unsigned = jwt.encode({"sub": "system", "roles": ["system"], "aud": AUDIENCE}, key="", algorithm="none")
    refused({"token": unsigned})


def test_expired_identity_is_refused():
    keys = signing_keys()
    stale = sign_caller(SALES, now=time.time() - keys.identity_ttl_seconds - keys.leeway_seconds - 5)
    assert "expired" in refused({"token": stale}).detail


def test_long_lived_or_odd_identities_are_refused():
    keys = signing_keys()
    now = int(time.time())
    claims = {"sub": "u1", "roles": ["sales"], "aud": AUDIENCE, "iat": now}
    refused({"token": jwt.encode({**claims, "exp": now + 86400}, keys.identity, algorithm="HS256")})
    refused({"token": jwt.encode({**claims, "exp": now + 60, "roles": ["pirate"]}, keys.identity)})
    refused({"token": jwt.encode({**claims, "exp": now + 60, "aud": "x"}, keys.identity)})


def test_production_refuses_the_default_identity_key():
    with pytest.raises(SettingsError, match="IDENTITY_KEY"):
        KernelSettings(environment="production")
    assert KernelSettings(environment="production", identity_key="k" * 40).is_production
    assert KernelSettings().identity_key == DEV_IDENTITY_KEY


def test_database_deadlines_are_shorter_than_the_callers():
    ServiceSettings(rpc_timeout_seconds=10, db_statement_timeout_ms=5000, db_lock_timeout_ms=2000)
    with pytest.raises(SettingsError, match="rpc_timeout_seconds"):
        ServiceSettings(rpc_timeout_seconds=5, db_statement_timeout_ms=5000)
    with pytest.raises(SettingsError, match="db_lock_timeout_ms"):
        ServiceSettings(db_statement_timeout_ms=1000, db_lock_timeout_ms=2000)


def test_cursor_is_signed():
    cursor = encode_cursor({"t": "2026-01-01T00:00:00+00:00", "id": "f1"})
    assert decode_cursor(cursor) == {"t": "2026-01-01T00:00:00+00:00", "id": "f1"}
    body, tag = cursor.split(".")
    forged = encode_cursor({"t": "yesterday", "id": "f1"}, keys=FOREIGN)
    edited = encode_cursor({"t": "yesterday", "id": "f1"}).split(".")[0] + "." + tag
    for bad in (forged, edited, body, f"{body}.", f"{body}.{tag}.x", "eyJ0IjogMX0", "é.é", 42, ["x"]):
        with pytest.raises(ValidationError) as raised:
            decode_cursor(bad)
        assert raised.value.errors[0]["field"] == "cursor"


def test_a_cursor_of_another_list_is_a_validation_error():
    position = decode_cursor(encode_cursor({"id": "c1"}))
    assert position is not None and position.get("t") is None
    with pytest.raises(ValidationError, match="different list"):
        position["t"]
