"""Tickets (工单): a customer's issue from first contact to closed, with its SLA clocks.

Status: new → in_progress → waiting_on_customer → resolved → closed; a resolved ticket may be
reopened within ``reopen_days`` (back to in_progress). The SLA clocks (first response,
resolution) run in business hours and pause while waiting on the customer.

RPC (``caller`` first; ValidationError / NotFound / PermissionDenied / Conflict):
    create_ticket(caller, data) -> Ticket            (data: TicketCreate; support only)
    get_ticket(caller, ticket_id) -> Ticket          (with its timeline and attachments; a reader
                                                      who is not support sees external entries only)
    list_tickets(caller, filters=None, cursor=None, limit=None) -> Page[Ticket]   (newest first)
        filters: customer_id, status, assignee, priority, category, team_id
    ticket_queue(caller, filters=None, cursor=None, limit=None) -> Page[Ticket]
        open tickets, most urgent first (the nearer unmet due time; paused last); filters
        assignee, team_id, priority, status (an open one), customer_id
    update_ticket(caller, ticket_id, data, expected_version=None) -> Ticket   (data: TicketUpdate)
    assign_ticket(caller, ticket_id, assignee_id, expected_version=None) -> Ticket
    add_comment(caller, ticket_id, data) -> Ticket   (data: CommentCreate)
    change_status(caller, ticket_id, status, expected_version=None, note=None) -> Ticket
        a move TRANSITIONS does not allow now is a Conflict whose error names ``allowed``
    add_attachment(caller, ticket_id, data) -> Ticket  (data: AttachmentCreate; metadata only)

Events (full state): ``ticket.created``, ``ticket.updated``, ``ticket.resolved``,
``ticket.reopened``, ``ticket.closed``, ``ticket.sla_near_breach``, ``ticket.sla_breached``;
``customer.complaint_raised`` (a complaint ticket: the customer's risk goes up).
"""

from __future__ import annotations

from typing import Literal, get_args

from kernel.kinds import SearchKind
from kernel.schema import Id, RequestModel
from pydantic import BaseModel, Field, StrictInt

from service_desk.contracts.common import (
    Category,
    Channel,
    CustomerOwned,
    Priority,
    TicketStatus,
    Visibility,
)

TICKET_CREATED = "ticket.created"
TICKET_UPDATED = "ticket.updated"
TICKET_RESOLVED = "ticket.resolved"
TICKET_REOPENED = "ticket.reopened"
TICKET_CLOSED = "ticket.closed"
TICKET_SLA_NEAR_BREACH = "ticket.sla_near_breach"
TICKET_SLA_BREACHED = "ticket.sla_breached"
COMPLAINT_RAISED = "customer.complaint_raised"

SUBJECT_MAX, DESCRIPTION_MAX, COMMENT_MAX = 200, 20_000, 20_000
FILENAME_MAX, CONTENT_TYPE_MAX, STORAGE_KEY_MAX = 255, 100, 500
OpenStatus = Literal["new", "in_progress", "waiting_on_customer"]
OPEN_STATUSES: tuple[str, ...] = get_args(OpenStatus)
# The state machine; resolved → in_progress is a reopen, allowed within ``reopen_days`` only.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("in_progress", "waiting_on_customer", "resolved"),
    "in_progress": ("waiting_on_customer", "resolved"),
    "waiting_on_customer": ("in_progress", "resolved"),
    "resolved": ("in_progress", "closed"),
    "closed": (),
}
STATUS_LABELS: dict[str, str] = {
    "new": "新建",
    "in_progress": "处理中",
    "waiting_on_customer": "等待客户",
    "resolved": "已解决",
    "closed": "已关闭",
}
SlaState = str  # "ok" | "near_breach" | "breached" | "paused" | "met"


class TimelineEntry(BaseModel):
    id: str
    kind: str  # comment | status | assignment | sla | survey
    visibility: str
    body: str | None = None
    data: dict[str, object] = {}
    actor_id: str
    at: str


class Attachment(BaseModel):
    id: str
    filename: str
    content_type: str
    size_bytes: int
    storage_key: str
    uploaded_by: str
    uploaded_at: str


class Ticket(CustomerOwned):
    number: str
    contact_id: str | None = None
    subject: str
    description: str
    channel: str
    category: str
    priority: str
    status: str
    assignee_id: str | None = None
    team_id: str | None = None
    created_by: str
    first_response_due: str
    resolution_due: str
    first_responded_at: str | None = None
    resolved_at: str | None = None
    closed_at: str | None = None
    paused_at: str | None = None
    sla_state: str  # the worse of the two clocks: ok | near_breach | breached | paused | met
    reopened_count: int = 0
    allowed_statuses: list[str] | None = None  # get_ticket only: where the status may go now
    # RPC answers only (not events): the clock a live countdown shows, {clock: first_response |
    # resolution, due, warn_at (80% of its business time), paused}; null once resolved
    sla_clock: dict[str, object] | None = None
    timeline: list[TimelineEntry] | None = None  # get_ticket only; events leave it out
    attachments: list[Attachment] | None = None


class Complaint(BaseModel):
    """``customer.complaint_raised``: aggregate = the customer; the ticket that raised it."""

    customer_id: str
    customer_name: str | None = None
    ticket_id: str
    ticket_number: str
    subject: str
    priority: str
    raised_at: str
    open_complaints: int  # the customer's open complaint tickets now (its risk signal)


# -- requests (the gateway's REST bodies are these) -----------------------------------------------
class TicketCreate(RequestModel):
    customer_id: Id
    contact_id: Id | None = None
    subject: str = Field(min_length=1, max_length=SUBJECT_MAX)
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    channel: Channel
    category: Category
    priority: Priority = "P3"
    assignee_id: Id | None = None


class TicketUpdate(RequestModel):
    """PATCH: only the fields sent change; a new priority re-computes the SLA targets."""

    subject: str | None = Field(default=None, min_length=1, max_length=SUBJECT_MAX)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)
    channel: Channel | None = None
    category: Category | None = None
    priority: Priority | None = None
    contact_id: Id | None = None


class CommentCreate(RequestModel):
    body: str = Field(min_length=1, max_length=COMMENT_MAX)
    visibility: Visibility = "external"


class StatusChange(RequestModel):
    status: TicketStatus
    note: str | None = Field(default=None, max_length=COMMENT_MAX)


class Assignment(RequestModel):
    assignee_id: Id | None = None  # None: unassigned


class AttachmentCreate(RequestModel):
    """Metadata of a file already put in object storage under ``storage_key``."""

    filename: str = Field(min_length=1, max_length=FILENAME_MAX)
    content_type: str = Field(min_length=1, max_length=CONTENT_TYPE_MAX, pattern=r"^[\w.+-]+/[\w.+-]+$")
    size_bytes: StrictInt = Field(ge=0)
    storage_key: str = Field(min_length=1, max_length=STORAGE_KEY_MAX)


EVENT_SCHEMAS: dict[str, type[BaseModel]] = {
    **{
        t: Ticket
        for t in (
            TICKET_CREATED,
            TICKET_UPDATED,
            TICKET_RESOLVED,
            TICKET_REOPENED,
            TICKET_CLOSED,
            TICKET_SLA_NEAR_BREACH,
            TICKET_SLA_BREACHED,
        )
    },
    COMPLAINT_RAISED: Complaint,
}
SEARCH_KINDS: tuple[SearchKind, ...] = (
    SearchKind(
        "ticket",
        "工单",
        "/tickets/{id}",
        (
            TICKET_CREATED,
            TICKET_UPDATED,
            TICKET_RESOLVED,
            TICKET_REOPENED,
            TICKET_CLOSED,
            TICKET_SLA_NEAR_BREACH,
            TICKET_SLA_BREACHED,
        ),
    ),
)
