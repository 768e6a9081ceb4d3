"""The record kinds search can return, as their owning services publish them.

Labels, links and the order of result groups all come from here, so a new service's kinds show
up in the UI by adding its ``contracts.SEARCH_KINDS`` below (no search import: the gateway only
reads contracts).
"""

from __future__ import annotations

from customers import contracts as customers_contracts
from kernel.kinds import SearchKind, kinds_by_name

# Customer hub first; later services append theirs.
SEARCH_KINDS: dict[str, SearchKind] = kinds_by_name(customers_contracts.SEARCH_KINDS)
