"""In-memory stand-in for the search service, for the gateway's unit tests: it searches what the
customers fake holds, filtered by the same visibility."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from kernel.cursor import decode_cursor
from kernel.identity import Caller

from gateway.services.customers.fake import FakeCustomersService


class FakeSearchService:
    def __init__(self, customers: FakeCustomersService) -> None:
        self.customers = customers
        self.extra_hits: list[dict[str, Any]] = []
        self.total_hits_cap = 1000  # as the real service: past it, the total is a lower bound
        self.calls: list[dict[str, Any]] = []  # what each search was asked (q, kinds, facets)

    def _documents(self) -> list[dict[str, Any]]:
        docs = []
        for c in self.customers.customers.values():
            docs.append(
                {
                    "kind": "customer",
                    "id": c["id"],
                    "customer_id": c["id"],
                    "customer_name": c["name"],
                    "title": c["name"],
                    "text": " ".join(filter(None, [c["name"], c.get("industry")])),
                    "status": c["status"],
                    "updated_at": c["updated_at"],
                    "owner_id": c["owner_id"],
                }
            )
        for r in self.customers.children["contact"].values():
            docs.append(
                {
                    "kind": "contact",
                    "id": r["id"],
                    "customer_id": r["customer_id"],
                    "customer_name": r["customer_name"],
                    "title": r["name"],
                    "text": " ".join([r["name"], *r["phones"], *r["emails"]]),
                    "status": None,
                    "updated_at": r["updated_at"],
                    "owner_id": r["owner_id"],
                }
            )
        for r in self.customers.children["follow_up"].values():
            docs.append(
                {
                    "kind": "follow_up",
                    "id": r["id"],
                    "customer_id": r["customer_id"],
                    "customer_name": r["customer_name"],
                    "title": r["content"][:40],
                    "text": r["content"],
                    "status": None,
                    "updated_at": r["updated_at"],
                    "owner_id": r["owner_id"],
                }
            )
        return docs

    def search(
        self,
        caller: Caller,
        q: str,
        kinds: Any = None,
        limit: int = 20,
        cursor: Any = None,
        facets: bool = False,
        **_: Any,
    ) -> dict:
        self.calls.append({"q": q, "kinds": kinds, "facets": facets})
        decode_cursor(cursor)  # the real service refuses a cursor it did not sign the same way
        hits = []
        for doc in self._documents() + self.extra_hits:
            if q not in doc.get("text", doc.get("title", "")):
                continue
            if kinds and doc["kind"] not in kinds:
                continue
            customer = self.customers.customers.get(doc.get("customer_id") or "")
            if customer is not None and not self.customers._visible(caller, customer):
                continue
            text = doc.get("text", doc["title"])
            snippet = doc.get("snippet") or html.escape(text).replace(
                html.escape(q), f"<em>{html.escape(q)}</em>"
            )
            shown = ("kind", "id", "customer_id", "customer_name", "title", "status", "updated_at")
            marks = ("title_html", "customer_name_html", "snippet_field")
            hit = {k: doc.get(k) for k in shown + marks} | {"snippet": snippet, "score": 1.0}
            hits.append(hit | {k: doc[k] for k in ("version", "is_final") if k in doc})  # a kind's own
        counts: dict[str, int] = {}
        for hit in hits:
            counts[hit["kind"]] = counts.get(hit["kind"], 0) + 1
        return {
            "items": hits[:limit],
            "facets": {"kind": counts} if facets else {},
            "total": min(len(hits), self.total_hits_cap),
            "total_is_lower_bound": len(hits) > self.total_hits_cap,
            "next_cursor": None,
        }

    def suggest(self, caller: Caller, q: str, limit: int = 8) -> list[dict[str, Any]]:
        found = self.search(caller, q, limit=limit)["items"]
        self.calls.pop()  # a suggestion is not a search
        return [{k: h[k] for k in ("kind", "id", "customer_id", "title", "customer_name")} for h in found]

    def dispatch(self, method: str, kwargs: dict[str, Any]) -> Any:
        kwargs = dict(kwargs)
        if method == "ping":
            return "pong"
        caller = Caller.from_payload(kwargs.pop("caller", None))
        handler: Callable[..., Any] = getattr(self, method)
        return handler(caller, **kwargs)
