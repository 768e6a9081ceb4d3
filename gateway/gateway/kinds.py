"""The record kinds search can return, as their owning services publish them.

Labels, links and the order of result groups all come from here; the list is derived from the
service registry (each service's ``contracts.SEARCH_KINDS``), so a new service's kinds show up
in the UI without an edit here (no search import: the gateway only reads contracts).
"""

from __future__ import annotations

from kernel import registry
from kernel.kinds import SearchKind

SEARCH_KINDS: dict[str, SearchKind] = registry.all_search_kinds()
