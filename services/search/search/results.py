"""Elasticsearch responses → the RPC's result shapes (items, snippets, facets)."""

from __future__ import annotations

import html
from typing import Any

# Highlight preference: where the match is most telling for the reader.
SNIPPET_ORDER = ("body", "title", "alt_names", "emails", "tax_id", "customer_name")


def _merge_adjacent(fragment: str) -> str:
    # CJK is one token per ideograph, so a phrase comes back as <em>科</em><em>技</em>.
    return fragment.replace("</em><em>", "")


def snippet(hit: dict[str, Any]) -> str:
    highlight = hit.get("highlight") or {}
    for field in SNIPPET_ORDER:
        fragments = highlight.get(field)
        if fragments:
            return _merge_adjacent(fragments[0])
    orig = (hit.get("_source") or {}).get("orig") or {}
    return html.escape(orig.get("summary") or orig.get("title") or "")


def _item(hit: dict[str, Any]) -> dict[str, Any]:
    source = hit.get("_source") or {}
    orig = source.get("orig") or {}
    return {
        "kind": source.get("kind"),
        "id": source.get("id"),
        "customer_id": source.get("customer_id"),
        "customer_name": orig.get("customer_name"),
        "title": orig.get("title"),
        "snippet": snippet(hit),
        "score": hit.get("_score"),
        "updated_at": source.get("updated_at"),
        "status": source.get("status"),
    }


def shape_search(body: dict[str, Any], limit: int) -> dict[str, Any]:
    hits = body["hits"]["hits"]
    page = hits[:limit]
    buckets = body.get("aggregations", {}).get("kind", {}).get("buckets", [])
    return {
        "items": [_item(hit) for hit in page],
        "facets": {"kind": {bucket["key"]: bucket["doc_count"] for bucket in buckets}},
        "total": body["hits"]["total"]["value"],
        "_last_sort": page[-1]["sort"] if len(hits) > limit else None,
    }


def shape_suggest(body: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for hit in body["hits"]["hits"]:
        source = hit.get("_source") or {}
        orig = source.get("orig") or {}
        out.append(
            {
                "kind": source.get("kind"),
                "id": source.get("id"),
                "customer_id": source.get("customer_id"),
                "title": orig.get("title"),
                "customer_name": orig.get("customer_name"),
            }
        )
    return out
