"""Prometheus metrics of the indexer (names follow panorama_<subsystem>_<name>_<unit>)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LAG = Histogram(
    "panorama_search_indexer_lag_seconds",
    "Event occurred_at → accepted by Elasticsearch (searchable after at most one refresh_interval more)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5, 10, 30, 60, 300, 1800),
)
BATCH_SIZE = Histogram(
    "panorama_search_indexer_batch_size",
    "Messages per bulk flush",
    buckets=(1, 2, 5, 10, 25, 50, 100, 150, 250, 500, 1000),
)
EVENTS = Counter("panorama_search_indexer_events_total", "Indexer messages by outcome", ["outcome"])
DLQ_DEPTH = Gauge("panorama_search_dlq_depth", "Messages waiting in the indexer's dead-letter queue")
ES_RETRIES = Counter("panorama_search_indexer_es_retries_total", "Bulk attempts retried after an ES failure")

# Outcome label values.
INDEXED = "indexed"
STALE = "stale"  # older or replayed event refused by external versioning: success
DEAD_LETTERED = "dead_lettered"
