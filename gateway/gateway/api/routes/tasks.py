"""/api/v1/tasks: to-dos with due dates, tied to a customer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from gateway.api.concurrency import expected_version, record_response
from gateway.api.deps import get_customers, idempotency, requires
from gateway.api.routes._params import Cursor, IfMatch, Limit, RecordId, me_or
from gateway.api.schemas.customers import TaskCreate, TaskOut, TaskPage, TaskStatus, TaskUpdate
from gateway.auth.records import UserRecord
from gateway.clients.customers import CustomersClient
from gateway.idempotency import Idempotency
from gateway.problems import COMMON_ERRORS, CONFLICT, NOT_FOUND

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"], responses=COMMON_ERRORS)
KIND = "task"


@router.get("", response_model=TaskPage, summary="List tasks visible to you")
async def list_tasks(
    customer_id: str | None = Query(None, min_length=1, max_length=64),
    assignee: str | None = Query(None, min_length=1, max_length=64, description="Assignee user id, or `me`"),
    status: TaskStatus | None = Query(None),
    overdue: bool | None = Query(None, description="Only open tasks past their due time"),
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("tasks:read")),
    customers: CustomersClient = Depends(get_customers),
) -> JSONResponse:
    filters: dict[str, Any] = {}
    for key, value in (
        ("customer_id", customer_id),
        ("assignee_id", me_or(user.id, assignee)),
        ("status", status),
        ("overdue", overdue),
    ):
        if value is not None:
            filters[key] = value
    return JSONResponse(await customers.list_tasks(user.caller, filters, cursor, limit))


@router.post(
    "", response_model=TaskOut, status_code=201, summary="Create a task", responses={**NOT_FOUND, **CONFLICT}
)
async def create_task(
    body: TaskCreate,
    user: UserRecord = Depends(requires("tasks:write")),
    customers: CustomersClient = Depends(get_customers),
    once: Idempotency = Depends(idempotency),
) -> Response:
    async def create() -> Response:
        data = body.model_dump(mode="json", exclude_none=True, exclude={"customer_id"})
        record = await customers.create_child(KIND, user.caller, body.customer_id, data)
        return record_response(record, 201, f"/api/v1/tasks/{record.get('id')}")

    return await once.run(user.id, create)


@router.get("/{task_id}", response_model=TaskOut, summary="Get a task", responses=NOT_FOUND)
async def get_task(
    task_id: RecordId,
    user: UserRecord = Depends(requires("tasks:read")),
    customers: CustomersClient = Depends(get_customers),
) -> JSONResponse:
    return record_response(await customers.get_child(KIND, user.caller, task_id))


@router.patch(
    "/{task_id}", response_model=TaskOut, summary="Change a task", responses={**NOT_FOUND, **CONFLICT}
)
async def update_task(
    body: TaskUpdate,
    task_id: RecordId,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("tasks:write")),
    customers: CustomersClient = Depends(get_customers),
) -> JSONResponse:
    version = expected_version(if_match, body.version)
    changes = body.model_dump(mode="json", exclude_unset=True, exclude={"version"})
    return record_response(await customers.update_child(KIND, user.caller, task_id, changes, version))


@router.delete(
    "/{task_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a task",
    responses={**NOT_FOUND, **CONFLICT},
)
async def delete_task(
    task_id: RecordId,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("tasks:write")),
    customers: CustomersClient = Depends(get_customers),
) -> Response:
    await customers.delete_child(KIND, user.caller, task_id, expected_version(if_match, None))
    return Response(status_code=204)
