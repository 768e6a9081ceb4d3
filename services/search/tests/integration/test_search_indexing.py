"""Events on ``customers.events`` → the read model, through two competing indexer processes."""

from __future__ import annotations

import time
import urllib.request
from typing import Any

import pytest
from kernel.identity import Caller
from kernel.ids import new_id
from search.consumer import REASON_HEADER
from search_support import bump, contact_data, customer_data, deleted, event, wait_for

pytestmark = pytest.mark.integration

ADMIN = Caller("admin-1", ("admin",))


def _doc(es: Any, alias: str, doc_id: str) -> dict[str, Any] | None:
    found = es.search(index=alias, query={"ids": {"values": [doc_id]}}, version=True)["hits"]["hits"]
    return found[0] if found else None


def _titles(engine: Any, q: str) -> list[str]:
    return [item["title"] for item in engine.search(ADMIN, q)["items"]]


def test_customer_event_is_searchable_within_two_seconds(indexers, publish, engine):
    name = f"Freshness {new_id()[-8:]} Holdings"
    publish(event("customer", "created", customer_data(name, owner_id="u-fresh")))
    started = time.monotonic()
    wait_for(lambda: name in _titles(engine, name), timeout=2.0, what="the customer to be searchable")
    assert time.monotonic() - started < 2.0


def test_update_and_delete_are_reflected(indexers, publish, engine, es, search_settings):
    token = new_id()[-8:]
    customer = customer_data(f"Lifecycle {token} GmbH", owner_id="u-life")
    contact = contact_data(customer, f"Lifecycle Contact {token}")
    publish(event("customer", "created", customer))
    publish(event("contact", "created", contact))
    wait_for(lambda: len(engine.search(ADMIN, f"lifecycle {token}")["items"]) == 2, what="both documents")

    renamed = bump(customer, name=f"Renamed {token} GmbH")
    publish(event("customer", "updated", renamed))
    wait_for(lambda: f"Renamed {token} GmbH" in _titles(engine, f"renamed {token}"), what="the rename")

    publish(deleted("contact", contact, version=2))
    wait_for(lambda: not _titles(engine, f"Lifecycle Contact {token}"), what="the contact to disappear")
    tombstone = _doc(es, search_settings.search_alias, f"contact:{contact['id']}")
    assert tombstone is not None and tombstone["_source"]["deleted"] is True and tombstone["_version"] == 2


def test_replayed_and_out_of_order_events_leave_the_newest_state(
    indexers, publish, engine, es, search_settings
):
    alias = search_settings.search_alias
    token = new_id()[-8:]
    v1 = customer_data(f"Order {token} One", owner_id="u-order")
    v2 = bump(v1, name=f"Order {token} Two")
    # newer first, then the older one: v2 must stay
    publish(event("customer", "updated", v2))
    publish(event("customer", "created", v1))
    # the same event twice
    replayed = event("customer", "updated", v2)
    publish(replayed)
    publish(replayed)

    # delete at v3, then a late update at v2: stays deleted
    gone = customer_data(f"Gone {token} Ltd", owner_id="u-order")
    gone_v2 = bump(gone, name=f"Gone {token} Resurrected")
    publish(event("customer", "created", gone))
    publish(deleted("customer", gone, version=3))
    publish(event("customer", "updated", gone_v2))

    # a marker published last: once it is searchable, everything before it was consumed
    marker = customer_data(f"Marker {token}", owner_id="u-order")
    publish(event("customer", "created", marker))
    wait_for(lambda: _doc(es, alias, f"customer:{marker['id']}"), what="the marker")
    time.sleep(0.6)  # one refresh_interval, and the competing indexer's batch

    kept = _doc(es, alias, f"customer:{v1['id']}")
    assert kept is not None and kept["_version"] == 2 and kept["_source"]["title"] == f"Order {token} Two"
    tomb = _doc(es, alias, f"customer:{gone['id']}")
    assert tomb is not None and tomb["_version"] == 3 and tomb["_source"]["deleted"] is True
    assert not _titles(engine, f"gone {token}")


# The indexer's queue is bound to the event types that carry documents: poison arrives under one
# of them (a producer's bug), never under a key nobody indexes.
POISON_KEY = "customer.created"


def test_poison_messages_are_dead_lettered_with_a_reason(indexers, publish, amqp, search_settings):
    dlq = f"{search_settings.search_queue}.dlq"
    token = new_id()
    publish(b"{not json " + token.encode(), routing_key=POISON_KEY)
    unknown = event("customer", "created", customer_data(f"Poison {token}", owner_id="u-p")).model_copy(
        update={"type": "customer.exploded"}
    )
    publish(unknown, routing_key=POISON_KEY)
    bad_date = customer_data(f"Poison date {token}", owner_id="u-p")
    envelope = event("customer", "created", bad_date)
    envelope.data["updated_at"] = "not-a-date"  # passes the envelope schema; ES refuses the document (400)
    publish(envelope, routing_key=POISON_KEY)

    reasons: dict[str, dict[str, Any]] = {}

    def drained() -> bool:
        while True:
            method, properties, body = amqp.basic_get(dlq, auto_ack=True)
            if method is None:
                break
            if token.encode() in body:
                reasons[body.decode("utf-8", "replace")[:40]] = properties.headers
        return len(reasons) == 3

    wait_for(drained, timeout=5, what="three dead letters")
    all_reasons = [headers[REASON_HEADER] for headers in reasons.values()]
    assert any(r.startswith("invalid json") for r in all_reasons), all_reasons
    assert any("unknown event type" in r for r in all_reasons), all_reasons
    assert any("elasticsearch refused" in r and "400" in r for r in all_reasons), all_reasons
    for headers in reasons.values():
        assert headers["x-panorama-original-exchange"] == "customers.events"
        assert headers["x-panorama-original-routing-key"] == POISON_KEY


def test_indexer_exports_its_metrics(indexers, publish, engine):
    name = f"Metrics {new_id()[-8:]}"
    publish(event("customer", "created", customer_data(name, owner_id="u-m")))
    wait_for(lambda: _titles(engine, name), what="an indexed event")
    url = f"http://127.0.0.1:{indexers['metrics_port']}/metrics"
    text = urllib.request.urlopen(url, timeout=2).read().decode()
    for metric in (
        "panorama_search_indexer_lag_seconds_bucket",
        "panorama_search_indexer_batch_size_bucket",
        "panorama_search_indexer_events_total",
        "panorama_search_dlq_depth",
        "panorama_search_indexer_es_retries_total",
    ):
        assert metric in text, metric


def test_queue_and_dlq_are_durable_and_bound_to_every_events_exchange(indexers, amqp, search_settings):
    # Passive declares fail (and close the channel) if the topology is missing; both must exist.
    for queue in (search_settings.search_queue, f"{search_settings.search_queue}.dlq"):
        assert amqp.queue_declare(queue, passive=True).method.queue == queue
    for exchange in search_settings.search_exchanges:
        amqp.exchange_declare(exchange, exchange_type="topic", durable=True, passive=True)
