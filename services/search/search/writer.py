"""Writes index ops to Elasticsearch through the alias (and the building alias during a reindex)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from elasticsearch import ApiError, Elasticsearch, TransportError

from search.bulk import OpResult, interpret, operations
from search.documents import IndexOp
from search.indices import building_alias

log = logging.getLogger(__name__)


class RetryableEsError(Exception):
    """The whole request failed in a way that may pass later (down, overloaded, 5xx)."""


def bulk_write(
    es: Elasticsearch, targets: Sequence[str], ops: Sequence[IndexOp], *, require_alias: bool
) -> list[OpResult]:
    if not ops:
        return []
    try:
        response = es.bulk(operations=operations(ops, targets), require_alias=require_alias, refresh=False)
    except ApiError as exc:
        if exc.status_code != 429 and exc.status_code < 500:
            # A request-level 4xx is our bug, not a message's: keep the batch and shout.
            log.error("bulk request refused (%s); batch kept for retry", exc)
        raise RetryableEsError(f"elasticsearch answered {exc.status_code}: {exc.message}") from exc
    except TransportError as exc:  # connection refused/reset, timeout
        raise RetryableEsError(f"elasticsearch unreachable: {exc}") from exc
    return interpret(ops, targets, response.body)


class EsWriter:
    def __init__(self, es: Elasticsearch, alias: str) -> None:
        self.es = es
        self.alias = alias

    def targets(self) -> list[str]:
        # Resolved before every attempt: an event consumed after a reindex created its index
        # (and so possibly read by the export before the change) is always written there too.
        building = building_alias(self.alias)
        try:
            exists = bool(self.es.indices.exists_alias(name=building))
        except (ApiError, TransportError) as exc:
            raise RetryableEsError(f"elasticsearch unreachable: {exc}") from exc
        return [self.alias, building] if exists else [self.alias]

    def write(self, ops: Sequence[IndexOp]) -> list[OpResult]:
        if not ops:
            return []
        # require_alias: never auto-create a concrete index named like one of our aliases.
        return bulk_write(self.es, self.targets(), ops, require_alias=True)
