"""Tickets for the SLA, survey and care-visit tests, written straight to the table (the ticket
use cases are another area's): version 0, then published as ``ticket.created`` exactly as the
use cases do, and resolved the same way (``ticket.resolved``, whose envelope is returned for the
consumer under test)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kernel.consumer import IdempotentConsumer, Outcome, in_units
from kernel.envelope import Envelope, make_event
from kernel.identity import SYSTEM, Caller
from kernel.ids import new_id
from kernel.numbers import next_number
from service_desk.app import ServiceDeskApp
from service_desk.contracts.tickets import TICKET_CREATED, TICKET_RESOLVED
from service_desk.domain.sla import DEFAULT_TARGETS, add_business_time
from service_desk.handlers import resolutions, ticket_state
from service_desk.storage.models import TicketRow, consumer
from service_desk.storage.unit import ServiceDeskUnit


def add_ticket(
    desk: ServiceDeskApp,
    customer: dict[str, Any],
    *,
    created_at: datetime,
    priority: str = "P2",
    assignee_id: str | None = "u-support",
    team_id: str | None = "team-support",
    subject: str = "打印机无法连接",
    **fields: Any,
) -> dict[str, Any]:
    def add(unit: ServiceDeskUnit) -> dict[str, Any]:
        calendar = ticket_state.business_calendar()
        first, resolution = DEFAULT_TARGETS[priority]
        row = TicketRow(
            id=new_id(),
            # the service's own counter: tickets it numbered on the same database (e2e) never clash
            number=next_number(unit.session, "ticket", "T", year=created_at.year),
            customer_id=customer["id"],
            customer_name=customer["name"],
            customer_owner_id=customer.get("owner_id"),
            customer_team_id=customer.get("team_id"),
            subject=subject,
            description="",
            channel="phone",
            category="fault",
            priority=priority,
            status="new",
            assignee_id=assignee_id,
            team_id=team_id,
            created_by="u-support",
            first_response_due=add_business_time(calendar, created_at, first),
            resolution_due=add_business_time(calendar, created_at, resolution),
            sla_alerts=[],
            reopened_count=0,
            version=0,
            created_at=created_at,
            updated_at=created_at,
            **fields,
        )
        unit.session.add(row)
        unit.session.flush()
        return ticket_state.publish(unit, row, event_type=TICKET_CREATED, now=created_at)

    return desk.run(Caller("u-support", ("support",), "team-support"), add)  # type: ignore[no-any-return]


def change_ticket(desk: ServiceDeskApp, ticket_id: str, at: datetime, **fields: Any) -> dict[str, Any]:
    def change(unit: ServiceDeskUnit) -> dict[str, Any]:
        row = unit.session.get(TicketRow, ticket_id)
        assert row is not None
        for key, value in fields.items():
            setattr(row, key, value)
        return ticket_state.publish(unit, row, now=at)

    return desk.run(SYSTEM, change)  # type: ignore[no-any-return]


def resolve_ticket(desk: ServiceDeskApp, ticket_id: str, at: datetime, **fields: Any) -> Envelope:
    """Resolve it (status, resolved_at) and return its ``ticket.resolved`` envelope."""

    def resolve(unit: ServiceDeskUnit) -> Envelope:
        row = unit.session.get(TicketRow, ticket_id)
        assert row is not None
        row.status, row.resolved_at = "resolved", at
        for key, value in fields.items():
            setattr(row, key, value)
        state = ticket_state.publish(unit, row, event_type=TICKET_RESOLVED, now=at)
        return make_event(
            type=TICKET_RESOLVED,
            source="service_desk",
            aggregate_type="ticket",
            aggregate_id=row.id,
            version=state["version"],
            actor_id="u-support",
            customer_id=row.customer_id,
            data=state,
        )

    return desk.run(Caller("u-support", ("support",), "team-support"), resolve)  # type: ignore[no-any-return]


def reopen_ticket(desk: ServiceDeskApp, ticket_id: str, at: datetime) -> dict[str, Any]:
    return change_ticket(desk, ticket_id, at, status="in_progress", resolved_at=None)


def deliver(desk: ServiceDeskApp, event: Envelope) -> Outcome:
    """Through the kernel's consumer, exactly as the service's event handlers run it."""
    handler = resolutions.ticket_resolved if event.type == TICKET_RESOLVED else resolutions.order_placed
    return IdempotentConsumer(in_units(desk.units), consumer, sleep=lambda _: None).consume(
        event, lambda unit, ev: handler(unit, ev)
    )
