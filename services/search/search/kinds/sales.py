"""Builders for the kinds the sales service publishes (see sales.contracts)."""

from __future__ import annotations

from typing import Any

from sales import contracts
from sales.policy import READ

from search.kinds.base import base_document, kind_specs, summary
from search.record import Record


def build_record(record: Record) -> dict[str, Any]:
    """Provisional: title, customer name, status, amount and the ACL (kinds refine this)."""
    d = record.data
    title = str(d.get("title") or d.get("company_name") or d.get("number") or record.id)
    return base_document(
        record,
        title=title,
        customer_name=d.get("customer_name"),
        body=summary(d.get("notes")),
        status=d.get("status") or d.get("stage"),
        names=[title],
        owner_id=d.get("owner_id"),
        team_id=d.get("team_id"),
        acl=READ[record.kind].principals(d),
        amount=d.get("amount_minor") if d.get("amount_minor") is not None else d.get("total_minor"),
        currency=d.get("currency"),
        created_at=d.get("created_at"),
        updated_at=d.get("updated_at"),
    )


KINDS = kind_specs(
    contracts.SERVICE,
    contracts.SEARCH_KINDS,
    {kind.kind: (build_record, {}) for kind in contracts.SEARCH_KINDS},
)
