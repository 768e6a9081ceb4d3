"""/api/v1 routes of the finance service's invoices and write-offs (issue 10 §4).

POST /api/v1/invoices {customer_id, order_id?, receivable_id?, title?, tax_id?, amount_minor?, tax_rate}
                                                     → 201 (Idempotency-Key); a draft
GET  /api/v1/invoices?customer_id=&status=&order_id=&receivable_id=   (cursor paging)
GET / PATCH /api/v1/invoices/{id}                    (ETag / If-Match; drafts only)
POST /api/v1/invoices/{id}/issue | /paid | /void {reason}
POST /api/v1/receivables/{id}/write-off {amount_minor?, reason}  → 201 (the request)
POST /api/v1/write-offs/{id}/approve | /reject {note?}           (a finance manager, never the requester)
POST /api/v1/receivables/{id}/write-off/approve {note?}           (the receivable's open request)
GET  /api/v1/write-offs?status=&customer_id=&receivable_id=, GET /api/v1/write-offs/{id}
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse
from finance.contracts import invoices as c
from finance.contracts import write_offs as w
from kernel.errors import NotFound

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


# -- bodies ----------------------------------------------------------------------------------------
class InvoiceCreate(c.InvoiceCreate):
    pass


class InvoiceUpdate(c.InvoiceUpdate):
    pass


class InvoiceVoid(c.InvoiceVoid):
    pass


class WriteOffCreate(w.WriteOffCreate):
    pass


class WriteOffDecision(w.WriteOffDecision):
    pass


class InvoiceOut(ResponseModel, c.Invoice):
    pass


class InvoicePage(ResponseModel, Page[InvoiceOut]):
    pass


class WriteOffOut(ResponseModel, w.WriteOff):
    pass


class WriteOffPage(ResponseModel, Page[WriteOffOut]):
    pass


def _filters(**values: str | None) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


# -- /api/v1/invoices ------------------------------------------------------------------------------
invoices = APIRouter(prefix="/api/v1/invoices", tags=["invoices"], responses=COMMON_ERRORS)


@invoices.get("", response_model=InvoicePage, summary="List invoices visible to you", responses=NOT_FOUND)
async def list_invoices(
    service: Finance,
    customer_id: RecordFilter = None,
    status: c.InvoiceStatus | None = Query(None),
    order_id: RecordFilter = None,
    receivable_id: RecordFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("invoices:read")),
) -> JSONResponse:
    filters = _filters(customer_id=customer_id, status=status, order_id=order_id, receivable_id=receivable_id)
    return JSONResponse(await service.list_invoices(user.caller, filters, cursor, limit))


invoice_routes = CrudRoutes(invoices, get_finance, "invoices", InvoiceOut)
invoice_routes.create(
    "",
    InvoiceCreate,
    name="create_invoice",
    summary="Draft an invoice for a customer (optionally one of its orders or instalments)",
    make=lambda s, caller, data: s.create_invoice(caller, data),
    location="/api/v1/invoices/{id}",
)
invoice_routes.get(
    "/{invoice_id}",
    "invoice_id",
    name="get_invoice",
    summary="Get an invoice",
    fetch=lambda s, caller, record_id: s.get_invoice(caller, record_id),
)
invoice_routes.update(
    "/{invoice_id}",
    "invoice_id",
    InvoiceUpdate,
    name="update_invoice",
    summary="Change a draft's title, tax id, amount or tax rate (the tax is derived again)",
    save=lambda s, caller, record_id, changes, version: s.update_invoice(caller, record_id, changes, version),
)


@invoices.post(
    "/{invoice_id}/issue",
    response_model=InvoiceOut,
    summary="Issue a draft: it takes the next number of the year (INV-2026-000001)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def issue_invoice(
    invoice_id: RecordId,
    service: Finance,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("invoices:write")),
) -> JSONResponse:
    version = expected_version(if_match, None)
    return record_response(await service.issue_invoice(user.caller, invoice_id, version))


@invoices.post(
    "/{invoice_id}/paid",
    response_model=InvoiceOut,
    summary="Mark an issued invoice paid",
    responses={**NOT_FOUND, **CONFLICT},
)
async def mark_invoice_paid(
    invoice_id: RecordId,
    service: Finance,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("invoices:write")),
) -> JSONResponse:
    version = expected_version(if_match, None)
    return record_response(await service.mark_invoice_paid(user.caller, invoice_id, version))


@invoices.post(
    "/{invoice_id}/void",
    response_model=InvoiceOut,
    summary="Void a draft or issued invoice, saying why (its number is never reused)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def void_invoice(
    invoice_id: RecordId,
    body: InvoiceVoid,
    service: Finance,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("invoices:write")),
) -> JSONResponse:
    version = expected_version(if_match, None)
    return record_response(await service.void_invoice(user.caller, invoice_id, body.reason, version))


# -- /api/v1/receivables/{id}/write-off --------------------------------------------------------------
receivable_write_offs = APIRouter(prefix="/api/v1/receivables", tags=["write-offs"], responses=COMMON_ERRORS)
CrudRoutes(receivable_write_offs, get_finance, "write_offs", WriteOffOut).create(
    "/{receivable_id}/write-off",
    WriteOffCreate,
    name="request_write_off",
    summary="Ask to write off a receivable's outstanding amount as bad debt (a finance manager approves)",
    make=lambda s, caller, data, receivable_id: s.request_write_off(caller, receivable_id, data),
    location="/api/v1/write-offs/{id}",
    path_ids=("receivable_id",),
)


@receivable_write_offs.post(
    "/{receivable_id}/write-off/approve",
    response_model=WriteOffOut,
    summary="Approve the receivable's open write-off request (the same as /api/v1/write-offs/{id}/approve)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def approve_receivable_write_off(
    receivable_id: RecordId,
    service: Finance,
    body: Annotated[WriteOffDecision | None, Body()] = None,
    user: UserRecord = Depends(requires("write_offs:approve")),
) -> JSONResponse:
    # A receivable has at most one open request (the service enforces it): approve that one.
    page = await service.list_write_offs(
        user.caller, {"receivable_id": receivable_id, "status": "requested"}, None, 1
    )
    if not page["items"]:
        raise NotFound(f"receivable {receivable_id} has no write-off request waiting for approval")
    note = body.note if body is not None else None
    return record_response(await service.approve_write_off(user.caller, page["items"][0]["id"], note))


# -- /api/v1/write-offs ----------------------------------------------------------------------------
write_offs = APIRouter(prefix="/api/v1/write-offs", tags=["write-offs"], responses=COMMON_ERRORS)


@write_offs.get(
    "", response_model=WriteOffPage, summary="List write-off requests visible to you", responses=NOT_FOUND
)
async def list_write_offs(
    service: Finance,
    status: w.WriteOffStatus | None = Query(None),
    customer_id: RecordFilter = None,
    receivable_id: RecordFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("write_offs:read")),
) -> JSONResponse:
    filters = _filters(status=status, customer_id=customer_id, receivable_id=receivable_id)
    return JSONResponse(await service.list_write_offs(user.caller, filters, cursor, limit))


CrudRoutes(write_offs, get_finance, "write_offs", WriteOffOut).get(
    "/{write_off_id}",
    "write_off_id",
    name="get_write_off",
    summary="Get a write-off request",
    fetch=lambda s, caller, record_id: s.get_write_off(caller, record_id),
)


@write_offs.post(
    "/{write_off_id}/approve",
    response_model=WriteOffOut,
    summary="Approve: write the amount off the receivable (finance manager or admin, not the requester)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def approve_write_off(
    write_off_id: RecordId,
    service: Finance,
    body: Annotated[WriteOffDecision | None, Body()] = None,
    user: UserRecord = Depends(requires("write_offs:approve")),
) -> JSONResponse:
    note = body.note if body is not None else None
    return record_response(await service.approve_write_off(user.caller, write_off_id, note))


@write_offs.post(
    "/{write_off_id}/reject",
    response_model=WriteOffOut,
    summary="Reject a write-off request (finance manager or admin, never the requester)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def reject_write_off(
    write_off_id: RecordId,
    service: Finance,
    body: Annotated[WriteOffDecision | None, Body()] = None,
    user: UserRecord = Depends(requires("write_offs:approve")),
) -> JSONResponse:
    note = body.note if body is not None else None
    return record_response(await service.reject_write_off(user.caller, write_off_id, note))


ROUTERS: tuple[APIRouter, ...] = (invoices, receivable_write_offs, write_offs)
