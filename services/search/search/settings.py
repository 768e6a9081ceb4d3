"""Settings of every search process (RPC service, indexer, reindex), read once at start-up."""

from __future__ import annotations

from kernel import registry
from kernel.settings import KernelSettings
from pydantic import Field, model_validator

DEV_ES_USER = "panorama"
DEV_ES_PASSWORD = "panorama"


class SearchSettings(KernelSettings):
    elasticsearch_url: str = "http://127.0.0.1:9200"
    # HTTP basic auth (deploy/local runs ES with security on and a file-realm user); empty = none.
    elasticsearch_user: str = DEV_ES_USER
    elasticsearch_password: str = DEV_ES_PASSWORD
    # Bulk writes and index administration (indexer, reindex): off the request path.
    elasticsearch_timeout_seconds: float = 10.0

    # Index layout: readers use the alias, concrete indices are "<alias>-<utc timestamp>".
    search_alias: str = Field(default="panorama-search", pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    # Chosen against the freshness target (write → searchable p99 ≤ 1.5 s, ``bench.run`` freshness
    # rows, 2-core box shared with other work). Measured: 500ms → p50 0.40 / p99 0.73 s (load ~13-21)
    # and 0.59 / 1.84 s (load ~23-25); 1s → 0.64 / 1.27 s (load ~16-21) and 0.80 / 1.96 s (load ~20-25).
    # A write waits up to one interval, so 1s leaves ~0.2 s for relay, indexer and ES under load,
    # while its bulk-load gain (fewer refreshes) did not show above the noise: 500ms it stays.
    search_refresh_interval: str = "500ms"
    search_shards: int = Field(default=1, ge=1)
    search_replicas: int = Field(default=0, ge=0)

    # RPC service.
    search_service_name: str = "search"  # overridable so tests/blue-green can run a private copy
    max_workers: int = 50
    search_metrics_port: int = 0
    # Deadlines of the request path, each inside its caller's (validated below):
    #   search_es_timeout_seconds × (search_es_retries + 1) < search_rpc_budget_seconds
    #   < rpc_timeout_seconds (how long the gateway waits for any RPC answer).
    search_es_timeout_seconds: float = Field(default=3.0, gt=0)
    search_es_retries: int = Field(default=1, ge=0, le=3)
    search_rpc_budget_seconds: float = Field(default=8.0, gt=0)

    # Indexer.
    search_queue: str = "search.indexer"
    # Every service whose contracts export SEARCH_KINDS (kernel.registry).
    search_exchanges: list[str] = Field(default_factory=registry.search_exchanges)
    # Measured with ``python -m bench.indexer_tuning`` (batch size and bulk requests in flight
    # doubled until events/s stops growing). On the 2-core bench box the indexer is CPU-bound
    # (~0.16 ms of its own CPU per event, most of it document building) and shares the cores with
    # Elasticsearch. 2026-12-03, 124,756 events (30,000 customers): 500 × 2 4,597 events/s,
    # 1000 × 2 4,716-4,920, 2000 × 2 4,805 (the plateau), 500 × 3 4,580, 1000 × 3 4,676; larger
    # bulks cost both sides less per event (Elasticsearch 0.095 → 0.082 ms). A second request in
    # flight lets ES index one batch while the next is built; a third only adds contention here.
    # 1000 × 2 keeps the broker's next batch arriving (prefetch = batch × (in flight + 1)).
    search_indexer_prefetch: int = Field(default=3000, ge=2, le=65535)
    search_indexer_batch_size: int = Field(default=1000, ge=1)
    search_indexer_max_in_flight: int = Field(default=2, ge=1, le=16)
    # A partial batch waits this long for more events. At a steady trickle (the create bench, ~150
    # events/s) 200 ms makes bulks of ~30 instead of ~7: the indexer's CPU per event fell ~0.3 ms
    # and Elasticsearch's ~0.3 ms (issue 11), while freshness (p99 ≤ 1.5 s) gains at most 150 ms.
    search_indexer_flush_ms: int = Field(default=200, ge=1)
    search_indexer_backoff_initial_seconds: float = Field(default=0.2, gt=0)
    search_indexer_backoff_max_seconds: float = Field(default=10.0, gt=0)
    search_indexer_heartbeat_seconds: int = Field(default=30, ge=0)
    search_indexer_metrics_port: int = 0

    # Reindex: service -> kinds whose paged ``export`` RPC fills a new index.
    search_reindex_sources: dict[str, list[str]] = Field(default_factory=registry.reindex_sources)
    search_reindex_page_size: int = Field(default=500, ge=1, le=5000)
    search_rpc_timeout_seconds: float = 60.0

    @model_validator(mode="after")
    def _batch_fits_prefetch(self) -> SearchSettings:
        # Room for every batch in flight plus the one being filled, so the broker keeps the next
        # batch arriving while the others are written.
        needed = self.search_indexer_batch_size * (self.search_indexer_max_in_flight + 1)
        if needed > self.search_indexer_prefetch:
            raise ValueError(
                f"search_indexer_prefetch ({self.search_indexer_prefetch}) must hold "
                f"search_indexer_batch_size × (search_indexer_max_in_flight + 1) = {needed} messages"
            )
        return self

    @model_validator(mode="after")
    def _deadlines_nest(self) -> SearchSettings:
        es_worst = self.search_es_timeout_seconds * (self.search_es_retries + 1)
        if es_worst >= self.search_rpc_budget_seconds:
            raise ValueError(
                f"search_es_timeout_seconds × (search_es_retries + 1) = {es_worst:g} s must be shorter "
                f"than search_rpc_budget_seconds ({self.search_rpc_budget_seconds:g} s)"
            )
        if self.search_rpc_budget_seconds >= self.rpc_timeout_seconds:
            raise ValueError(
                f"search_rpc_budget_seconds ({self.search_rpc_budget_seconds:g} s) must be shorter than "
                f"rpc_timeout_seconds ({self.rpc_timeout_seconds:g} s), the gateway's deadline"
            )
        return self

    def refuse_dev_secrets(self) -> None:
        self.refuse_dev_credentials()
        if self.is_production and self.elasticsearch_password == DEV_ES_PASSWORD:
            raise ValueError("refusing to start in production with the development Elasticsearch password")

    @property
    def dlq_name(self) -> str:
        return f"{self.search_queue}.dlq"

    # -- what ``python -m kernel.run search`` reads ------------------------------------------
    @property
    def nameko_name(self) -> str:
        return self.search_service_name

    def nameko_config(self) -> dict[str, object]:
        return {
            "AMQP_URI": self.rabbitmq_url,
            "max_workers": self.max_workers,
            "METRICS_PORT": self.search_metrics_port,
            "ELASTICSEARCH_URL": self.elasticsearch_url,
            "ELASTICSEARCH_USER": self.elasticsearch_user,
            "ELASTICSEARCH_PASSWORD": self.elasticsearch_password,
            "ELASTICSEARCH_TIMEOUT": self.search_es_timeout_seconds,
            "ELASTICSEARCH_RETRIES": self.search_es_retries,
            "SEARCH_ALIAS": self.search_alias,
            "SEARCH_INDEX": {
                "refresh_interval": self.search_refresh_interval,
                "shards": self.search_shards,
                "replicas": self.search_replicas,
            },
        }
