"""The pipelined indexer against the real servers: several bulk requests in flight, several
copies, redeliveries — every event ends as exactly one document and nothing stays unacked."""

from __future__ import annotations

from typing import Any

import pytest
from kernel.ids import new_id
from search.bulk import Outcome
from search.documents import IndexOp
from search.es import settings_index_body
from search.indices import ensure_index
from search.messages import decode
from search.writer import EsWriter
from search_support import bump, customer_data, event, queue_consumers, stop_process, wait_for

pytestmark = pytest.mark.integration


def _queue_depth(amqp: Any, queue: str) -> tuple[int, int]:
    """(ready, consumers) of ``queue``."""
    probe = amqp.connection.channel()
    try:
        declared = probe.queue_declare(queue, passive=True).method
        return int(declared.message_count), int(declared.consumer_count)
    finally:
        probe.close()


def test_a_redelivered_batch_leaves_one_document_per_event(es, search_settings):
    alias = f"{search_settings.search_alias}-redelivery"
    ensure_index(es, alias, settings_index_body(search_settings))
    writer = EsWriter(es, alias)
    bodies = [
        event("customer", "created", customer_data(f"Redelivered {i} {new_id()}", owner_id="u-re"))
        .to_json()
        .encode()
        for i in range(30)
    ]
    ops = [op for op in map(decode, bodies) if isinstance(op, IndexOp)]
    assert len(ops) == len(bodies)
    first = writer.write(ops)
    # The acknowledgement was lost (connection dropped after ES took the batch): it comes again.
    again = writer.write([op for op in map(decode, bodies) if isinstance(op, IndexOp)])
    assert {r.outcome for r in first} == {Outcome.INDEXED}
    assert {r.outcome for r in again} == {Outcome.STALE}
    es.indices.refresh(index=alias)
    assert es.count(index=alias)["count"] == len(bodies)


def test_competing_indexers_with_bulks_in_flight_index_every_event_once(
    es, amqp, publish, search_settings, spawn
):
    alias = f"{search_settings.search_alias}-pipeline"
    queue = f"{search_settings.search_queue}.pipeline"
    # Small batches and several in flight, so the run has many concurrent bulk requests.
    overrides = {
        "PANORAMA_SEARCH_ALIAS": alias,
        "PANORAMA_SEARCH_QUEUE": queue,
        "PANORAMA_SEARCH_INDEXER_BATCH_SIZE": "7",
        "PANORAMA_SEARCH_INDEXER_MAX_IN_FLIGHT": "4",
        "PANORAMA_SEARCH_INDEXER_PREFETCH": "35",
        "PANORAMA_SEARCH_INDEXER_FLUSH_MS": "5",
    }
    copies = [spawn("search.indexer", f"pipeline-indexer-{n}", **overrides) for n in (1, 2)]
    wait_for(lambda: queue_consumers(amqp, queue) == 2, timeout=30, what="both pipeline indexers")

    customers = [customer_data(f"Pipeline {i} {new_id()}", owner_id="u-pipe") for i in range(300)]
    for data in customers:
        publish(event("customer", "created", data))
    # Every customer again at version 2, while the first versions are still being indexed.
    for data in customers:
        publish(event("customer", "updated", bump(data, name=data["name"] + " v2")))
    ids = [f"customer:{data['id']}" for data in customers]

    def settled() -> bool:
        es.indices.refresh(index=alias)
        found = es.search(
            index=alias, query={"ids": {"values": ids}}, size=len(ids), version=True, source=False
        )["hits"]["hits"]
        return len(found) == len(ids) and all(hit["_version"] == 2 for hit in found)

    wait_for(settled, timeout=60, interval=0.5, what="every customer at version 2")
    es.indices.refresh(index=alias)
    assert es.count(index=alias)["count"] == len(customers)
    # Stopping requeues whatever a copy still held unacknowledged: an empty queue afterwards means
    # every message was acknowledged, none left behind.
    for copy in copies:
        assert stop_process(copy) == 0
    assert _queue_depth(amqp, queue) == (0, 0)
