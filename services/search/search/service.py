"""The nameko ``search`` service: thin RPC entrypoints over ``search.query.SearchEngine``."""

from __future__ import annotations

import logging
from typing import Any

from elasticsearch import ApiError, TransportError
from kernel.errors import PermissionDenied, ValidationError
from kernel.identity import Caller
from kernel.nameko_ext import Observability
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

from search.es import client_for
from search.indices import ensure_index
from search.mapping import index_body
from search.query import SearchEngine

log = logging.getLogger(__name__)


class SearchEngineProvider(DependencyProvider):
    """One Elasticsearch client (connection pool) per container, shared by its workers."""

    def setup(self) -> None:
        config = self.container.config
        es = client_for(
            config["ELASTICSEARCH_URL"],
            user=config.get("ELASTICSEARCH_USER", ""),
            password=config.get("ELASTICSEARCH_PASSWORD", ""),
            # Both from SearchSettings, whose validator keeps timeout × (retries + 1) inside the
            # RPC budget, itself inside the gateway's deadline.
            timeout=float(config.get("ELASTICSEARCH_TIMEOUT", 3)),
            retries=int(config.get("ELASTICSEARCH_RETRIES", 1)),
            connections=int(config.get("max_workers", 10)),
        )
        alias = config["SEARCH_ALIAS"]
        try:
            # So a fresh installation answers "no results" instead of "no such index".
            ensure_index(es, alias, index_body(**config["SEARCH_INDEX"]))
        except (ApiError, TransportError) as exc:
            log.warning("could not ensure index %s at start-up: %s", alias, exc)
        self.engine = SearchEngine(es, alias)

    def stop(self) -> None:
        self.engine.es.close()

    def get_dependency(self, worker_ctx: Any) -> SearchEngine:
        return self.engine


class SearchService:
    name = "search"

    observability = Observability()
    engine: SearchEngine = SearchEngineProvider()  # type: ignore[assignment]

    @rpc(expected_exceptions=(ValidationError, PermissionDenied))
    def search(
        self,
        caller: Any,
        q: Any = "",
        kinds: Any = None,
        owner_id: Any = None,
        date_from: Any = None,
        date_to: Any = None,
        limit: Any = 20,
        cursor: Any = None,
        facets: Any = False,
    ) -> dict[str, Any]:
        return self.engine.search(
            Caller.from_payload(caller), q, kinds, owner_id, date_from, date_to, limit, cursor, facets
        )

    @rpc(expected_exceptions=(ValidationError, PermissionDenied))
    def suggest(self, caller: Any, q: Any, limit: Any = 8) -> list[dict[str, Any]]:
        return self.engine.suggest(Caller.from_payload(caller), q, limit)

    @rpc
    def ping(self) -> str:
        return "pong"
