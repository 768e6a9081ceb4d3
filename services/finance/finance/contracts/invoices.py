"""Invoices (发票): drafted by finance for a customer (optionally an order or one instalment),
issued with a number (INV-2026-000001, sequential per year, never reused), paid, or voided.

    draft ──issue──▶ issued ──paid──▶ paid
      │                │
      └─────void───────┴──▶ void        (a voided number stays taken)

``amount_minor`` includes tax; ``tax_minor`` is derived exactly from it and ``tax_rate`` (a decimal
string, "0.13" = 13% VAT): round-half-up(amount × rate / (1 + rate)) in integer minor units. An
issued invoice linked to a receivable becomes paid by itself when the receivable is fully paid.

RPC (``caller`` first; ValidationError / NotFound / PermissionDenied / Conflict):
    create_invoice(caller, data) -> Invoice                       (data: InvoiceCreate; a draft)
    update_invoice(caller, invoice_id, changes, expected_version=None) -> Invoice   (drafts only)
    issue_invoice(caller, invoice_id, expected_version=None) -> Invoice
    mark_invoice_paid(caller, invoice_id, expected_version=None) -> Invoice
    void_invoice(caller, invoice_id, reason, expected_version=None) -> Invoice
    get_invoice(caller, invoice_id) -> Invoice
    list_invoices(caller, filters=None, cursor=None, limit=None) -> Page[Invoice]
        filters: customer_id, status, order_id, receivable_id

Events (full state): ``invoice.created``, ``invoice.updated`` (edited draft, paid, renamed
customer), ``invoice.issued``, ``invoice.voided``.
"""

from __future__ import annotations

from typing import Literal, get_args

from kernel.kinds import SearchKind
from kernel.schema import Id, RequestModel
from pydantic import BaseModel, Field, StrictInt, StrictStr

from finance.contracts.common import Currency, Owned

InvoiceStatus = Literal["draft", "issued", "paid", "void"]
INVOICE_STATUSES: tuple[str, ...] = get_args(InvoiceStatus)
INVOICE_STATUS_LABELS: dict[str, str] = {
    "draft": "草稿",
    "issued": "已开具",
    "paid": "已付款",
    "void": "已作废",
}
# China VAT rates; the allowed set is a setting (``FinanceSettings.invoice_tax_rates``).
DEFAULT_TAX_RATES: tuple[str, ...] = ("0", "0.01", "0.03", "0.06", "0.09", "0.13")
TAX_RATE_PATTERN = r"^(0|1)(\.\d{1,4})?$"

INVOICE_CREATED = "invoice.created"
INVOICE_UPDATED = "invoice.updated"
INVOICE_ISSUED = "invoice.issued"
INVOICE_VOIDED = "invoice.voided"

TITLE_MAX, TAX_ID_MAX, REASON_MAX = 200, 32, 2000


class Invoice(Owned):
    number: str | None = None  # given on issue
    order_id: str | None = None
    receivable_id: str | None = None
    title: str
    tax_id: str | None = None
    currency: str
    amount_minor: int  # including tax
    tax_rate: str  # decimal string, "0.13"
    tax_minor: int
    net_minor: int  # amount_minor - tax_minor
    status: str
    status_label: str | None = None
    issued_on: str | None = None  # ISO date (business zone)
    void_reason: str | None = None
    created_by: str


# -- requests (the gateway's REST bodies are these) -----------------------------------------------
_RATE = Field(
    pattern=TAX_RATE_PATTERN,
    description='VAT rate as a decimal string ("0.13" = 13%); one of the configured rates',
    examples=["0.13"],
)


class InvoiceCreate(RequestModel):
    customer_id: Id
    order_id: Id | None = None
    receivable_id: Id | None = Field(default=None, description="One instalment of that customer's")
    title: StrictStr | None = Field(
        default=None, min_length=1, max_length=TITLE_MAX, description="Buyer name; the customer's by default"
    )
    tax_id: StrictStr | None = Field(
        default=None, min_length=1, max_length=TAX_ID_MAX, description="纳税人识别号"
    )
    currency: Currency | None = Field(default=None, description="The receivable's, or CNY")
    amount_minor: StrictInt | None = Field(
        default=None,
        gt=0,
        le=10**15,
        description="Integer minor units (分), tax included; the receivable's amount by default",
    )
    tax_rate: StrictStr = _RATE


class InvoiceUpdate(RequestModel):
    title: StrictStr | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    tax_id: StrictStr | None = Field(default=None, max_length=TAX_ID_MAX)
    amount_minor: StrictInt | None = Field(default=None, gt=0, le=10**15)
    tax_rate: StrictStr | None = Field(default=None, pattern=TAX_RATE_PATTERN)


class InvoiceVoid(RequestModel):
    reason: StrictStr = Field(min_length=1, max_length=REASON_MAX)


EVENT_SCHEMAS: dict[str, type[BaseModel]] = {
    INVOICE_CREATED: Invoice,
    INVOICE_UPDATED: Invoice,
    INVOICE_ISSUED: Invoice,
    INVOICE_VOIDED: Invoice,
}
SEARCH_KINDS: tuple[SearchKind, ...] = (
    SearchKind("invoice", "发票", "/invoices/{id}", tuple(EVENT_SCHEMAS)),
)
