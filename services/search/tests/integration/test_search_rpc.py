"""The nameko ``search`` service over the real broker: ``python -m search`` and its RPC contract."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from kernel.errors import PanoramaError
from kernel.identity import Caller
from kernel.ids import new_id
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from search.query import fingerprint
from search.validation import validate_search
from search_support import (
    customer_data,
    event,
    queue_consumers,
    settings_env,
    start_process,
    stop_process,
    wait_for,
)

# A typed error over RPC: a RemoteError, or the kernel error itself where nameko rebuilds it.
RPC_ERRORS = (RemoteError, PanoramaError)

pytestmark = pytest.mark.integration

OWNER = Caller(f"u-rpc-{new_id()[-8:]}", ("sales",), None)


@pytest.fixture(scope="module")
def rpc(indexers: Any, search_settings: Any, logs_dir: Any, amqp: Any) -> Any:
    name = f"search_test_{new_id()[-8:]}"
    env = {
        **settings_env(search_settings),
        "PANORAMA_SEARCH_SERVICE_NAME": name,
        "PANORAMA_MAX_WORKERS": "10",
    }
    proc = start_process(["-m", "kernel.run", "search", "service"], env, logs_dir / "search-service.log")
    try:
        wait_for(
            lambda: queue_consumers(amqp, f"rpc-{name}"), timeout=30, interval=0.2, what="the search service"
        )
        with ClusterRpcProxy({"AMQP_URI": search_settings.rabbitmq_url}, timeout=10) as proxy:
            yield getattr(proxy, name)
    finally:
        assert stop_process(proc) == 0
        amqp.queue_delete(f"rpc-{name}")  # nameko declares it durable


def test_ping(rpc):
    assert rpc.ping() == "pong"


def test_search_and_suggest_over_rpc(rpc, publish):
    name = f"Rpc Probe {new_id()[-8:]} 科技有限公司"
    record = customer_data(name, owner_id=OWNER.user_id)
    publish(event("customer", "created", record))
    page = wait_for(lambda: rpc.search(OWNER.to_payload(), "rpc probe")["items"], what="the record over RPC")
    assert page[0]["id"] == record["id"] and page[0]["title"] == name
    full = rpc.search(OWNER.to_payload(), q="科技", kinds=["customer"], limit=5, facets=True)
    assert set(full) == {"items", "facets", "total", "total_is_lower_bound", "next_cursor"}
    assert full["facets"]["kind"]["customer"] >= 1 and full["total_is_lower_bound"] is False
    assert rpc.search(OWNER.to_payload(), q="科技", kinds=["customer"], limit=5)["facets"] == {}
    assert rpc.suggest(OWNER.to_payload(), "rpc pr")[0]["id"] == record["id"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"q": "x" * 201}, "q"),
        ({"q": "a", "limit": 0}, "limit"),
        ({"q": "a", "kinds": ["planet"]}, "kinds"),
        ({"q": "a", "date_from": "yesterday"}, "date_from"),
        ({"q": "a", "cursor": "garbage!"}, "cursor"),
        ({"q": "a", "facets": "yes"}, "facets"),
    ],
)
def test_bad_input_is_a_validation_error_naming_the_field(rpc, kwargs, field):
    with pytest.raises(RPC_ERRORS) as raised:
        rpc.search(OWNER.to_payload(), **kwargs)
    assert raised.value.exc_type == "ValidationError"
    assert field in str(raised.value.value)


def test_a_hand_made_cursor_is_a_validation_error(rpc):
    """Bound to the right query but not signed: the forged ``search_after`` (wrong arity for the
    sort) used to reach Elasticsearch and come back as its 400, a 5xx at the gateway."""
    bound = fingerprint(validate_search("a"), OWNER)
    raw = json.dumps({"after": ["x"], "q": bound}).encode()
    hand_made = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    with pytest.raises(RPC_ERRORS) as raised:
        rpc.search(OWNER.to_payload(), q="a", cursor=hand_made)
    assert raised.value.exc_type == "ValidationError"
    assert "cursor" in str(raised.value.value)


def test_missing_caller_is_permission_denied(rpc):
    with pytest.raises(RPC_ERRORS) as raised:
        rpc.search(None, "a")
    assert raised.value.exc_type == "PermissionDenied"
