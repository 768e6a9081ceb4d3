"""Registry of searchable kinds: kind → ``KindSpec`` (the owner's contract, builder, mapping fragment).

A new kind (lead, opportunity, quote, contract, invoice, payment, ticket) is one entry in its
service's ``contracts.SEARCH_KINDS`` plus one builder module here, ``search/kinds/<service>.py``,
whose ``KINDS`` pair each kind with a builder and the mapping of its own fields. ``REGISTRY``
takes the module of every registered service that publishes search kinds (kernel/registry.py), in
registry order, so nothing here names a service. The mapping, the known kinds, the event types the
indexer accepts, facet order and reindex sources all derive from this registry.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from kernel import registry as services
from kernel.kinds import by_kind

from search.kinds.base import KindSpec


def registry(*groups: Iterable[KindSpec]) -> dict[str, KindSpec]:
    return by_kind(groups, "registered")


def _published() -> list[tuple[KindSpec, ...]]:
    """Each publishing service's builder module; a service whose kinds lack one fails at import."""
    return [
        importlib.import_module(f"search.kinds.{service.name}").KINDS
        for service in services.SERVICES
        if services.search_kinds(service)
    ]


REGISTRY: dict[str, KindSpec] = registry(*_published())
KNOWN_KINDS: tuple[str, ...] = tuple(REGISTRY)


__all__ = ["KNOWN_KINDS", "REGISTRY", "KindSpec", "registry"]
