"""Reading tickets: one with its timeline (a reader who is not support sees the external entries
only), lists newest first, and the queue — open tickets, most urgent first — with the clock a live
countdown shows. Every read is filtered by ``policy.TICKET`` (in SQL for lists); a ticket the
caller may not read is NotFound.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kernel import listing
from kernel.access_sql import visible
from kernel.clock import isoformat, utcnow
from kernel.cursor import decode_cursor, encode_cursor, page_limit
from kernel.errors import NotFound, ValidationError
from sqlalchemy import Select, case, func, select, tuple_

from service_desk import policy
from service_desk.contracts.common import CATEGORIES, PRIORITIES, TICKET_STATUSES
from service_desk.contracts.tickets import OPEN_STATUSES
from service_desk.domain import tickets as rules
from service_desk.domain.sla import NEAR_BREACH_RATIO, add_business_time, business_time_between
from service_desk.handlers.ticket_state import business_calendar, ticket_state
from service_desk.settings import service_desk_settings
from service_desk.storage.models import AttachmentRow, TicketEntryRow, TicketRow
from service_desk.storage.unit import ServiceDeskUnit

FILTERS = ("customer_id", "status", "assignee", "priority", "category", "team_id")
QUEUE_FILTERS = ("customer_id", "status", "assignee", "priority", "team_id")
CHOICES = {"status": TICKET_STATUSES, "priority": PRIORITIES, "category": CATEGORIES}


# -- loading and state -----------------------------------------------------------------------------
def _ownership(row: TicketRow) -> dict[str, Any]:
    return {"customer_owner_id": row.customer_owner_id, "customer_team_id": row.customer_team_id}


def load_ticket(unit: ServiceDeskUnit, ticket_id: Any, *, lock: bool = False) -> TicketRow:
    """The ticket if the caller may read it; NotFound otherwise (never "it exists, but...")."""
    if not isinstance(ticket_id, str) or not ticket_id or len(ticket_id) > 64:
        raise ValidationError.for_field("ticket_id", "must be a ticket id")
    stmt = select(TicketRow).where(TicketRow.id == ticket_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = unit.session.scalars(stmt).one_or_none()
    if row is None or not policy.TICKET.can_read(unit.caller, _ownership(row)):
        raise NotFound(f"ticket {ticket_id} does not exist")
    return row


def full_state(unit: ServiceDeskUnit, row: TicketRow, now: datetime) -> dict[str, Any]:
    """The ticket with its timeline (oldest first) and attachments; a reader who is not support
    sees only the external entries."""
    entries = select(TicketEntryRow).where(TicketEntryRow.ticket_id == row.id)
    if not policy.can_write(unit.caller):
        entries = entries.where(TicketEntryRow.visibility == "external")
    timeline = unit.session.scalars(entries.order_by(TicketEntryRow.at, TicketEntryRow.id)).all()
    attachments = unit.session.scalars(
        select(AttachmentRow).where(AttachmentRow.ticket_id == row.id).order_by(AttachmentRow.id)
    ).all()
    state = ticket_state(row, now, timeline=timeline, attachments=attachments)
    state["sla_clock"] = sla_clock(row)
    state["allowed_statuses"] = list(
        rules.allowed_next(row.status, row.resolved_at, now, service_desk_settings().reopen_days)
    )
    return state


def sla_clock(row: TicketRow) -> dict[str, Any] | None:
    """The clock a live countdown shows: the nearer unmet target, when it turns amber (80% of
    its business time, as ``clock_state`` judges), whether it is paused."""
    if not rules.is_open(row.status):
        return None
    responded = row.first_responded_at is not None
    due = rules.urgency(row.first_response_due, row.resolution_due, row.first_responded_at)
    calendar = business_calendar()
    target = business_time_between(calendar, row.created_at, due)
    return {
        "clock": "resolution" if responded or due == row.resolution_due else "first_response",
        "due": isoformat(due),
        "warn_at": isoformat(add_business_time(calendar, row.created_at, target * NEAR_BREACH_RATIO)),
        "paused": row.paused_at is not None,
    }


def listed_state(row: TicketRow, now: datetime) -> dict[str, Any]:
    return {**ticket_state(row, now), "sla_clock": sla_clock(row)}


# -- reads -----------------------------------------------------------------------------------------
def get_ticket(unit: ServiceDeskUnit, ticket_id: Any, *, now: datetime | None = None) -> dict[str, Any]:
    return full_state(unit, load_ticket(unit, ticket_id), now or utcnow())


def _columns(wanted: dict[str, str]) -> dict[str, str]:
    return {("assignee_id" if key == "assignee" else key): value for key, value in wanted.items()}


def list_tickets(
    unit: ServiceDeskUnit,
    filters: Any = None,
    cursor: Any = None,
    limit: Any = None,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Newest first; filters customer_id, status, assignee, priority, category, team_id."""
    wanted = _columns(listing.read_filters(filters, FILTERS, CHOICES))
    rows, next_cursor = listing.paged(
        unit.session, unit.caller, TicketRow, policy.TICKET, wanted, cursor, limit
    )
    now = now or utcnow()
    return {"items": [listed_state(r, now) for r in rows], "next_cursor": next_cursor}


def queue_order() -> tuple[Any, ...]:
    """Paused last, then the nearer unmet due time (the expression of the ix_tickets_queue
    indexes in migration 0002_tickets), then id."""
    urgency = case(
        (
            TicketRow.first_responded_at.is_(None),
            func.least(TicketRow.first_response_due, TicketRow.resolution_due),
        ),
        else_=TicketRow.resolution_due,
    )
    return (TicketRow.paused_at.is_not(None), urgency, TicketRow.id)


def ticket_queue(
    unit: ServiceDeskUnit,
    filters: Any = None,
    cursor: Any = None,
    limit: Any = None,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Open tickets, most urgent first (keyset paging on the urgency order); filters assignee,
    team_id, priority, status (an open one), customer_id."""
    wanted = _columns(listing.read_filters(filters, QUEUE_FILTERS, {**CHOICES, "status": OPEN_STATUSES}))
    size = page_limit(limit)
    after = decode_cursor(cursor)
    columns = {name: getattr(TicketRow, name) for name in policy.TICKET.fields}
    order = queue_order()
    stmt: Select[Any] = select(TicketRow).where(
        visible(policy.TICKET, unit.caller, columns), TicketRow.status.in_(OPEN_STATUSES)
    )
    for key, value in wanted.items():
        stmt = stmt.where(getattr(TicketRow, key) == value)
    if after is not None:
        position = _queue_position(after)
        stmt = stmt.where(tuple_(*order) > tuple_(*position))
    rows = list(unit.session.scalars(stmt.order_by(*order).limit(size + 1)))
    next_cursor = None
    if len(rows) > size:
        last = rows[size - 1]
        reached = rules.queue_key(
            paused=last.paused_at is not None,
            first_response_due=last.first_response_due,
            resolution_due=last.resolution_due,
            first_responded_at=last.first_responded_at,
            id=last.id,
        )
        next_cursor = encode_cursor({"queue": [reached[0], reached[1].isoformat(), reached[2]]})
    now = now or utcnow()
    return {"items": [listed_state(r, now) for r in rows[:size]], "next_cursor": next_cursor}


def _queue_position(after: Any) -> tuple[bool, datetime, str]:
    try:
        paused, moment, last_id = after["queue"]
        position = (bool(paused), datetime.fromisoformat(moment), str(last_id))
    except (TypeError, ValueError):
        raise ValidationError.for_field("cursor", "is not a cursor returned by this API") from None
    return position
