"""Elasticsearch client construction and the index body, both driven by settings."""

from __future__ import annotations

from typing import Any

import orjson
from elasticsearch import Elasticsearch
from elasticsearch.serializer import NdjsonSerializer, OrjsonSerializer

from search.mapping import index_body
from search.settings import SearchSettings


class OrjsonNdjsonSerializer(NdjsonSerializer):
    """Bulk bodies (one JSON document a line) through orjson."""

    def json_dumps(self, data: Any) -> bytes:
        return orjson.dumps(data, default=self.default)

    def json_loads(self, data: bytes) -> Any:
        return orjson.loads(data)


def make_client(settings: SearchSettings, *, retries: int = 0, connections: int = 10) -> Elasticsearch:
    return client_for(
        settings.elasticsearch_url,
        user=settings.elasticsearch_user,
        password=settings.elasticsearch_password,
        timeout=settings.elasticsearch_timeout_seconds,
        retries=retries,
        connections=connections,
    )


def client_for(
    url: str,
    *,
    user: str = "",
    password: str = "",
    timeout: float = 10.0,
    retries: int = 0,
    connections: int = 10,
) -> Elasticsearch:
    # The indexer does its own backoff (it must keep the AMQP connection alive while waiting),
    # so by default the client must not retry behind its back; readers may ask for a retry or two.
    return Elasticsearch(
        url,
        basic_auth=(user, password) if user else None,
        request_timeout=timeout,
        max_retries=retries,
        retry_on_timeout=retries > 0,
        connections_per_node=connections,
        # orjson for request and response bodies, bulk lines too (the compatibility mimetypes
        # follow): the standard library's encoder and decoder were ~0.7 ms of a search's client CPU.
        serializers={
            "application/json": OrjsonSerializer(),
            "application/x-ndjson": OrjsonNdjsonSerializer(),
        },
    )


def settings_index_body(settings: SearchSettings) -> dict[str, Any]:
    return index_body(
        refresh_interval=settings.search_refresh_interval,
        shards=settings.search_shards,
        replicas=settings.search_replicas,
    )
