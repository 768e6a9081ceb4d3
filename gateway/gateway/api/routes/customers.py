"""/api/v1/customers: the customer records, ownership transfer and audit trail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from gateway.api.concurrency import expected_version, record_response
from gateway.api.deps import get_customers, idempotency, requires
from gateway.api.routes._params import Cursor, IfMatch, Limit, RecordId, me_or
from gateway.api.schemas.customers import (
    AuditPage,
    CustomerCreate,
    CustomerOut,
    CustomerPage,
    CustomerUpdate,
    Status,
    Transfer,
    TransferOut,
)
from gateway.auth.records import UserRecord
from gateway.clients.customers import CustomersClient
from gateway.idempotency import Idempotency
from gateway.problems import COMMON_ERRORS, CONFLICT, NOT_FOUND

router = APIRouter(prefix="/api/v1/customers", tags=["customers"], responses=COMMON_ERRORS)


@router.get("", response_model=CustomerPage, summary="List customers visible to you")
async def list_customers(
    owner: str | None = Query(None, min_length=1, max_length=64, description="Owner user id, or `me`"),
    status: Status | None = Query(None),
    tag: str | None = Query(None, min_length=1, max_length=32),
    q: str | None = Query(
        None, min_length=1, max_length=200, description="Name, short name or tax id contains"
    ),
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("customers:read")),
    customers: CustomersClient = Depends(get_customers),
) -> JSONResponse:
    filters: dict[str, Any] = {}
    for key, value in (("owner_id", me_or(user.id, owner)), ("status", status), ("tag", tag), ("q", q)):
        if value is not None:
            filters[key] = value
    return JSONResponse(await customers.list_customers(user.caller, filters, cursor, limit))


@router.post(
    "",
    response_model=CustomerOut,
    status_code=201,
    summary="Create a customer",
    responses={**CONFLICT},
)
async def create_customer(
    body: CustomerCreate,
    force: bool = Query(
        False, description="Create even when it looks like a duplicate of an existing customer"
    ),
    user: UserRecord = Depends(requires("customers:write")),
    customers: CustomersClient = Depends(get_customers),
    once: Idempotency = Depends(idempotency),
) -> Response:
    async def create() -> Response:
        record = await customers.create_customer(
            user.caller, body.model_dump(mode="json", exclude_none=True), force
        )
        return record_response(record, 201, f"/api/v1/customers/{record.get('id')}")

    return await once.run(user.id, create)


@router.post(
    "/transfer",
    response_model=TransferOut,
    summary="Move customers from one owner to another (managers, admins)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def transfer_customers(
    body: Transfer,
    user: UserRecord = Depends(requires("customers:transfer")),
    customers: CustomersClient = Depends(get_customers),
) -> JSONResponse:
    result = await customers.transfer_customers(
        user.caller, body.from_user_id, body.to_user_id, body.customer_ids, body.reason
    )
    return JSONResponse(result)


@router.get("/{customer_id}", response_model=CustomerOut, summary="Get a customer", responses=NOT_FOUND)
async def get_customer(
    customer_id: RecordId,
    user: UserRecord = Depends(requires("customers:read")),
    customers: CustomersClient = Depends(get_customers),
) -> JSONResponse:
    return record_response(await customers.get_customer(user.caller, customer_id))


@router.patch(
    "/{customer_id}",
    response_model=CustomerOut,
    summary="Change a customer (optimistic concurrency: If-Match or `version`)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def update_customer(
    body: CustomerUpdate,
    customer_id: RecordId,
    force: bool = Query(False, description="Save even when the change makes it look like a duplicate"),
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("customers:write")),
    customers: CustomersClient = Depends(get_customers),
) -> JSONResponse:
    version = expected_version(if_match, body.version)
    changes = body.model_dump(mode="json", exclude_unset=True, exclude={"version"})
    return record_response(await customers.update_customer(user.caller, customer_id, changes, version, force))


@router.delete(
    "/{customer_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a customer",
    responses={**NOT_FOUND, **CONFLICT},
)
async def delete_customer(
    customer_id: RecordId,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("customers:write")),
    customers: CustomersClient = Depends(get_customers),
) -> Response:
    await customers.delete_customer(user.caller, customer_id, expected_version(if_match, None))
    return Response(status_code=204)


@router.get(
    "/{customer_id}/audit",
    response_model=AuditPage,
    summary="Audit trail of a customer and its records, newest first",
    responses=NOT_FOUND,
)
async def get_audit(
    customer_id: RecordId,
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("customers:audit")),
    customers: CustomersClient = Depends(get_customers),
) -> JSONResponse:
    return JSONResponse(await customers.get_audit(user.caller, customer_id, cursor, limit))
