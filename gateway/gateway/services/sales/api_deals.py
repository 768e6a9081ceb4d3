"""/api/v1 routes of the sales service's deals area: contracts and orders (issue 9 §7).

POST /api/v1/contracts {quote_id, version}            → 201 (Idempotency-Key)
POST /api/v1/contracts/{id}/sign | /archive | /approve | /reject {comment} | /cancel
POST /api/v1/orders {contract_id, service_start, service_end, instalments: [{due_date, amount_minor}]}
POST /api/v1/orders/{id}/cancel
GET one / list (cursor paging) of both; actions take If-Match (the ETag) when given.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse
from sales.contracts import deals as c

from gateway.api.concurrency import expected_version, record_response
from gateway.api.crud import CrudRoutes
from gateway.api.deps import requires
from gateway.api.routes._params import Cursor, IfMatch, Limit, RecordId
from gateway.api.schemas.common import Page, ResponseModel
from gateway.auth.records import UserRecord
from gateway.problems import COMMON_ERRORS, CONFLICT, NOT_FOUND
from gateway.services.sales.client import SalesClient

get_sales = SalesClient.dependency()
Sales = Annotated[SalesClient, Depends(get_sales)]
RecordFilter = Annotated[str | None, Query(min_length=1, max_length=64)]


# -- bodies ----------------------------------------------------------------------------------------
class ContractCreate(c.ContractCreate):
    pass


class ContractApproval(c.ContractApproval):
    pass


class ContractRejection(c.ContractRejection):
    pass


class Cancellation(c.Cancellation):
    pass


class OrderCreate(c.OrderCreate):
    pass


class ContractOut(ResponseModel, c.Contract):
    pass


class ContractPage(ResponseModel, Page[ContractOut]):
    pass


class OrderOut(ResponseModel, c.Order):
    pass


class OrderPage(ResponseModel, Page[OrderOut]):
    pass


def _filters(**values: str | None) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


# -- /api/v1/contracts -------------------------------------------------------------------------------
contracts = APIRouter(prefix="/api/v1/contracts", tags=["contracts"], responses=COMMON_ERRORS)


@contracts.get("", response_model=ContractPage, summary="List contracts visible to you", responses=NOT_FOUND)
async def list_contracts(
    service: Sales,
    customer_id: RecordFilter = None,
    status: c.ContractStatus | None = Query(None),
    quote_id: RecordFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("contracts:read")),
) -> JSONResponse:
    filters = _filters(customer_id=customer_id, status=status, quote_id=quote_id)
    return JSONResponse(await service.list_contracts(user.caller, filters, cursor, limit))


contract_routes = CrudRoutes(contracts, get_sales, "contracts", ContractOut)
contract_routes.create(
    "",
    ContractCreate,
    name="create_contract",
    summary="Draw a contract from a quote's final version (approved or sent)",
    make=lambda s, caller, data: s.create_contract(
        caller, data.pop("quote_id"), data.pop("version"), data or None
    ),
    location="/api/v1/contracts/{id}",
)
contract_routes.get(
    "/{contract_id}",
    "contract_id",
    name="get_contract",
    summary="Get a contract",
    fetch=lambda s, caller, record_id: s.get_contract(caller, record_id),
)


@contracts.post(
    "/{contract_id}/sign",
    response_model=ContractOut,
    summary="Sign (待审核 → 已签署); a special price must be approved first",
    responses={**NOT_FOUND, **CONFLICT},
)
async def sign_contract(
    contract_id: RecordId,
    service: Sales,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("contracts:write")),
) -> JSONResponse:
    version = expected_version(if_match, None)
    return record_response(await service.sign_contract(user.caller, contract_id, version))


@contracts.post(
    "/{contract_id}/archive",
    response_model=ContractOut,
    summary="Archive a signed contract (已签署 → 已归档)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def archive_contract(
    contract_id: RecordId,
    service: Sales,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("contracts:write")),
) -> JSONResponse:
    version = expected_version(if_match, None)
    return record_response(await service.archive_contract(user.caller, contract_id, version))


@contracts.post(
    "/{contract_id}/approve",
    response_model=ContractOut,
    summary="Approve a special-price contract (the team's manager or an admin, never its owner)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def approve_contract(
    contract_id: RecordId,
    service: Sales,
    body: Annotated[ContractApproval | None, Body()] = None,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("contracts:approve")),
) -> JSONResponse:
    version = expected_version(if_match, None)
    comment = body.comment if body is not None else None
    return record_response(await service.approve_contract(user.caller, contract_id, comment, version))


@contracts.post(
    "/{contract_id}/reject",
    response_model=ContractOut,
    summary="Reject a pending contract, saying why (已驳回)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def reject_contract(
    contract_id: RecordId,
    body: ContractRejection,
    service: Sales,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("contracts:approve")),
) -> JSONResponse:
    version = expected_version(if_match, None)
    return record_response(await service.reject_contract(user.caller, contract_id, body.comment, version))


@contracts.post(
    "/{contract_id}/cancel",
    response_model=ContractOut,
    summary="Cancel a pending or signed contract (not while an order holds it)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def cancel_contract(
    contract_id: RecordId,
    service: Sales,
    body: Annotated[Cancellation | None, Body()] = None,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("contracts:write")),
) -> JSONResponse:
    version = expected_version(if_match, None)
    reason = body.reason if body is not None else None
    return record_response(await service.cancel_contract(user.caller, contract_id, reason, version))


# -- /api/v1/orders ------------------------------------------------------------------------------
orders = APIRouter(prefix="/api/v1/orders", tags=["orders"], responses=COMMON_ERRORS)


@orders.get("", response_model=OrderPage, summary="List orders visible to you", responses=NOT_FOUND)
async def list_orders(
    service: Sales,
    customer_id: RecordFilter = None,
    status: c.OrderStatus | None = Query(None),
    contract_id: RecordFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("orders:read")),
) -> JSONResponse:
    filters = _filters(customer_id=customer_id, status=status, contract_id=contract_id)
    return JSONResponse(await service.list_orders(user.caller, filters, cursor, limit))


order_routes = CrudRoutes(orders, get_sales, "orders", OrderOut)
order_routes.create(
    "",
    OrderCreate,
    name="place_order",
    summary="Place the order of a signed contract with its payment plan (wins the opportunity)",
    make=lambda s, caller, data: s.place_order(caller, data),
    location="/api/v1/orders/{id}",
)
order_routes.get(
    "/{order_id}",
    "order_id",
    name="get_order",
    summary="Get an order with its payment plan",
    fetch=lambda s, caller, record_id: s.get_order(caller, record_id),
)


@orders.post(
    "/{order_id}/cancel",
    response_model=OrderOut,
    summary="Cancel an order (finance drops its receivables)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def cancel_order(
    order_id: RecordId,
    service: Sales,
    body: Annotated[Cancellation | None, Body()] = None,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("orders:write")),
) -> JSONResponse:
    version = expected_version(if_match, None)
    reason = body.reason if body is not None else None
    return record_response(await service.cancel_order(user.caller, order_id, reason, version))


ROUTERS: tuple[APIRouter, ...] = (contracts, orders)
