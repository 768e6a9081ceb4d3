"""States the sales service emits (event data), as the search builders expect them.

The quote version state is the one the quotes area emits (see search.kinds.sales): ``id`` = the
quote, ``version`` = the version number n; the event's aggregate is the version row (its id and
``revision``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kernel.ids import new_id
from sales.contracts.quotes import QuoteVersion
from search.record import Record


def _now() -> str:
    return datetime.now(UTC).isoformat()


def owned(customer_name: str, owner_id: str, team_id: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": extra.pop("customer_id", None) or new_id(),
        "customer_name": customer_name,
        "customer_owner_id": owner_id,
        "owner_id": owner_id,
        "team_id": team_id,
        "created_at": _now(),
        "updated_at": _now(),
        **extra,
    }


def quote_version(
    base: dict[str, Any],
    n: int,
    *,
    quote_id: str,
    number: str,
    lines: list[tuple[str, int, int]],
    is_final: bool = False,
    status: str = "approved",
    revision: int = 1,
    pdf_text: str | None = None,
) -> dict[str, Any]:
    """``lines``: (product, quantity, unit price in minor units), no discount."""
    rows: list[dict[str, Any]] = [
        {
            "product": product,
            "quantity": quantity,
            "unit_price_minor": price,
            "discount_pct": "0",
            "line_total_minor": quantity * price,
        }
        for product, quantity, price in lines
    ]
    total = sum(quantity * price for _, quantity, price in lines)
    data = {
        **base,
        "id": quote_id,
        "quote_id": quote_id,
        "version_id": new_id(),
        "number": number,
        "version": n,
        "status": status,
        "is_final": is_final,
        "opportunity_id": base.get("opportunity_id") or new_id(),
        "title": base.get("title") or "全渠道客服系统升级",
        "currency": "CNY",
        "valid_until": "2026-12-31",
        "lines": rows,
        "subtotal_minor": total,
        "discount_minor": 0,
        "total_minor": total,
        "notes": None,
        "revision": revision,
    }
    if pdf_text is not None:
        data["pdf_text"] = pdf_text
    return QuoteVersion.model_validate(data).model_dump(mode="json")


def quote_record(data: dict[str, Any]) -> Record:
    """As the indexer reads the event: aggregate = the version row and its revision."""
    return Record("quote", data["version_id"], data["revision"], data["customer_id"], data)


def record(kind: str, data: dict[str, Any]) -> Record:
    return Record(kind, data["id"], data["version"], data.get("customer_id"), data)
