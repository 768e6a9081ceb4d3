"""In-memory stand-in for the finance service in the gateway's unit tests.

It holds nothing: lists are empty and every record is "not found". The finance routes' behaviour
is tested against the real service; this fake lets the gateway's unit tests (and the OpenAPI
fuzzing) run every route without it.
"""

from __future__ import annotations

from typing import Any

from kernel.errors import NotFound
from kernel.identity import Caller


class FakeFinanceService:
    def dispatch(self, method: str, kwargs: dict[str, Any]) -> Any:
        if method == "ping":
            return "pong"
        Caller.from_payload(kwargs.get("caller"))
        if method.startswith("list_"):
            return {"items": [], "next_cursor": None}
        if method == "open_receivables_for_payment":
            return []
        if method == "ledger_check":
            return {"violations": [], "checked_at": "2026-12-01T00:00:00+00:00"}
        raise NotFound(f"{method}: no such record")
