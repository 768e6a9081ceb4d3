"""Registry of searchable kinds: kind → ``KindSpec`` (the owner's contract, builder, mapping fragment).

A new kind (lead, opportunity, quote, contract, invoice, payment, ticket) is one entry in its
service's ``contracts.SEARCH_KINDS`` plus one builder module here pairing it with a builder and
the mapping of its own fields; ``REGISTRY`` below takes that module's specs. The mapping, the
known kinds, the event types the indexer accepts, facet order and reindex sources all derive
from this registry.
"""

from __future__ import annotations

from collections.abc import Iterable

from kernel.kinds import by_kind

from search.kinds.base import KindSpec
from search.kinds.customers import CUSTOMER_KINDS


def registry(*groups: Iterable[KindSpec]) -> dict[str, KindSpec]:
    return by_kind(groups, "registered")


REGISTRY: dict[str, KindSpec] = registry(CUSTOMER_KINDS)
KNOWN_KINDS: tuple[str, ...] = tuple(REGISTRY)


__all__ = ["KNOWN_KINDS", "REGISTRY", "KindSpec", "registry"]
