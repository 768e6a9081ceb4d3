"""The search pages of the UI: results grouped by kind, suggestions de-duplicated, errors in place."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from kernel.errors import PanoramaError

from gateway.auth.permissions import allowed
from gateway.auth.records import UserRecord
from gateway.kinds import SEARCH_KINDS
from gateway.rpc_errors import RpcError, ServiceUnavailable
from gateway.services.search.api import Search
from gateway.services.search.client import SearchClient
from gateway.web.session import WebUser
from gateway.web.templating import render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

# Order of groups in the dropdown: as the services publish their kinds (customer hub first).
KIND_ORDER: tuple[str, ...] = tuple(SEARCH_KINDS)


def _kind_rank(kind: str) -> tuple[int, str]:
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER), kind)


def group_by_kind(items: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        if isinstance(item, dict) and item.get("kind"):
            groups.setdefault(str(item["kind"]), []).append(item)
    return sorted(groups.items(), key=lambda pair: _kind_rank(pair[0]))


async def search_context(
    user: UserRecord,
    search: SearchClient,
    q: str,
    *,
    kind: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
    with_suggestions: bool = False,
    facets: bool = False,
) -> dict[str, Any]:
    q = q.strip()
    context: dict[str, Any] = {
        "q": q,
        "kind": kind,
        "groups": [],
        "suggestions": [],
        "facets": {},
        "total": 0,
        "total_label": "0",
        "next_cursor": None,
        "error": None,
    }
    if not q or not allowed(user, "search"):
        return context
    caller = user.caller
    kinds = [kind] if kind else None
    try:
        if with_suggestions:
            result, suggestions = await asyncio.gather(
                search.search(caller, q, kinds=kinds, limit=limit, cursor=cursor, facets=facets),
                search.suggest(caller, q, 5),
            )
        else:
            result = await search.search(caller, q, kinds=kinds, limit=limit, cursor=cursor, facets=facets)
            suggestions = []
    except ServiceUnavailable:
        context["error"] = "搜索服务未启动 search service unavailable"
        return context
    except (RpcError, PanoramaError) as exc:
        log.warning("search failed: %s", exc)
        context["error"] = getattr(exc, "detail", str(exc))
        return context
    items = result.get("items") or []
    seen = {(i.get("kind"), i.get("id")) for i in items if isinstance(i, dict)}
    context.update(
        groups=group_by_kind(items),
        suggestions=[
            s for s in suggestions if isinstance(s, dict) and (s.get("kind"), s.get("id")) not in seen
        ],
        facets=dict(
            sorted(((result.get("facets") or {}).get("kind") or {}).items(), key=lambda f: _kind_rank(f[0]))
        ),
        total=result.get("total") or len(items),
        total_label=total_label(result.get("total") or len(items), bool(result.get("total_is_lower_bound"))),
        next_cursor=result.get("next_cursor"),
    )
    return context


def total_label(total: int, lower_bound: bool) -> str:
    """The total as shown: "1,000+" when the service stopped counting at its cap, else exact."""
    return f"{total:,}+" if lower_bound else f"{total:,}"


@router.get("/search")
async def search_page(
    request: Request,
    user: WebUser,
    search: Search,
    q: str = Query("", max_length=200),
    kind: str | None = Query(None, max_length=32),
    cursor: str | None = Query(None, max_length=2048),
) -> Response:
    # The page shows a tab per kind with its count: the one place that asks for facets.
    context = await search_context(
        user, search, q, kind=kind, cursor=cursor, limit=50, with_suggestions=False, facets=True
    )
    return render(request, "search.html", {"nav": "search", **context})


@router.get("/ui/search")
async def search_partial(
    request: Request,
    user: WebUser,
    search: Search,
    q: str = Query("", max_length=200),
) -> Response:
    context = await search_context(user, search, q, limit=15, with_suggestions=True)
    return render(request, "partials/search_results.html", {**context, "full_link": True})
