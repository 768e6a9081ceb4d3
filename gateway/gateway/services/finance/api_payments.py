"""/api/v1 routes of the finance service's payments area (issue 10 §4).

POST /api/v1/payments {customer_id, received_on, amount_minor, currency, payer, reference,
     allocations: [{receivable_id, amount_minor}], auto_allocate?}     → 201 (Idempotency-Key)
GET  /api/v1/payments?customer_id=&source=&received_after=&received_before=   (cursor paging)
GET  /api/v1/payments/{id}                                              (ETag)
POST /api/v1/payments/{id}/allocations {allocations}                   (If-Match: use credit later)
POST /api/v1/payments/{id}/void {reason}                               (If-Match: undo a mistake)
POST /api/v1/refunds {payment_id, amount_minor, refunded_on, reason}    → 201 (Idempotency-Key)
GET  /api/v1/customers/{id}/credit, /api/v1/customers/{id}/open-receivables?currency=
GET  /api/v1/ledger-check?customer_id=                                  (admins)
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from finance.contracts import payments as c
from finance.contracts.receivables import Receivable

from gateway.api.concurrency import expected_version, record_response
from gateway.api.crud import CrudRoutes
from gateway.api.deps import requires
from gateway.api.routes._params import Cursor, IfMatch, Limit, RecordId
from gateway.api.schemas.common import Page, ResponseModel
from gateway.auth.records import UserRecord
from gateway.problems import COMMON_ERRORS, CONFLICT, NOT_FOUND
from gateway.services.finance.client import FinanceClient

get_finance = FinanceClient.dependency()
Finance = Annotated[FinanceClient, Depends(get_finance)]
RecordFilter = Annotated[str | None, Query(min_length=1, max_length=64)]
Source = Annotated[str | None, Query(pattern=f"^({'|'.join(c.PAYMENT_SOURCES)})$")]
# A day as text (YYYY-MM-DD); the service parses it and names the filter if it is no real day.
DayQuery = Annotated[
    str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="A day, YYYY-MM-DD (inclusive)")
]
CurrencyQuery = Annotated[str, Query(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]


# -- bodies ----------------------------------------------------------------------------------------
class PaymentCreate(c.PaymentCreate):
    pass


class PaymentVoid(c.PaymentVoid):
    pass


class RefundCreate(c.RefundCreate):
    pass


class AllocationsCreate(c.AllocationsCreate):
    pass


class PaymentOut(ResponseModel, c.Payment):
    pass


class PaymentPage(ResponseModel, Page[PaymentOut]):
    pass


class CustomerCreditOut(ResponseModel, c.CustomerCredit):
    pass


class OpenReceivable(ResponseModel, Receivable):
    pass


class LedgerCheckOut(ResponseModel):
    violations: list[str]
    checked_at: str


def _filters(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


# -- /api/v1/payments ------------------------------------------------------------------------------
payments = APIRouter(prefix="/api/v1/payments", tags=["payments"], responses=COMMON_ERRORS)


@payments.get("", response_model=PaymentPage, summary="List payments visible to you", responses=NOT_FOUND)
async def list_payments(
    service: Finance,
    customer_id: RecordFilter = None,
    source: Source = None,
    received_after: DayQuery = None,
    received_before: DayQuery = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("payments:read")),
) -> JSONResponse:
    filters = _filters(
        customer_id=customer_id, source=source, received_after=received_after, received_before=received_before
    )
    return JSONResponse(await service.list_payments(user.caller, filters, cursor, limit))


payment_routes = CrudRoutes(payments, get_finance, "payments", PaymentOut)
payment_routes.create(
    "",
    PaymentCreate,
    name="record_payment",
    summary="Record a payment (回款) and allocate it to the customer's receivables; the rest is credit",
    make=lambda s, caller, data: s.record_payment(caller, data),
    location="/api/v1/payments/{id}",
)
payment_routes.get(
    "/{payment_id}",
    "payment_id",
    name="get_payment",
    summary="Get a payment with its allocations and refunds",
    fetch=lambda s, caller, record_id: s.get_payment(caller, record_id),
)


@payments.post(
    "/{payment_id}/allocations",
    response_model=PaymentOut,
    summary="Allocate a payment's unallocated credit to receivables (If-Match: the payment's ETag)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def allocate_payment(
    payment_id: RecordId,
    body: AllocationsCreate,
    service: Finance,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("payments:write")),
) -> JSONResponse:
    version = expected_version(if_match, None)
    allocations = body.model_dump(mode="json")["allocations"]
    return record_response(await service.allocate_payment(user.caller, payment_id, allocations, version))


@payments.post(
    "/{payment_id}/void",
    response_model=PaymentOut,
    summary="Void a payment recorded by mistake: its allocations are undone (not once refunded)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def void_payment(
    payment_id: RecordId,
    body: PaymentVoid,
    service: Finance,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("payments:write")),
) -> JSONResponse:
    version = expected_version(if_match, None)
    return record_response(await service.void_payment(user.caller, payment_id, body.reason, version))


# -- /api/v1/refunds -------------------------------------------------------------------------------
refunds = APIRouter(prefix="/api/v1/refunds", tags=["payments"], responses=COMMON_ERRORS)
refund_routes = CrudRoutes(refunds, get_finance, "payments", PaymentOut)
refund_routes.create(
    "",
    RefundCreate,
    name="refund_payment",
    summary="Refund part of a payment's unallocated credit; answers the payment with its refunds",
    make=lambda s, caller, data: s.refund(caller, data),
    location="/api/v1/payments/{id}",
)


# -- /api/v1/customers/{id}/credit -------------------------------------------------------------------
customers = APIRouter(prefix="/api/v1/customers", tags=["payments"], responses=COMMON_ERRORS)


@customers.get(
    "/{customer_id}/credit",
    response_model=CustomerCreditOut,
    summary="The customer's credit: paid but neither allocated nor refunded, per currency",
    responses=NOT_FOUND,
)
async def customer_credit(
    customer_id: RecordId, service: Finance, user: UserRecord = Depends(requires("payments:read"))
) -> JSONResponse:
    return JSONResponse(await service.customer_credit(user.caller, customer_id))


@customers.get(
    "/{customer_id}/open-receivables",
    response_model=list[OpenReceivable],
    summary="What a payment of the customer can pay: open receivables, oldest due first",
    responses=NOT_FOUND,
)
async def open_receivables(
    customer_id: RecordId,
    service: Finance,
    currency: CurrencyQuery = "CNY",
    user: UserRecord = Depends(requires("receivables:read")),
) -> JSONResponse:
    return JSONResponse(await service.open_receivables_for_payment(user.caller, customer_id, currency))


# -- /api/v1/ledger-check ------------------------------------------------------------------------------
ledger = APIRouter(prefix="/api/v1/ledger-check", tags=["payments"], responses=COMMON_ERRORS)


@ledger.get("", response_model=LedgerCheckOut, summary="Check the ledger's invariants (admins)")
async def ledger_check(
    service: Finance,
    customer_id: RecordFilter = None,
    user: UserRecord = Depends(requires("ledger:check")),
) -> JSONResponse:
    return JSONResponse(await service.ledger_check(user.caller, customer_id))


ROUTERS: tuple[APIRouter, ...] = (payments, refunds, customers, ledger)
