"""An Elasticsearch outage while events keep coming loses nothing, and the indexer can be
stopped (and started) during it. The shared ES stays up: the indexer talks to it through a
local TCP proxy that the test cuts and heals."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from kernel.ids import new_id
from search_support import TcpProxy, customer_data, event, queue_consumers, stop_process, wait_for

pytestmark = pytest.mark.integration


def _ready_count(amqp: Any, queue: str) -> int:
    probe = amqp.connection.channel()
    try:
        return int(probe.queue_declare(queue, passive=True).method.message_count)
    finally:
        probe.close()


def test_es_outage_loses_nothing(es, amqp, publish, search_settings, spawn):
    upstream = urlsplit(search_settings.elasticsearch_url)
    proxy = TcpProxy((upstream.hostname or "127.0.0.1", upstream.port or 9200))
    proxy.start()
    alias = f"{search_settings.search_alias}-outage"
    queue = f"{search_settings.search_queue}.outage"
    overrides = {
        "PANORAMA_ELASTICSEARCH_URL": f"http://127.0.0.1:{proxy.port}",
        "PANORAMA_SEARCH_ALIAS": alias,
        "PANORAMA_SEARCH_QUEUE": queue,
        "PANORAMA_ELASTICSEARCH_TIMEOUT_SECONDS": "2",
    }
    try:
        first = spawn("search.indexer", "outage-indexer-1", **overrides)
        wait_for(lambda: queue_consumers(amqp, queue) == 1, timeout=20, what="the outage indexer")

        before = customer_data(f"Before outage {new_id()}", owner_id="u-outage")
        publish(event("customer", "created", before))
        wait_for(lambda: es.exists(index=alias, id=f"customer:{before['id']}"), what="the first event")

        proxy.stop()
        during = [customer_data(f"During outage {i} {new_id()}", owner_id="u-outage") for i in range(20)]
        for data in during:
            publish(event("customer", "created", data))
        time.sleep(1.5)  # the indexer holds the batch and backs off; nothing may be acked

        # Stopping during the outage requeues the held batch instead of dropping it.
        assert stop_process(first) == 0
        assert _ready_count(amqp, queue) >= len(during)

        # A new indexer starting while ES is still unreachable waits for it, then catches up.
        spawn("search.indexer", "outage-indexer-2", **overrides)
        time.sleep(1.0)
        proxy.start()
        ids = [f"customer:{data['id']}" for data in during]
        wait_for(
            lambda: es.count(index=alias, query={"ids": {"values": ids}})["count"] == len(ids),
            timeout=15,
            interval=0.2,
            what="every event published during the outage",
        )
    finally:
        proxy.stop()
