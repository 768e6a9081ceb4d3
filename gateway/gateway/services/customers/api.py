"""/api/v1 routes of the customers service: customers (transfer, audit), contacts, follow-ups, tasks.

The create/get/update/delete shape comes from ``gateway.api.crud``; only lists with filters,
transfer and audit are written out.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from gateway.api.crud import CrudRoutes, query_flag
from gateway.api.deps import requires
from gateway.api.routes._params import Cursor, Limit, RecordId, me_or
from gateway.auth.records import UserRecord
from gateway.problems import COMMON_ERRORS, CONFLICT, NOT_FOUND
from gateway.services.customers.client import CustomersClient
from gateway.services.customers.schemas import (
    AuditPage,
    ContactCreate,
    ContactOut,
    ContactPage,
    ContactUpdate,
    CustomerCreate,
    CustomerOut,
    CustomerPage,
    CustomerUpdate,
    FollowUpCreate,
    FollowUpOut,
    FollowUpPage,
    FollowUpUpdate,
    Status,
    TaskCreate,
    TaskOut,
    TaskPage,
    TaskStatus,
    TaskUpdate,
    Transfer,
    TransferOut,
)

get_customers = CustomersClient.dependency()
Customers = Annotated[CustomersClient, Depends(get_customers)]

# -- /api/v1/customers ---------------------------------------------------------------------------
customers = APIRouter(prefix="/api/v1/customers", tags=["customers"], responses=COMMON_ERRORS)


@customers.get("", response_model=CustomerPage, summary="List customers visible to you")
async def list_customers(
    service: Customers,
    owner: str | None = Query(None, min_length=1, max_length=64, description="Owner user id, or `me`"),
    status: Status | None = Query(None),
    tag: str | None = Query(None, min_length=1, max_length=32),
    q: str | None = Query(
        None, min_length=1, max_length=200, description="Name, short name or tax id contains"
    ),
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("customers:read")),
) -> JSONResponse:
    filters: dict[str, Any] = {}
    for key, value in (("owner_id", me_or(user.id, owner)), ("status", status), ("tag", tag), ("q", q)):
        if value is not None:
            filters[key] = value
    return JSONResponse(await service.list_customers(user.caller, filters, cursor, limit))


customer_routes = CrudRoutes(customers, get_customers, "customers", CustomerOut)
customer_routes.create(
    "",
    CustomerCreate,
    name="create_customer",
    summary="Create a customer",
    make=lambda s, caller, data, force: s.create_customer(caller, data, force),
    location="/api/v1/customers/{id}",
    query={"force": query_flag("Create even when it looks like a duplicate of an existing customer")},
    responses={**CONFLICT},
)


@customers.post(
    "/transfer",
    response_model=TransferOut,
    summary="Move customers from one owner to another (managers, admins)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def transfer_customers(
    body: Transfer,
    service: Customers,
    user: UserRecord = Depends(requires("customers:transfer")),
) -> JSONResponse:
    result = await service.transfer_customers(
        user.caller, body.from_user_id, body.to_user_id, body.customer_ids, body.reason
    )
    return JSONResponse(result)


customer_routes.get(
    "/{customer_id}",
    "customer_id",
    name="get_customer",
    summary="Get a customer",
    fetch=lambda s, caller, record_id: s.get_customer(caller, record_id),
)
customer_routes.update(
    "/{customer_id}",
    "customer_id",
    CustomerUpdate,
    name="update_customer",
    summary="Change a customer (optimistic concurrency: If-Match or `version`)",
    save=lambda s, caller, record_id, changes, version, force: s.update_customer(
        caller, record_id, changes, version, force
    ),
    query={"force": query_flag("Save even when the change makes it look like a duplicate")},
)
customer_routes.delete(
    "/{customer_id}",
    "customer_id",
    name="delete_customer",
    summary="Delete a customer",
    remove=lambda s, caller, record_id, version: s.delete_customer(caller, record_id, version),
)


@customers.get(
    "/{customer_id}/audit",
    response_model=AuditPage,
    summary="Audit trail of a customer and its records, newest first",
    responses=NOT_FOUND,
)
async def get_audit(
    customer_id: RecordId,
    service: Customers,
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("customers:audit")),
) -> JSONResponse:
    return JSONResponse(await service.get_audit(user.caller, customer_id, cursor, limit))


# -- contacts and follow-ups: listed and created under their customer, then /<kind>s/{id} --------
def _item_routes(routes: CrudRoutes, kind: str, item: str, update: type[BaseModel], noun: str) -> None:
    id_name = f"{kind}_id"
    routes.get(
        item,
        id_name,
        name=f"get_{kind}",
        summary=f"Get a {noun}",
        fetch=lambda s, caller, record_id: s.get_child(kind, caller, record_id),
    )
    routes.update(
        item,
        id_name,
        update,
        name=f"update_{kind}",
        summary=f"Change a {noun}",
        save=lambda s, caller, record_id, changes, version: s.update_child(
            kind, caller, record_id, changes, version
        ),
    )
    routes.delete(
        item,
        id_name,
        name=f"delete_{kind}",
        summary=f"Delete a {noun}",
        remove=lambda s, caller, record_id, version: s.delete_child(kind, caller, record_id, version),
    )


def _child_router(
    kind: str,
    segment: str,
    out: type[BaseModel],
    page: type[BaseModel],
    create: type[BaseModel],
    *,
    list_summary: str,
    create_summary: str,
) -> tuple[APIRouter, CrudRoutes]:
    router = APIRouter(prefix="/api/v1", tags=[segment], responses=COMMON_ERRORS)
    routes = CrudRoutes(router, get_customers, kind + "s", out)
    collection = f"/customers/{{customer_id}}/{segment}"
    routes.list_children(
        collection,
        "customer_id",
        page,
        name=f"list_{kind}s",
        summary=list_summary,
        fetch=lambda s, caller, parent, cursor, limit: s.list_children(kind, caller, parent, cursor, limit),
    )
    routes.create(
        collection,
        create,
        name=f"create_{kind}",
        summary=create_summary,
        make=lambda s, caller, data, customer_id: s.create_child(kind, caller, customer_id, data),
        location=f"/api/v1/{segment}/{{id}}",
        path_ids=("customer_id",),
    )
    return router, routes


contacts, contact_routes = _child_router(
    "contact",
    "contacts",
    ContactOut,
    ContactPage,
    ContactCreate,
    list_summary="List a customer's contacts",
    create_summary="Add a contact to a customer",
)
_item_routes(contact_routes, "contact", "/contacts/{contact_id}", ContactUpdate, "contact")

follow_ups, follow_up_routes = _child_router(
    "follow_up",
    "follow-ups",
    FollowUpOut,
    FollowUpPage,
    FollowUpCreate,
    list_summary="A customer's follow-up timeline, newest first",
    create_summary="Record a follow-up (call, visit, WeChat...)",
)
_item_routes(follow_up_routes, "follow_up", "/follow-ups/{follow_up_id}", FollowUpUpdate, "follow-up")


# -- /api/v1/tasks: to-dos with due dates, tied to a customer ---------------------------------
tasks = APIRouter(prefix="/api/v1/tasks", tags=["tasks"], responses=COMMON_ERRORS)


@tasks.get("", response_model=TaskPage, summary="List tasks visible to you")
async def list_tasks(
    service: Customers,
    customer_id: str | None = Query(None, min_length=1, max_length=64),
    assignee: str | None = Query(None, min_length=1, max_length=64, description="Assignee user id, or `me`"),
    status: TaskStatus | None = Query(None),
    overdue: bool | None = Query(None, description="Only open tasks past their due time"),
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("tasks:read")),
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
    return JSONResponse(await service.list_tasks(user.caller, filters, cursor, limit))


task_routes = CrudRoutes(tasks, get_customers, "tasks", TaskOut)
task_routes.create(
    "",
    TaskCreate,
    name="create_task",
    summary="Create a task",
    make=lambda s, caller, data: s.create_child("task", caller, data.pop("customer_id"), data),
    location="/api/v1/tasks/{id}",
)
_item_routes(task_routes, "task", "/{task_id}", TaskUpdate, "task")

ROUTERS = (customers, contacts, follow_ups, tasks)
