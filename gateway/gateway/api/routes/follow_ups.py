"""Follow-ups (the visit/call timeline): created under their customer, then /follow-ups/{id}."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from kernel.clock import isoformat, utcnow

from gateway.api.concurrency import expected_version, record_response
from gateway.api.deps import get_customers, idempotency, requires
from gateway.api.routes._params import Cursor, IfMatch, Limit, RecordId
from gateway.api.schemas.customers import FollowUpCreate, FollowUpOut, FollowUpPage, FollowUpUpdate
from gateway.auth.records import UserRecord
from gateway.clients.customers import CustomersClient
from gateway.idempotency import Idempotency
from gateway.problems import COMMON_ERRORS, CONFLICT, NOT_FOUND

router = APIRouter(prefix="/api/v1", tags=["follow-ups"], responses=COMMON_ERRORS)
KIND = "follow_up"


@router.get(
    "/customers/{customer_id}/follow-ups",
    response_model=FollowUpPage,
    summary="A customer's follow-up timeline, newest first",
    responses=NOT_FOUND,
)
async def list_follow_ups(
    customer_id: RecordId,
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("follow_ups:read")),
    customers: CustomersClient = Depends(get_customers),
) -> JSONResponse:
    return JSONResponse(await customers.list_children(KIND, user.caller, customer_id, cursor, limit))


@router.post(
    "/customers/{customer_id}/follow-ups",
    response_model=FollowUpOut,
    status_code=201,
    summary="Record a follow-up (call, visit, WeChat...)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def create_follow_up(
    body: FollowUpCreate,
    customer_id: RecordId,
    user: UserRecord = Depends(requires("follow_ups:write")),
    customers: CustomersClient = Depends(get_customers),
    once: Idempotency = Depends(idempotency),
) -> Response:
    async def create() -> Response:
        data = body.model_dump(mode="json", exclude_none=True)
        data.setdefault("occurred_at", isoformat(utcnow()))
        record = await customers.create_child(KIND, user.caller, customer_id, data)
        return record_response(record, 201, f"/api/v1/follow-ups/{record.get('id')}")

    return await once.run(user.id, create)


@router.get(
    "/follow-ups/{follow_up_id}", response_model=FollowUpOut, summary="Get a follow-up", responses=NOT_FOUND
)
async def get_follow_up(
    follow_up_id: RecordId,
    user: UserRecord = Depends(requires("follow_ups:read")),
    customers: CustomersClient = Depends(get_customers),
) -> JSONResponse:
    return record_response(await customers.get_child(KIND, user.caller, follow_up_id))


@router.patch(
    "/follow-ups/{follow_up_id}",
    response_model=FollowUpOut,
    summary="Change a follow-up",
    responses={**NOT_FOUND, **CONFLICT},
)
async def update_follow_up(
    body: FollowUpUpdate,
    follow_up_id: RecordId,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("follow_ups:write")),
    customers: CustomersClient = Depends(get_customers),
) -> JSONResponse:
    version = expected_version(if_match, body.version)
    changes = body.model_dump(mode="json", exclude_unset=True, exclude={"version"})
    return record_response(await customers.update_child(KIND, user.caller, follow_up_id, changes, version))


@router.delete(
    "/follow-ups/{follow_up_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a follow-up",
    responses={**NOT_FOUND, **CONFLICT},
)
async def delete_follow_up(
    follow_up_id: RecordId,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("follow_ups:write")),
    customers: CustomersClient = Depends(get_customers),
) -> Response:
    await customers.delete_child(KIND, user.caller, follow_up_id, expected_version(if_match, None))
    return Response(status_code=204)
