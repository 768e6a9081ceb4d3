"""In-memory stand-in for the finance service in the gateway's unit tests.

It holds nothing: lists are empty and every record is "not found". The finance routes' behaviour
is tested against the real service; this fake lets the gateway's unit tests (and the OpenAPI
fuzzing) run every route without it.
"""

from __future__ import annotations

from typing import Any

from kernel.errors import NotFound
from kernel.identity import Caller

# Reports over nothing (the collections area): empty, not "not found".
EMPTY_ANSWERS: dict[str, Any] = {
    "aging_report": lambda kw: {
        "group_by": kw.get("group_by", "owner"),
        "as_of": kw.get("as_of") or "2026-12-01",
        "owner": kw.get("owner"),
        "team": kw.get("team"),
        "rows": [],
        "totals": [],
        "groups": 0,
    },
    "collections_forecast": lambda kw: {
        "as_of": kw.get("as_of") or "2026-12-01",
        "months": [],
        "items": [],
        "later_minor": {},
    },
    "unread_notifications": lambda kw: 0,
}


class FakeFinanceService:
    def dispatch(self, method: str, kwargs: dict[str, Any]) -> Any:
        if method == "ping":
            return "pong"
        Caller.from_payload(kwargs.get("caller"))
        if method.startswith("list_"):
            return {"items": [], "next_cursor": None}
        if method == "receivables_summary":
            return empty_summary(kwargs.get("customer_id"))
        if method in EMPTY_ANSWERS:
            return EMPTY_ANSWERS[method](kwargs)
        if method == "open_receivables_for_payment":
            return []
        if method == "ledger_check":
            return {"violations": [], "checked_at": "2026-12-01T00:00:00+00:00"}
        raise NotFound(f"{method}: no such record")


def empty_summary(customer_id: Any) -> dict[str, Any]:
    """``receivables_summary`` of a ledger with nothing in it."""
    buckets = ("1-30", "31-60", "61-90", "90+")
    return {
        "customer_id": customer_id,
        "as_of": "2026-01-01",
        "outstanding_minor": {},
        "overdue_minor": {},
        "open_count": 0,
        "overdue_count": 0,
        "buckets": {b: {} for b in buckets},
        "bucket_counts": {b: 0 for b in buckets},
        "last_payment": None,
    }
