"""What a searchable record kind is, as its owning service publishes it in ``contracts.py``.

Stdlib only: the gateway (labels, links), the search service (documents, mapping) and the
service registry all read these without importing a service's runtime.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar
from urllib.parse import quote


class HasKind(Protocol):
    @property
    def kind(self) -> str: ...


K = TypeVar("K", bound=HasKind)


@dataclass(frozen=True)
class SearchKind:
    kind: str  # document ``kind`` and aggregate type, e.g. "follow_up"
    label: str  # shown to users, e.g. "跟进"
    # Where a hit opens in the web UI; ``{id}`` and ``{customer_id}`` are filled in (URL-quoted).
    link: str
    # Event types (routing keys) carrying this kind's full state or its tombstone.
    event_types: tuple[str, ...] = ()

    def href(self, record_id: str | None, customer_id: str | None) -> str:
        if "{id}" in self.link and not record_id:
            return "#"
        if "{customer_id}" in self.link and not customer_id:
            return "#"
        return self.link.format(
            id=quote(record_id or "", safe=""), customer_id=quote(customer_id or "", safe="")
        )


def kinds_by_name(*published: Iterable[SearchKind]) -> dict[str, SearchKind]:
    """Several services' ``SEARCH_KINDS`` as one map, in the order given (the UI's group order).

    A kind claimed twice would make its label, link and owner ambiguous, so it is refused here,
    at import time of whoever builds the map, rather than discovered as a wrong link later.
    """
    return by_kind(published, "published")


def by_kind(groups: Iterable[Iterable[K]], claimed: str) -> dict[str, K]:
    """``groups`` flattened into one map by ``kind``, in order; a kind seen twice is a ValueError
    ("search kind 'x' is <claimed> twice")."""
    out: dict[str, K] = {}
    for items in groups:
        for item in items:
            if item.kind in out:
                raise ValueError(f"search kind {item.kind!r} is {claimed} twice")
            out[item.kind] = item
    return out
