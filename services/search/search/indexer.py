"""``python -m search.indexer``: run one bulk indexer (start as many as you like: they compete)."""

from __future__ import annotations

import gc
import logging
import signal
import threading
from types import FrameType

from elasticsearch import ApiError, Elasticsearch, TransportError
from kernel.logs import configure_logging
from prometheus_client import start_http_server

from search.consumer import BulkIndexer, IndexerConfig
from search.es import make_client, settings_index_body
from search.indices import ensure_index
from search.settings import SearchSettings
from search.topology import from_settings
from search.writer import EsWriter

log = logging.getLogger("search.indexer")


def config_from_settings(settings: SearchSettings) -> IndexerConfig:
    topology = from_settings(settings)  # the same queue provisioning declares (search.topology)
    return IndexerConfig(
        amqp_url=settings.rabbitmq_url,
        queue=topology.queue,
        exchanges=list(topology.exchanges),
        extra_queue_arguments=dict(topology.extra_queue_arguments),
        prefetch=settings.search_indexer_prefetch,
        batch_size=settings.search_indexer_batch_size,
        max_in_flight=settings.search_indexer_max_in_flight,
        flush_after=settings.search_indexer_flush_ms / 1000,
        backoff_initial=settings.search_indexer_backoff_initial_seconds,
        backoff_max=settings.search_indexer_backoff_max_seconds,
        heartbeat=settings.search_indexer_heartbeat_seconds,
    )


def wait_for_index(es: Elasticsearch, settings: SearchSettings, stop: threading.Event) -> bool:
    """ensure_index, retried with backoff while ES is unreachable; False if stopped first."""
    delay = settings.search_indexer_backoff_initial_seconds
    while not stop.is_set():
        try:
            ensure_index(es, settings.search_alias, settings_index_body(settings))
            return True
        except (TransportError, ApiError) as exc:
            log.warning("elasticsearch not ready (%s); retrying in %.1fs", exc, delay)
            stop.wait(delay)
            delay = min(delay * 2, settings.search_indexer_backoff_max_seconds)
    return False


def main() -> None:
    settings = SearchSettings()
    settings.refuse_dev_secrets()
    configure_logging("search-indexer", settings.log_level, settings.log_json)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping after the in-flight batch", signum)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    if settings.search_indexer_metrics_port > 0:
        start_http_server(settings.search_indexer_metrics_port, addr="127.0.0.1")
    es = make_client(settings, connections=max(10, settings.search_indexer_max_in_flight + 2))
    if not wait_for_index(es, settings, stop):
        return
    # Everything loaded so far (pypinyin's and OpenCC's dictionaries: ~300k objects) lives as long
    # as the process: out of the collector's sight, each full collection no longer walks it
    # (~10 % of the per-event CPU of a bulk load).
    gc.collect()
    gc.freeze()
    BulkIndexer(config_from_settings(settings), EsWriter(es, settings.search_alias)).run(stop)


if __name__ == "__main__":
    main()
