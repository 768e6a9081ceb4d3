"""Receivables (应收): one per instalment of a sales order.

Made from ``order.placed`` (idempotent under redelivery); ``order.updated`` re-plans the unpaid
ones, ``order.cancelled`` cancels what is not settled; both audited. A payment's allocation pays
them; a finance manager's approved write-off writes them off. Per receivable, always:

    amount_minor = paid_minor + outstanding_minor + written_off_minor

RPC (``caller`` first; ValidationError / NotFound / PermissionDenied):
    get_receivable(caller, receivable_id) -> ReceivableDetail (+ the payments that paid it, its audit)
    list_receivables(caller, filters=None, cursor=None, limit=None) -> Page[Receivable]
        filters: customer_id, customer_name (part of it), order_id, status, bucket, owner_id, team_id,
        due_before, due_after
        (bucket: the aging bucket as of the business's today, of the open/partially paid ones)
    receivables_summary(caller, customer_id=None) -> ReceivablesSummary   (the customer page;
        without a customer: every receivable the caller may read — the list page's bucket chips)

Events (full state): ``receivable.created``, ``receivable.updated`` (paid, re-planned, written
off, cancelled, renamed customer), ``receivable.overdue`` (its overdue bucket changed; once per
bucket).
"""

from __future__ import annotations

from typing import Any

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


RECEIVABLE_FILTERS: tuple[str, ...] = (
    "customer_id",
    "customer_name",  # part of the name, any case
    "order_id",
    "status",
    "bucket",
    "owner_id",
    "team_id",
    "due_before",
    "due_after",
)


class ReceivablePayment(BaseModel):
    """One allocation of a payment to the receivable."""

    allocation_id: str
    payment_id: str
    payment_number: str
    received_on: str
    amount_minor: int
    created_by: str | None = None
    created_at: str | None = None


class AuditLine(BaseModel):
    at: str
    actor_id: str
    action: str
    changes: dict[str, Any]


class ReceivableDetail(Receivable):
    payments: list[ReceivablePayment] = []
    history: list[AuditLine] = []  # newest first


class LastPayment(BaseModel):
    id: str
    number: str
    received_on: str
    amount_minor: int
    currency: str


class ReceivablesSummary(BaseModel):
    """A customer's receivables at a glance (amounts per currency code, minor units)."""

    customer_id: str | None = None  # none: every receivable the caller may read
    as_of: str
    outstanding_minor: dict[str, int]
    overdue_minor: dict[str, int]
    open_count: int
    overdue_count: int
    buckets: dict[str, dict[str, int]]  # aging bucket -> currency -> outstanding
    bucket_counts: dict[str, int]  # aging bucket -> instalments
    last_payment: LastPayment | None = None


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
