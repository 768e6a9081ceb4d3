"""A ticket's published state (events, RPC answers, search documents), and publishing it.

Every area that changes a ticket (its use cases, the SLA timer, surveys) publishes it through
``publish`` so its event, its audit line and its version move together.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any

from kernel.audit import Changes
from kernel.clock import isoformat, utcnow

from service_desk.contracts.tickets import TICKET_UPDATED
from service_desk.domain.sla import BusinessCalendar, clock_state
from service_desk.settings import service_desk_settings
from service_desk.storage.models import AttachmentRow, TicketEntryRow, TicketRow
from service_desk.storage.unit import ServiceDeskUnit

CLOSED = ("resolved", "closed")
_SEVERITY = {"met": 0, "ok": 1, "near_breach": 2, "breached": 3}


@lru_cache(maxsize=1)
def business_calendar() -> BusinessCalendar:
    s = service_desk_settings()
    return BusinessCalendar.parse(
        timezone=s.business_timezone,
        day_start=s.business_day_start,
        day_end=s.business_day_end,
        weekdays=s.business_weekdays,
        holidays=s.holidays,
    )


def clocks(row: TicketRow, now: datetime) -> dict[str, str]:
    """Each SLA clock's state: first_response and resolution."""
    calendar = business_calendar()
    return {
        "first_response": clock_state(
            calendar, row.created_at, row.first_response_due, now, met_at=row.first_responded_at
        ),
        "resolution": clock_state(calendar, row.created_at, row.resolution_due, now, met_at=row.resolved_at),
    }


def sla_state(row: TicketRow, now: datetime | None = None) -> str:
    """The worse of the two clocks; "paused" while waiting on the customer."""
    if row.paused_at is not None and row.status not in CLOSED:
        return "paused"
    return max(clocks(row, now or utcnow()).values(), key=_SEVERITY.__getitem__)


def ticket_state(
    row: TicketRow,
    now: datetime | None = None,
    *,
    timeline: Iterable[TicketEntryRow] | None = None,
    attachments: Iterable[AttachmentRow] | None = None,
) -> dict[str, Any]:
    state: dict[str, Any] = {
        "id": row.id,
        "number": row.number,
        "customer_id": row.customer_id,
        "customer_name": row.customer_name,
        "customer_owner_id": row.customer_owner_id,
        "customer_team_id": row.customer_team_id,
        "contact_id": row.contact_id,
        "subject": row.subject,
        "description": row.description,
        "channel": row.channel,
        "category": row.category,
        "priority": row.priority,
        "status": row.status,
        "assignee_id": row.assignee_id,
        "team_id": row.team_id,
        "created_by": row.created_by,
        "first_response_due": isoformat(row.first_response_due),
        "resolution_due": isoformat(row.resolution_due),
        "first_responded_at": isoformat(row.first_responded_at),
        "resolved_at": isoformat(row.resolved_at),
        "closed_at": isoformat(row.closed_at),
        "paused_at": isoformat(row.paused_at),
        "sla_state": sla_state(row, now),
        "reopened_count": row.reopened_count,
        "version": row.version,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }
    if timeline is not None:
        state["timeline"] = [
            {
                "id": e.id,
                "kind": e.kind,
                "visibility": e.visibility,
                "body": e.body,
                "data": e.data,
                "actor_id": e.actor_id,
                "at": isoformat(e.at),
            }
            for e in timeline
        ]
    if attachments is not None:
        state["attachments"] = [
            {
                "id": a.id,
                "filename": a.filename,
                "content_type": a.content_type,
                "size_bytes": a.size_bytes,
                "storage_key": a.storage_key,
                "uploaded_by": a.uploaded_by,
                "uploaded_at": isoformat(a.uploaded_at),
            }
            for a in attachments
        ]
    return state


def publish(
    unit: ServiceDeskUnit,
    row: TicketRow,
    *,
    changes: Changes | None = None,
    event_type: str = TICKET_UPDATED,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Bump the version, emit the event (full state, no timeline), audit ``changes``.
    A new ticket is added with version 0 and published as ``ticket.created``."""
    row.version += 1
    row.updated_at = now or utcnow()
    unit.session.flush()
    state = ticket_state(row, now)
    unit.record(
        "ticket",
        event_type.split(".", 1)[1],
        state,
        customer_id=row.customer_id,
        changes=changes,
        event_type=event_type,
    )
    return state
