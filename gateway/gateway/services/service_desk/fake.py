"""In-memory stand-in for the service desk in the gateway's unit tests.

It holds nothing: lists are empty and every record is "not found". The service-desk routes' behaviour
is tested against the real service; this fake lets the gateway's unit tests (and the OpenAPI
fuzzing) run every route without it.
"""

from __future__ import annotations

from typing import Any

from kernel.errors import NotFound
from kernel.identity import Caller


class FakeServiceDeskService:
    def dispatch(self, method: str, kwargs: dict[str, Any]) -> Any:
        if method == "ping":
            return "pong"
        Caller.from_payload(kwargs.get("caller"))
        if method.startswith("list_") or method == "ticket_queue":
            return {"items": [], "next_cursor": None}
        if method == "survey_results":
            empty = {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}
            total = {
                "key": None,
                "sent": 0,
                "answered": 0,
                "average_score": None,
                "distribution": empty,
                "response_rate": None,
            }
            return {
                "group_by": kwargs.get("group_by", "agent"),
                "since": kwargs.get("since"),
                "until": kwargs.get("until"),
                "groups": [],
                "total": total,
            }
        raise NotFound(f"{method}: no such record")
