"""The record kinds search can return, as their owning services publish them.

Labels, links and the order of result groups all come from here. The kinds are read from each
registry service's ``contracts.SEARCH_KINDS`` (kernel/registry.py), in registry order (customer
hub first), so a new service's kinds show up in the UI with no edit here (no search import: the
gateway only reads contracts).
"""

from __future__ import annotations

from kernel import registry
from kernel.kinds import SearchKind, kinds_by_name

SEARCH_KINDS: dict[str, SearchKind] = kinds_by_name(*(registry.search_kinds(s) for s in registry.SERVICES))
