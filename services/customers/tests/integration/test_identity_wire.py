"""Signed caller identities and signed cursors, over the real broker into the real customers
process (issue 8 §2.6, §2.9): what anyone on the broker could send is refused."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from customers_testkit import SALES1, start_process, wait_until_serving
from kernel.cursor import encode_cursor
from kernel.errors import PanoramaError
from kernel.identity import SYSTEM, Caller, sign_caller
from kernel.settings import DEV_IDENTITY_KEY
from kernel.signing import configure_signing, keys_from, signing_keys
from kernel.testing import TestServers
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

# A typed error over RPC: a RemoteError, or the kernel error itself where nameko rebuilds it.
RPC_ERRORS = (RemoteError, PanoramaError)

SERVICE_KEY = "identity-key-of-this-test-module-0123456789"


@pytest.fixture(scope="module")
def service_key() -> Iterator[str]:
    """The service runs with its own key (from PANORAMA_IDENTITY_KEY); so do we, meanwhile."""
    before = signing_keys()
    configure_signing(SERVICE_KEY, before.identity_ttl_seconds)
    yield SERVICE_KEY
    configure_signing(DEV_IDENTITY_KEY, before.identity_ttl_seconds)


@pytest.fixture(scope="module")
def rpc(servers: TestServers, customers_engine: Any, service_key: str) -> Iterator[Any]:
    env = {
        **os.environ,
        "PANORAMA_RABBITMQ_URL": servers.rabbitmq_url,
        "PANORAMA_CUSTOMERS_DATABASE_URL": servers.customers_database_url,
        "PANORAMA_IDENTITY_KEY": service_key,
        "PANORAMA_LOG_JSON": "false",
    }
    service = start_process("service", env)
    try:
        with ClusterRpcProxy({"AMQP_URI": servers.rabbitmq_url}, timeout=10) as proxy:
            wait_until_serving(proxy, service)
            yield proxy
    finally:
        service.terminate()
        service.wait(timeout=20)


def refused(call: Any) -> Any:
    with pytest.raises(RPC_ERRORS) as raised:
        call()
    assert raised.value.exc_type == "PermissionDenied"
    assert "caller" in raised.value.value
    return raised.value


def test_a_signed_identity_works(rpc, hub):
    created = rpc.customers.create_customer(SALES1.to_payload(), {"name": "签名科技有限公司"})
    assert created["owner_id"] == SALES1.user_id


@pytest.mark.parametrize(
    "payload",
    [
        {"user_id": SALES1.user_id, "roles": ["sales"], "team_id": SALES1.team_id},
        {"user_id": "system", "roles": ["system"], "team_id": None},
        {"user_id": "u-admin", "roles": ["admin"]},
        {"token": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzeXN0ZW0ifQ."},
        None,
    ],
)
def test_unsigned_identities_are_refused(rpc, hub, payload):
    refused(lambda: rpc.customers.create_customer(payload, {"name": "无签名有限公司"}))
    refused(lambda: rpc.customers.export(payload, "customer"))


def test_an_identity_signed_with_another_key_is_refused(rpc, hub):
    dev = keys_from(DEV_IDENTITY_KEY, 90)  # e.g. a process left on the development default
    refused(lambda: rpc.customers.export({"token": sign_caller(SYSTEM, keys=dev)}, "customer"))


def test_an_expired_identity_is_refused(rpc, hub):
    stale = sign_caller(SALES1, now=time.time() - 600)
    error = refused(lambda: rpc.customers.list_customers({"token": stale}))
    assert "expired" in error.value


def test_system_signed_with_the_key_may_export(rpc, hub):
    assert rpc.customers.export(SYSTEM.to_payload(), "customer")["items"] == []
    assert Caller.from_payload(SYSTEM.to_payload()) == SYSTEM


def test_forged_or_foreign_cursors_are_422_naming_cursor(rpc, hub):
    customer = rpc.customers.create_customer(SALES1.to_payload(), {"name": "游标科技有限公司"})
    for i in range(3):
        rpc.customers.create_follow_up(
            SALES1.to_payload(),
            customer["id"],
            {"channel": "call", "content": f"第{i}次", "occurred_at": f"2026-01-0{i + 1}T00:00:00Z"},
        )
    page = rpc.customers.list_follow_ups(SALES1.to_payload(), customer["id"], limit=2)
    assert page["next_cursor"]
    rest = rpc.customers.list_follow_ups(SALES1.to_payload(), customer["id"], cursor=page["next_cursor"])
    assert len(rest["items"]) == 1
    unsigned = page["next_cursor"].split(".")[0]
    forged = encode_cursor({"t": "not a time", "id": "x"}, keys=keys_from(DEV_IDENTITY_KEY, 90))
    contacts_cursor = encode_cursor({"id": "zzz"})  # genuine, but of another list
    for bad in (unsigned, forged, contacts_cursor, "!!!", "eyJ0IjogMX0"):
        with pytest.raises(RPC_ERRORS) as raised:
            rpc.customers.list_follow_ups(SALES1.to_payload(), customer["id"], cursor=bad)
        assert raised.value.exc_type == "ValidationError", (bad, raised.value)
        assert "cursor" in raised.value.value
