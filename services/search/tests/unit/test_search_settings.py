import os
from datetime import UTC, datetime

import pytest
from kernel import registry
from pydantic import ValidationError
from search.indices import building_alias, new_index_name
from search.mapping import index_body
from search.settings import SearchSettings


def test_environment_names(monkeypatch):
    monkeypatch.setenv("PANORAMA_ELASTICSEARCH_URL", "http://es:9200")
    monkeypatch.setenv("PANORAMA_SEARCH_ALIAS", "panorama-test-x")
    monkeypatch.setenv("PANORAMA_SEARCH_QUEUE", "search.q")
    monkeypatch.setenv("PANORAMA_SEARCH_INDEXER_METRICS_PORT", "9104")
    monkeypatch.setenv("PANORAMA_SEARCH_METRICS_PORT", "9103")
    monkeypatch.setenv("PANORAMA_MAX_WORKERS", "80")
    monkeypatch.setenv("PANORAMA_SEARCH_REINDEX_SOURCES", '{"sales": ["lead"]}')
    settings = SearchSettings()
    assert settings.elasticsearch_url == "http://es:9200" and settings.search_alias == "panorama-test-x"
    assert settings.dlq_name == "search.q.dlq" and settings.search_indexer_metrics_port == 9104
    assert settings.search_metrics_port == 9103 and settings.max_workers == 80
    assert settings.search_reindex_sources == {"sales": ["lead"]}


def test_defaults_follow_the_brief(monkeypatch):
    for name in [n for n in os.environ if n.startswith("PANORAMA_SEARCH_")]:
        monkeypatch.delenv(name)
    settings = SearchSettings()
    assert settings.search_indexer_prefetch == 3000 and settings.search_indexer_batch_size == 1000
    assert settings.search_indexer_max_in_flight == 2
    assert settings.search_indexer_flush_ms == 200 and settings.search_indexer_backoff_max_seconds == 10
    # Derived from the service registry: every service whose contracts export search kinds.
    assert settings.search_exchanges == registry.search_exchanges()
    assert settings.search_exchanges[:2] == ["customers.events", "sales.events"]
    assert {"finance.events", "service_desk.events"} <= set(settings.search_exchanges)
    assert settings.search_reindex_sources["customers"] == ["customer", "contact", "follow_up", "task"]
    assert settings.search_reindex_sources["sales"] == ["lead", "opportunity", "quote", "contract", "order"]


def test_prefetch_must_hold_every_batch_in_flight_and_the_next():
    with pytest.raises(ValidationError, match="search_indexer_prefetch"):
        SearchSettings(search_indexer_prefetch=100, search_indexer_batch_size=60)
    with pytest.raises(ValidationError, match="search_indexer_max_in_flight"):
        SearchSettings(
            search_indexer_prefetch=300, search_indexer_batch_size=100, search_indexer_max_in_flight=3
        )
    fits = SearchSettings(
        search_indexer_prefetch=400, search_indexer_batch_size=100, search_indexer_max_in_flight=3
    )
    assert fits.search_indexer_max_in_flight == 3


def test_alias_must_be_an_index_name():
    with pytest.raises(ValidationError):
        SearchSettings(search_alias="Panorama Search")


def test_production_refuses_the_dev_elasticsearch_password():
    settings = SearchSettings(
        environment="production", rabbitmq_url="amqp://svc:secret@mq/%2F", identity_key="i" * 40
    )
    with pytest.raises(ValueError, match="Elasticsearch"):
        settings.refuse_dev_secrets()
    SearchSettings(
        environment="production",
        rabbitmq_url="amqp://svc:secret@mq/%2F",
        elasticsearch_password="s3cret",
        identity_key="i" * 40,
    ).refuse_dev_secrets()


def test_index_naming_and_body():
    assert new_index_name("panorama-search", datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)) == (
        "panorama-search-20260102030405000006"
    )
    assert building_alias("panorama-search") == "panorama-search-building"
    body = index_body(refresh_interval="500ms", shards=1, replicas=0)
    assert body["settings"]["index"] == {
        "number_of_shards": 1,
        "number_of_replicas": 0,
        "refresh_interval": "500ms",
        "merge": {"policy": {"segments_per_tier": 5, "floor_segment": "8mb"}},
    }
    assert body["mappings"]["dynamic"] == "strict"


def test_search_deadlines_nest_inside_the_gateways():
    """Elasticsearch with its retry (was 10 s × 2) must give up before the search RPC budget, and
    that before the gateway's RPC timeout (10 s): otherwise the gateway answers 504 while the
    search still runs."""
    settings = SearchSettings()
    worst = settings.search_es_timeout_seconds * (settings.search_es_retries + 1)
    assert worst < settings.search_rpc_budget_seconds < settings.rpc_timeout_seconds
    with pytest.raises(ValidationError, match="search_rpc_budget_seconds"):
        SearchSettings(search_es_timeout_seconds=10, search_es_retries=1)
    with pytest.raises(ValidationError, match="rpc_timeout_seconds"):
        SearchSettings(rpc_timeout_seconds=5)
    assert SearchSettings(rpc_timeout_seconds=30, search_rpc_budget_seconds=20).search_es_retries == 1
