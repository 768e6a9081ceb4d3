"""Payments (回款) and their allocations to receivables; the customer's credit; refunds.

A payment is money received from a customer. Its allocations pay receivables of the same
customer and currency (explicitly: ``allocations`` name them); what it does not allocate is the
customer's credit, which later allocations or a refund use up. A payment is recorded by finance
by hand or by the bank-statement import.

RPC (``caller`` first; ValidationError / NotFound / PermissionDenied / Conflict):
    record_payment(caller, data) -> Payment         (data: PaymentCreate)
    allocate_payment(caller, payment_id, allocations, expected_version=None) -> Payment
    get_payment(caller, payment_id) -> Payment      (with its allocations)
    list_payments(caller, filters=None, cursor=None, limit=None) -> Page[Payment]
        filters: customer_id, source, received_after, received_before
    refund(caller, data) -> Payment                 (data: RefundCreate; from unallocated credit)
    void_payment(caller, payment_id, reason, expected_version=None) -> Payment
        (a payment recorded by mistake: its allocations are undone, it is no credit; not once refunded)
    customer_credit(caller, customer_id) -> CustomerCredit   (unallocated minus refunded, per currency)
    open_receivables_for_payment(caller, customer_id, currency="CNY") -> list[Receivable]
        (what the payment form offers: open / partially paid, oldest due first, with outstanding)
    ledger_check(caller, customer_id=None) -> {violations: [str], checked_at}   (admins)

``PaymentCreate.auto_allocate``: allocate oldest due first instead of naming allocations (the
explicit list stays the default; asking for both is refused).

Events (full state): ``payment.recorded``, ``payment.updated`` (allocated, refunded, renamed
customer). The receivables a payment pays are published as ``receivable.updated``.
"""

from __future__ import annotations

from kernel.kinds import SearchKind
from kernel.schema import Day, Id, RequestModel
from pydantic import BaseModel, Field, StrictBool, StrictInt

from finance.contracts.common import Currency, Owned

PAYMENT_RECORDED = "payment.recorded"
PAYMENT_UPDATED = "payment.updated"
PAYMENT_SOURCES = ("manual", "bank_import")
PAYMENT_STATUSES = ("recorded", "voided")
MAX_ALLOCATIONS = 200


class Allocation(BaseModel):
    id: str
    receivable_id: str
    amount_minor: int
    order_number: str | None = None
    seq: int | None = None
    created_by: str | None = None
    created_at: str | None = None


class Refund(BaseModel):
    id: str
    amount_minor: int
    refunded_on: str  # ISO date
    reason: str
    created_by: str | None = None
    created_at: str | None = None


class Payment(Owned):
    number: str
    received_on: str  # ISO date
    currency: str
    amount_minor: int
    allocated_minor: int
    refunded_minor: int
    unallocated_minor: int  # the customer's credit from this payment
    payer: str | None = None
    reference: str | None = None
    note: str | None = None
    source: str
    created_by: str
    status: str = "recorded"  # recorded | voided
    voided_at: str | None = None
    voided_by: str | None = None
    void_reason: str | None = None
    allocations: list[Allocation] = []
    refunds: list[Refund] = []


class CurrencyCredit(BaseModel):
    currency: str
    credit_minor: int


class CustomerCredit(BaseModel):
    customer_id: str
    credits: list[CurrencyCredit]  # one per currency with credit left, CNY first


# -- requests (the gateway's REST bodies are these) -----------------------------------------------
class AllocationIn(RequestModel):
    receivable_id: Id
    amount_minor: StrictInt = Field(gt=0, le=10**15, description="Integer minor units (分)")


class PaymentCreate(RequestModel):
    customer_id: Id
    received_on: Day
    amount_minor: StrictInt = Field(gt=0, le=10**15, description="Integer minor units (分)")
    currency: Currency = "CNY"
    payer: str | None = Field(default=None, max_length=200, description="Name on the bank transfer")
    reference: str | None = Field(default=None, max_length=200, description="Bank reference / 摘要")
    note: str | None = Field(default=None, max_length=2000)
    allocations: list[AllocationIn] = Field(default_factory=list, max_length=MAX_ALLOCATIONS)
    auto_allocate: StrictBool = Field(
        default=False, description="Allocate to the customer's open receivables, oldest due first"
    )


class AllocationsCreate(RequestModel):
    """Using a payment's credit later: ``allocate_payment``'s allocations (REST body)."""

    allocations: list[AllocationIn] = Field(min_length=1, max_length=MAX_ALLOCATIONS)


class PaymentVoid(RequestModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why the payment is void")


class RefundCreate(RequestModel):
    payment_id: Id
    amount_minor: StrictInt = Field(gt=0, le=10**15, description="Integer minor units (分)")
    refunded_on: Day
    reason: str = Field(min_length=1, max_length=2000)


EVENT_SCHEMAS: dict[str, type[BaseModel]] = {PAYMENT_RECORDED: Payment, PAYMENT_UPDATED: Payment}
SEARCH_KINDS: tuple[SearchKind, ...] = (
    SearchKind("payment", "回款", "/payments/{id}", (PAYMENT_RECORDED, PAYMENT_UPDATED)),
)
