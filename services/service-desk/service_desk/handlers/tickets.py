"""Ticket use cases that change a ticket: open, edit, assign, comment, move through the status
machine (pausing the SLA while waiting on the customer), attach files; the auto-close timer and
the re-publish when a customer changes. Reads are in ``ticket_reads``.

Support writes; a seller reads their customers' tickets (external timeline entries only). Every
change goes through ``ticket_state.publish`` (version, event, audit together). Each use case takes
an injectable ``now`` for tests; the RPC entrypoints do not expose it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from kernel.audit import Changes, diff
from kernel.clock import isoformat, utcnow
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.ids import new_id
from kernel.numbers import next_number
from kernel.replicas import CustomerRef
from kernel.repository import check_version
from kernel.schema import parse
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from service_desk import policy
from service_desk.contracts.tickets import (
    COMPLAINT_RAISED,
    OPEN_STATUSES,
    TICKET_CLOSED,
    TICKET_CREATED,
    TICKET_REOPENED,
    TICKET_RESOLVED,
    TICKET_UPDATED,
    AttachmentCreate,
    CommentCreate,
    Complaint,
    StatusChange,
    TicketCreate,
    TicketUpdate,
)
from service_desk.domain import tickets as rules
from service_desk.handlers.replicas import CUSTOMERS
from service_desk.handlers.ticket_reads import full_state, load_ticket
from service_desk.handlers.ticket_state import business_calendar, publish, ticket_state
from service_desk.settings import service_desk_settings
from service_desk.storage.models import (
    AttachmentRow,
    ComplaintCounterRow,
    TicketEntryRow,
    TicketRow,
    directory_users,
)
from service_desk.storage.unit import ServiceDeskUnit

# Bookkeeping the audit line leaves out (the version moves, the SLA state is derived).
_NOT_AUDITED = ("version", "updated_at", "sla_state")
_REQUIRED_ON_UPDATE = ("subject", "channel", "category", "priority")


@lru_cache(maxsize=1)
def sla_targets() -> dict[str, Any]:
    return rules.parse_targets(service_desk_settings().sla_targets)


def _require_writer(unit: ServiceDeskUnit) -> None:
    if not policy.can_write(unit.caller):
        raise PermissionDenied("only support may change tickets")


def _writable(unit: ServiceDeskUnit, ticket_id: Any, expected_version: Any) -> TicketRow:
    row = load_ticket(unit, ticket_id, lock=True)
    _require_writer(unit)
    check_version(row, expected_version, noun="ticket")
    if row.status == "closed":
        raise Conflict(
            f"ticket {row.number} is closed: a closed ticket is final",
            [{"field": "status", "message": "is closed", "allowed": []}],
        )
    return row


def _entry(
    unit: ServiceDeskUnit,
    row: TicketRow,
    kind: str,
    visibility: str,
    now: datetime,
    *,
    body: str | None = None,
    data: dict[str, Any] | None = None,
) -> TicketEntryRow:
    entry = TicketEntryRow(
        id=new_id(),
        ticket_id=row.id,
        kind=kind,
        visibility=visibility,
        body=body,
        data=data or {},
        actor_id=unit.caller.user_id,
        at=now,
    )
    unit.session.add(entry)
    return entry


def _audited(before: dict[str, Any], row: TicketRow, now: datetime) -> Changes:
    return diff(before, ticket_state(row, now), ignore=_NOT_AUDITED)


# -- checks on what a ticket points at --------------------------------------------------------------
def _contact(unit: ServiceDeskUnit, contact_id: str | None, customer_id: str) -> str | None:
    """A contact of the ticket's customer, as the customers service says (read as the caller)."""
    if contact_id is None:
        return None
    try:
        contact = unit.customers.call(unit.caller, "get_contact", contact_id=contact_id)
    except (NotFound, PermissionDenied):
        raise ValidationError.for_field("contact_id", "no such contact") from None
    if not isinstance(contact, dict) or contact.get("customer_id") != customer_id:
        raise ValidationError.for_field("contact_id", "is not a contact of this customer")
    return contact_id


def _support_user(unit: ServiceDeskUnit, user_id: str, field: str = "assignee_id") -> Any:
    """An active support user of the directory replica (who may be given tickets)."""
    user = unit.session.execute(
        select(directory_users.c.id, directory_users.c.team_id).where(
            directory_users.c.id == user_id,
            directory_users.c.active,
            directory_users.c.roles.any("support"),
        )
    ).first()
    if user is None:
        raise ValidationError.for_field(field, "is not an active support user")
    return user


def _text(value: str, field: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ValidationError.for_field(field, "must not be blank")
    return cleaned


# -- create --------------------------------------------------------------------------------------
def create_ticket(unit: ServiceDeskUnit, data: Any, *, now: datetime | None = None) -> dict[str, Any]:
    """Open a ticket for a customer; its SLA targets are due in business time from now."""
    _require_writer(unit)
    body = parse(TicketCreate, data)
    subject = _text(body.subject, "subject")
    ref = CUSTOMERS.ref(unit, body.customer_id)
    contact_id = _contact(unit, body.contact_id, ref.id)
    assignee = _support_user(unit, body.assignee_id) if body.assignee_id else None
    now = now or utcnow()
    dues = rules.due_times(business_calendar(), now, body.priority, sla_targets())
    row = TicketRow(
        id=new_id(),
        number=next_number(unit.session, "ticket", "T", year=now.year),
        customer_id=ref.id,
        customer_name=ref.name,
        customer_owner_id=ref.owner_id,
        customer_team_id=ref.team_id,
        contact_id=contact_id,
        subject=subject,
        description=body.description.strip(),
        channel=body.channel,
        category=body.category,
        priority=body.priority,
        status="new",
        assignee_id=assignee.id if assignee is not None else None,
        team_id=(assignee.team_id if assignee is not None else None)
        or (unit.caller.team_id if unit.caller.has("support") else None),
        created_by=unit.caller.user_id,
        first_response_due=dues.first_response,
        resolution_due=dues.resolution,
        sla_alerts=[],
        reopened_count=0,
        version=0,
        created_at=now,
        updated_at=now,
    )
    unit.session.add(row)
    unit.session.flush()
    state = ticket_state(row, now)
    audited = {
        k: [None, state[k]]
        for k in ("number", "subject", "channel", "category", "priority", "status", "assignee_id")
    }
    publish(unit, row, changes=audited, event_type=TICKET_CREATED, now=now)
    if row.category == "complaint":
        _raise_complaint(unit, row, now)
    return full_state(unit, row, now)


def _raise_complaint(unit: ServiceDeskUnit, row: TicketRow, now: datetime) -> None:
    """``customer.complaint_raised``: the customer's risk signal, with its open complaints now.
    The aggregate is the customer's complaints, versioned by a per-customer counter."""
    version = unit.session.execute(
        insert(ComplaintCounterRow)
        .values(customer_id=row.customer_id, version=1)
        .on_conflict_do_update(
            index_elements=[ComplaintCounterRow.customer_id],
            set_={"version": ComplaintCounterRow.version + 1},
        )
        .returning(ComplaintCounterRow.version)
    ).scalar_one()
    open_complaints = unit.session.scalar(
        select(func.count())
        .select_from(TicketRow)
        .where(
            TicketRow.customer_id == row.customer_id,
            TicketRow.category == "complaint",
            TicketRow.status.in_(OPEN_STATUSES),
        )
    )
    complaint = Complaint(
        customer_id=row.customer_id,
        customer_name=row.customer_name,
        ticket_id=row.id,
        ticket_number=row.number,
        subject=row.subject,
        priority=row.priority,
        raised_at=isoformat(now) or "",
        open_complaints=int(open_complaints or 0),
    )
    unit.emit(
        COMPLAINT_RAISED,
        kind="customer_complaints",
        state={"id": row.customer_id, **complaint.model_dump()},
        customer_id=row.customer_id,
        aggregate=(row.customer_id, version),
    )


# -- edit ------------------------------------------------------------------------------------------
def update_ticket(
    unit: ServiceDeskUnit,
    ticket_id: Any,
    data: Any,
    expected_version: Any = None,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Subject, description, channel, category, priority (re-computes the SLA targets from the
    ticket's creation, keeping its pauses), contact."""
    body = parse(TicketUpdate, data)
    sent = body.model_fields_set
    for name in _REQUIRED_ON_UPDATE:
        if name in sent and getattr(body, name) is None:
            raise ValidationError.for_field(name, "may not be null")
    row = _writable(unit, ticket_id, expected_version)
    now = now or utcnow()
    before = ticket_state(row, now)
    was_complaint = row.category == "complaint"
    if "subject" in sent and body.subject is not None:
        row.subject = _text(body.subject, "subject")
    if "description" in sent:
        row.description = (body.description or "").strip()
    if "channel" in sent and body.channel is not None:
        row.channel = body.channel
    if "category" in sent and body.category is not None:
        row.category = body.category
    if "contact_id" in sent and body.contact_id != row.contact_id:
        row.contact_id = _contact(unit, body.contact_id, row.customer_id)
    if "priority" in sent and body.priority is not None and body.priority != row.priority:
        dues = rules.reprioritized(
            business_calendar(),
            row.created_at,
            rules.Dues(row.first_response_due, row.resolution_due),
            row.priority,
            body.priority,
            sla_targets(),
        )
        row.priority = body.priority
        row.first_response_due, row.resolution_due = dues.first_response, dues.resolution
    changes = _audited(before, row, now)
    if not changes:
        return full_state(unit, row, now)
    publish(unit, row, changes=changes, now=now)
    if row.category == "complaint" and not was_complaint and rules.is_open(row.status):
        _raise_complaint(unit, row, now)
    return full_state(unit, row, now)


def assign_ticket(
    unit: ServiceDeskUnit,
    ticket_id: Any,
    assignee_id: Any,
    expected_version: Any = None,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Give the ticket to a support user (None: back to the team's pool); the timeline says so."""
    if assignee_id is not None and (not isinstance(assignee_id, str) or not 0 < len(assignee_id) <= 64):
        raise ValidationError.for_field("assignee_id", "must be a user id or null")
    row = _writable(unit, ticket_id, expected_version)
    now = now or utcnow()
    if assignee_id == row.assignee_id:
        return full_state(unit, row, now)
    user = _support_user(unit, assignee_id) if assignee_id is not None else None
    before = ticket_state(row, now)
    previous = row.assignee_id
    row.assignee_id = assignee_id
    if user is not None and user.team_id:
        row.team_id = user.team_id
    _entry(unit, row, "assignment", "internal", now, data={"from": previous, "to": assignee_id})
    publish(unit, row, changes=_audited(before, row, now), now=now)
    return full_state(unit, row, now)


def add_comment(
    unit: ServiceDeskUnit, ticket_id: Any, data: Any, *, now: datetime | None = None
) -> dict[str, Any]:
    """An external reply (the customer hears it; support's first one meets the first-response
    target) or an internal note."""
    body = parse(CommentCreate, data)
    text = _text(body.body, "body")
    row = _writable(unit, ticket_id, None)
    now = now or utcnow()
    before = ticket_state(row, now)
    entry = _entry(unit, row, "comment", body.visibility, now, body=text)
    if body.visibility == "external" and row.first_responded_at is None:
        row.first_responded_at = now
    changes = _audited(before, row, now)
    changes["comment"] = [None, {"entry_id": entry.id, "visibility": body.visibility}]
    publish(unit, row, changes=changes, now=now)
    return full_state(unit, row, now)


def change_status(
    unit: ServiceDeskUnit,
    ticket_id: Any,
    status: Any,
    expected_version: Any = None,
    note: Any = None,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Move through the status machine; a move it does not allow is a Conflict naming the
    allowed ones. Waiting on the customer pauses the SLA; leaving it pushes the unmet targets
    out by the business time paused."""
    change = parse(StatusChange, {"status": status, "note": note}, field="status")
    row = load_ticket(unit, ticket_id, lock=True)
    _require_writer(unit)
    check_version(row, expected_version, noun="ticket")
    now = now or utcnow()
    if change.status == row.status:
        return full_state(unit, row, now)  # a retried request: already there
    allowed = rules.allowed_next(row.status, row.resolved_at, now, service_desk_settings().reopen_days)
    if change.status not in allowed:
        where = ", ".join(allowed) if allowed else "nowhere (closed is final)"
        if row.status == "resolved" and change.status == "in_progress":
            where += f"; the {service_desk_settings().reopen_days}-day reopen window has passed"
        raise Conflict(
            f"ticket {row.number} is {row.status}: it may go to {where}",
            [
                {
                    "field": "status",
                    "message": f"may not go from {row.status} to {change.status}; allowed: {where}",
                    "allowed": list(allowed),
                }
            ],
        )
    calendar = business_calendar()
    before = ticket_state(row, now)
    previous = row.status
    if previous == "waiting_on_customer" and row.paused_at is not None:
        dues, paused = rules.resumed(
            calendar,
            rules.Dues(row.first_response_due, row.resolution_due),
            row.paused_at,
            now,
            first_response_met=row.first_responded_at is not None,
        )
        row.first_response_due, row.resolution_due = dues.first_response, dues.resolution
        row.paused_at = None
        _entry(
            unit,
            row,
            "sla",
            "internal",
            now,
            data={
                "event": "resumed",
                "paused_seconds": int(paused.total_seconds()),
                "first_response_due": isoformat(dues.first_response),
                "resolution_due": isoformat(dues.resolution),
            },
        )
    event_type = TICKET_UPDATED
    if change.status == "waiting_on_customer":
        row.paused_at = now
        _entry(unit, row, "sla", "internal", now, data={"event": "paused"})
    elif change.status == "resolved":
        row.resolved_at = now
        if row.first_responded_at is None:
            row.first_responded_at = now  # a resolution answers the customer too
        event_type = TICKET_RESOLVED
    elif change.status == "closed":
        row.closed_at = now
        event_type = TICKET_CLOSED
    elif previous == "resolved":
        row.reopened_count += 1
        row.resolved_at = None
        event_type = TICKET_REOPENED
    row.status = change.status
    note_text = change.note.strip() if change.note else None
    _entry(
        unit,
        row,
        "status",
        "external",
        now,
        body=note_text or None,
        data={"from": previous, "to": row.status},
    )
    publish(unit, row, changes=_audited(before, row, now), event_type=event_type, now=now)
    return full_state(unit, row, now)


def add_attachment(
    unit: ServiceDeskUnit, ticket_id: Any, data: Any, *, now: datetime | None = None
) -> dict[str, Any]:
    """Metadata of a file already in object storage (the bytes never pass through here)."""
    body = parse(AttachmentCreate, data)
    limit = service_desk_settings().attachment_max_bytes
    if body.size_bytes > limit:
        raise ValidationError.for_field("size_bytes", f"must be at most {limit} bytes")
    row = _writable(unit, ticket_id, None)
    now = now or utcnow()
    attachment = AttachmentRow(
        id=new_id(),
        ticket_id=row.id,
        filename=_text(body.filename, "filename"),
        content_type=body.content_type,
        size_bytes=body.size_bytes,
        storage_key=body.storage_key,
        uploaded_by=unit.caller.user_id,
        uploaded_at=now,
    )
    unit.session.add(attachment)
    changes: Changes = {
        "attachment": [
            None,
            {"id": attachment.id, "filename": attachment.filename, "size_bytes": body.size_bytes},
        ]
    }
    publish(unit, row, changes=changes, now=now)
    return full_state(unit, row, now)


# -- timers and reactions ------------------------------------------------------------------------------
BATCH = 200


def close_resolved(unit: ServiceDeskUnit, now: datetime, batch: int = BATCH) -> int:
    """Close the tickets resolved longer ago than the reopen window (the system closes them);
    returns how many, so the timer repeats while a full batch came back."""
    days = service_desk_settings().reopen_days
    rows = unit.session.scalars(
        select(TicketRow)
        .where(TicketRow.status == "resolved", TicketRow.resolved_at < now - timedelta(days=days))
        .order_by(TicketRow.resolved_at, TicketRow.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        before = ticket_state(row, now)
        row.status = "closed"
        row.closed_at = now
        _entry(unit, row, "status", "external", now, data={"from": "resolved", "to": "closed", "auto": True})
        publish(unit, row, changes=_audited(before, row, now), event_type=TICKET_CLOSED, now=now)
    return len(rows)


def republish_for_customer(unit: ServiceDeskUnit, ref: CustomerRef) -> None:
    """Tickets carry their customer's name, owner and team (search shows the name; the read
    policy uses owner and team): publish them again (no audit: the ticket itself did not change)."""
    rows = unit.session.scalars(
        select(TicketRow)
        .where(TicketRow.customer_id == ref.id)
        .order_by(TicketRow.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for row in rows:
        row.customer_name = ref.name
        row.customer_owner_id = ref.owner_id
        row.customer_team_id = ref.team_id
        publish(unit, row)


if republish_for_customer not in CUSTOMERS.republishers:
    CUSTOMERS.republishers.append(republish_for_customer)
