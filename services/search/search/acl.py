"""The query filter that enforces a document's ``acl`` inside Elasticsearch.

The ``acl`` itself comes from the producing service's access policy (``kernel.access``): a document
matches when it names one of the caller's principals, which is ``AccessPolicy.can_read``."""

from __future__ import annotations

from typing import Any

from kernel.identity import Caller


def acl_filters(caller: Caller) -> list[dict[str, Any]]:
    """Filter clauses for ``bool.filter``; admin and system callers see everything."""
    if caller.is_admin:
        return []
    return [{"terms": {"acl": caller.search_principals()}}]
