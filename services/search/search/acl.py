"""Who may see a document, and the query filter that enforces it inside Elasticsearch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kernel.identity import Caller


def document_acl(
    *,
    owner_id: str | None,
    team_id: str | None,
    users: Iterable[str | None] = (),
    roles: Iterable[str] = (),
) -> list[str]:
    principals = [f"user:{owner_id}"] if owner_id else []
    if team_id:
        principals.append(f"team:{team_id}")
    principals += [f"user:{user}" for user in users if user]
    principals += [f"role:{role}" for role in roles]
    return list(dict.fromkeys(principals))


def acl_filters(caller: Caller) -> list[dict[str, Any]]:
    """Filter clauses for ``bool.filter``; admin and system callers see everything."""
    if caller.is_admin:
        return []
    return [{"terms": {"acl": caller.search_principals()}}]
