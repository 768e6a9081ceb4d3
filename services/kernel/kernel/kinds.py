"""What a searchable record kind is, as its owning service publishes it in ``contracts.py``.

Stdlib only: the gateway (labels, links), the search service (documents, mapping) and the
service registry all read these without importing a service's runtime.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote


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
    out: dict[str, SearchKind] = {}
    for kinds in published:
        for search_kind in kinds:
            if search_kind.kind in out:
                raise ValueError(f"search kind {search_kind.kind!r} is published twice")
            out[search_kind.kind] = search_kind
    return out
