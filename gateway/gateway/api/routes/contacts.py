"""Contacts: created under their customer, then addressed as /contacts/{id}."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse

from gateway.api.concurrency import expected_version, record_response
from gateway.api.deps import get_customers, idempotency, requires
from gateway.api.routes._params import Cursor, IfMatch, Limit, RecordId
from gateway.api.schemas.customers import ContactCreate, ContactOut, ContactPage, ContactUpdate
from gateway.auth.records import UserRecord
from gateway.clients.customers import CustomersClient
from gateway.idempotency import Idempotency
from gateway.problems import COMMON_ERRORS, CONFLICT, NOT_FOUND

router = APIRouter(prefix="/api/v1", tags=["contacts"], responses=COMMON_ERRORS)
KIND = "contact"


@router.get(
    "/customers/{customer_id}/contacts",
    response_model=ContactPage,
    summary="List a customer's contacts",
    responses=NOT_FOUND,
)
async def list_contacts(
    customer_id: RecordId,
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("contacts:read")),
    customers: CustomersClient = Depends(get_customers),
) -> JSONResponse:
    return JSONResponse(await customers.list_children(KIND, user.caller, customer_id, cursor, limit))


@router.post(
    "/customers/{customer_id}/contacts",
    response_model=ContactOut,
    status_code=201,
    summary="Add a contact to a customer",
    responses={**NOT_FOUND, **CONFLICT},
)
async def create_contact(
    body: ContactCreate,
    customer_id: RecordId,
    user: UserRecord = Depends(requires("contacts:write")),
    customers: CustomersClient = Depends(get_customers),
    once: Idempotency = Depends(idempotency),
) -> Response:
    async def create() -> Response:
        data = body.model_dump(mode="json", exclude_none=True)
        record = await customers.create_child(KIND, user.caller, customer_id, data)
        return record_response(record, 201, f"/api/v1/contacts/{record.get('id')}")

    return await once.run(user.id, create)


@router.get("/contacts/{contact_id}", response_model=ContactOut, summary="Get a contact", responses=NOT_FOUND)
async def get_contact(
    contact_id: RecordId,
    user: UserRecord = Depends(requires("contacts:read")),
    customers: CustomersClient = Depends(get_customers),
) -> JSONResponse:
    return record_response(await customers.get_child(KIND, user.caller, contact_id))


@router.patch(
    "/contacts/{contact_id}",
    response_model=ContactOut,
    summary="Change a contact",
    responses={**NOT_FOUND, **CONFLICT},
)
async def update_contact(
    body: ContactUpdate,
    contact_id: RecordId,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("contacts:write")),
    customers: CustomersClient = Depends(get_customers),
) -> JSONResponse:
    version = expected_version(if_match, body.version)
    changes = body.model_dump(mode="json", exclude_unset=True, exclude={"version"})
    return record_response(await customers.update_child(KIND, user.caller, contact_id, changes, version))


@router.delete(
    "/contacts/{contact_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a contact",
    responses={**NOT_FOUND, **CONFLICT},
)
async def delete_contact(
    contact_id: RecordId,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("contacts:write")),
    customers: CustomersClient = Depends(get_customers),
) -> Response:
    await customers.delete_child(KIND, user.caller, contact_id, expected_version(if_match, None))
    return Response(status_code=204)
