"""Receivables (应收): one per instalment of a sales order.

Made from ``order.placed`` (idempotent under redelivery); ``order.updated`` re-plans the unpaid
ones, ``order.cancelled`` cancels what is not settled; both audited. A payment's allocation pays
them; a finance manager's approved write-off writes them off. Per receivable, always:

    amount_minor = paid_minor + outstanding_minor + written_off_minor

RPC (``caller`` first; ValidationError / NotFound / PermissionDenied):
    get_receivable(caller, receivable_id) -> Receivable
    list_receivables(caller, filters=None, cursor=None, limit=None) -> Page[Receivable]
        filters: customer_id, order_id, status, bucket, owner_id, team_id, due_before, due_after

Events (full state): ``receivable.created``, ``receivable.updated`` (paid, re-planned, written
off, cancelled, renamed customer), ``receivable.overdue`` (its overdue bucket changed; once per
bucket).
"""

from __future__ import annotations

from kernel.kinds import SearchKind
from pydantic import BaseModel

from finance.contracts.common import Owned

RECEIVABLE_CREATED = "receivable.created"
RECEIVABLE_UPDATED = "receivable.updated"
RECEIVABLE_OVERDUE = "receivable.overdue"


class Receivable(Owned):
    order_id: str
    order_number: str | None = None
    seq: int
    due_date: str  # ISO date
    currency: str
    amount_minor: int  # billed now
    paid_minor: int
    written_off_minor: int
    outstanding_minor: int
    status: str  # common.RECEIVABLE_STATUSES
    overdue_days: int  # 0 when not past due (as of the state's ``as_of`` day)
    overdue_bucket: str | None = None  # common.OVERDUE_BUCKETS
    as_of: str  # ISO date "today" was when the state was made (overdue_days is relative to it)


EVENT_SCHEMAS: dict[str, type[BaseModel]] = {
    RECEIVABLE_CREATED: Receivable,
    RECEIVABLE_UPDATED: Receivable,
    RECEIVABLE_OVERDUE: Receivable,
}
SEARCH_KINDS: tuple[SearchKind, ...] = (
    SearchKind(
        "receivable",
        "应收",
        "/receivables/{id}",
        (RECEIVABLE_CREATED, RECEIVABLE_UPDATED, RECEIVABLE_OVERDUE),
    ),
)
