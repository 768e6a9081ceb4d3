"""What the builders of records on a customer share: money in the two spellings people search
by, text joined from parts, the common document of an owned record (its customer's name, owner,
team and the ACL from the owning service's read policy) and exact amounts as ``amount_terms``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from kernel.access import AccessPolicy
from kernel.money import format_amount, format_money, to_decimal

from search import enrich
from search.kinds.base import base_document
from search.record import Record


def money(amount: Any, currency: Any) -> tuple[str | None, list[Decimal]]:
    """(``"¥12,345.00"`` for display and text, [exact amount]) of one amount, or (None, [])."""
    if not isinstance(amount, int) or isinstance(amount, bool) or not isinstance(currency, str):
        return None, []
    return format_money(amount, currency), [to_decimal(amount, currency)]


def amount_words(amount: Any, currency: Any) -> str | None:
    """Both spellings people search by: ``"12345.00 ¥12,345.00"``."""
    if not isinstance(amount, int) or isinstance(amount, bool) or not isinstance(currency, str):
        return None
    return f"{format_amount(amount, currency)} {format_money(amount, currency)}"


def text(*parts: Any) -> str | None:
    lines = [str(p).strip() for p in parts if p is not None and str(p).strip()]
    return "\n".join(lines) or None


def common(
    record: Record,
    read: Mapping[str, AccessPolicy],
    *,
    title: str,
    names: Iterable[str],
    body: str | None,
    status: str | None,
    summary_text: str | None,
    amount: Any = None,
    currency: Any = None,
    due_at: Any = None,
) -> dict[str, Any]:
    d = record.data
    return base_document(
        record,
        title=title,
        customer_name=d.get("customer_name"),
        body=body,
        status=status,
        names=[n for n in names if n],
        owner_id=d.get("owner_id"),
        team_id=d.get("team_id"),
        acl=read[record.kind].principals(d),
        summary_text=summary_text,
        created_at=d.get("created_at"),
        updated_at=d.get("updated_at"),
        due_at=due_at,
        amount=amount if isinstance(amount, int) and not isinstance(amount, bool) else None,
        currency=currency if isinstance(currency, str) else None,
    )


def keywords(doc: dict[str, Any], data: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        value = data.get(key)
        if value is not None and value != "":
            doc[key] = value
    return doc


def with_amounts(doc: dict[str, Any], amounts: Iterable[Decimal]) -> dict[str, Any]:
    terms = enrich.amount_terms(amounts)
    if terms:
        doc["amount_terms"] = terms
    return doc
