"""/api/v1 routes of the service desk's tickets area (issue 10 §4).

POST  /api/v1/tickets {customer_id, contact_id?, subject, description, channel, category, priority}
                                                       → 201 (Idempotency-Key), with the SLA due times
GET   /api/v1/tickets?customer_id=&status=&assignee=&priority=&category=   (cursor paging, newest first)
GET   /api/v1/tickets/queue?assignee=&team_id=&priority=&status=           (open, most urgent first)
GET   /api/v1/tickets/{id}  (timeline + attachments; ETag)   PATCH /api/v1/tickets/{id} (If-Match)
POST  /api/v1/tickets/{id}/comments {body, visibility}   → 201
POST  /api/v1/tickets/{id}/status {status, note?}         (If-Match optional; 409 names the allowed)
POST  /api/v1/tickets/{id}/assign {assignee_id}
POST  /api/v1/tickets/{id}/attachments {filename, content_type, size_bytes, storage_key} → 201

``assignee=me`` means the caller. Writes are support's (403 for other roles); the service decides
who reads which ticket (a seller their customers', without the internal notes).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from kernel.errors import Conflict
from service_desk.contracts import common
from service_desk.contracts import tickets as c

from gateway.api.concurrency import expected_version, record_response
from gateway.api.crud import CrudRoutes
from gateway.api.deps import requires
from gateway.api.routes._params import Cursor, IfMatch, Limit, RecordId
from gateway.api.schemas.common import Page, ResponseModel
from gateway.auth.records import UserRecord
from gateway.problems import COMMON_ERRORS, CONFLICT, NOT_FOUND
from gateway.services.service_desk.client import ServiceDeskClient

get_desk = ServiceDeskClient.dependency()
Desk = Annotated[ServiceDeskClient, Depends(get_desk)]
RecordFilter = Annotated[str | None, Query(min_length=1, max_length=64)]
AssigneeFilter = Annotated[
    str | None, Query(min_length=1, max_length=64, description="A user id, or `me` for yourself")
]


# -- bodies ----------------------------------------------------------------------------------------
class TicketCreate(c.TicketCreate):
    pass


class TicketUpdate(c.TicketUpdate):
    pass


class CommentCreate(c.CommentCreate):
    pass


class StatusChange(c.StatusChange):
    pass


class Assignment(c.Assignment):
    pass


class AttachmentCreate(c.AttachmentCreate):
    pass


class TicketOut(ResponseModel, c.Ticket):
    pass


class TicketPage(ResponseModel, Page[TicketOut]):
    pass


def ticket_filters(user: UserRecord, **values: str | None) -> dict[str, Any]:
    filters = {key: value for key, value in values.items() if value is not None}
    if filters.get("assignee") == "me":
        filters["assignee"] = user.id
    return filters


router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"], responses=COMMON_ERRORS)


@router.get("", response_model=TicketPage, summary="List tickets visible to you, newest first")
async def list_tickets(
    service: Desk,
    customer_id: RecordFilter = None,
    status: common.TicketStatus | None = Query(None),
    assignee: AssigneeFilter = None,
    priority: common.Priority | None = Query(None),
    category: common.Category | None = Query(None),
    team_id: RecordFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("tickets:read")),
) -> JSONResponse:
    filters = ticket_filters(
        user,
        customer_id=customer_id,
        status=status,
        assignee=assignee,
        priority=priority,
        category=category,
        team_id=team_id,
    )
    return JSONResponse(await service.list_tickets(user.caller, filters, cursor, limit))


@router.get(
    "/queue",
    response_model=TicketPage,
    summary="The open tickets, most urgent first (the nearer unmet SLA due time; paused last)",
)
async def ticket_queue(
    service: Desk,
    assignee: AssigneeFilter = None,
    team_id: RecordFilter = None,
    priority: common.Priority | None = Query(None),
    status: c.OpenStatus | None = Query(None),
    customer_id: RecordFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("tickets:read")),
) -> JSONResponse:
    filters = ticket_filters(
        user, assignee=assignee, team_id=team_id, priority=priority, status=status, customer_id=customer_id
    )
    return JSONResponse(await service.ticket_queue(user.caller, filters, cursor, limit))


routes = CrudRoutes(router, get_desk, "tickets", TicketOut)
routes.create(
    "",
    TicketCreate,
    name="create_ticket",
    summary="Open a ticket; its first-response and resolution targets are due in business hours",
    make=lambda s, caller, data: s.create_ticket(caller, data),
    location="/api/v1/tickets/{id}",
)
routes.get(
    "/{ticket_id}",
    "ticket_id",
    name="get_ticket",
    summary="Get a ticket with its timeline and attachments",
    fetch=lambda s, caller, record_id: s.get_ticket(caller, record_id),
)
routes.update(
    "/{ticket_id}",
    "ticket_id",
    TicketUpdate,
    name="update_ticket",
    summary="Change subject, description, channel, category, priority (re-computes the SLA) or contact",
    save=lambda s, caller, record_id, changes, version: s.update_ticket(caller, record_id, changes, version),
)
routes.create(
    "/{ticket_id}/comments",
    CommentCreate,
    name="add_ticket_comment",
    summary="Reply to the customer (external) or add an internal note; answers the ticket",
    make=lambda s, caller, data, ticket_id: s.add_comment(caller, ticket_id, data),
    location="/api/v1/tickets/{id}",
    path_ids=("ticket_id",),
)
routes.create(
    "/{ticket_id}/attachments",
    AttachmentCreate,
    name="add_ticket_attachment",
    summary="Record a file's metadata (the file itself is in object storage under storage_key)",
    make=lambda s, caller, data, ticket_id: s.add_attachment(caller, ticket_id, data),
    location="/api/v1/tickets/{id}",
    path_ids=("ticket_id",),
)


@router.post(
    "/{ticket_id}/status",
    response_model=TicketOut,
    summary="Move the ticket (new → in_progress → waiting_on_customer → resolved → closed; reopen); "
    "a move not allowed now is 409 naming the allowed ones",
    responses={**NOT_FOUND, **CONFLICT},
)
async def change_status(
    ticket_id: RecordId,
    body: StatusChange,
    service: Desk,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("tickets:write")),
) -> JSONResponse:
    version = expected_version(if_match, None)
    try:
        moved = await service.change_status(user.caller, ticket_id, body.status, version, body.note)
    except Conflict as exc:
        if not any(e.get("field") == "status" for e in exc.errors):
            raise  # a stale If-Match: the client reloads
        # The RPC error carries field and message only: name the moves allowed now, as data.
        allowed = (await service.get_ticket(user.caller, ticket_id)).get("allowed_statuses") or []
        errors = [{**e, "allowed": allowed} if e.get("field") == "status" else e for e in exc.errors]
        raise Conflict(exc.detail, errors) from None
    return record_response(moved)


@router.post(
    "/{ticket_id}/assign",
    response_model=TicketOut,
    summary="Assign the ticket to a support user (null: unassigned)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def assign_ticket(
    ticket_id: RecordId,
    body: Assignment,
    service: Desk,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("tickets:write")),
) -> JSONResponse:
    version = expected_version(if_match, None)
    return record_response(await service.assign_ticket(user.caller, ticket_id, body.assignee_id, version))


ROUTERS: tuple[APIRouter, ...] = (router,)
