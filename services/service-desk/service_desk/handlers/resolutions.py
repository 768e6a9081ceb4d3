"""What follows a ticket's resolution (the service's own ``ticket.resolved`` event): its
satisfaction survey and, for VIP/important customers, a care visit.

One handler for both: the consumer's claim is per event id and service, so a second handler of
``ticket.resolved`` would find the event claimed. Both are idempotent on their own (the survey
row per ticket, the care visit per trigger), so a retried event (the customers call failing)
redoes nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from kernel.envelope import Envelope

from service_desk.handlers import care_visits, surveys
from service_desk.storage.unit import ServiceDeskUnit


def _resolved_at(event: Envelope) -> datetime:
    value = event.data.get("resolved_at")
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    return event.occurred_at


def ticket_resolved(unit: ServiceDeskUnit, event: Envelope) -> None:
    ticket = event.data
    if ticket.get("status") not in ("resolved", "closed"):
        return  # a stale copy: the consumer's version check normally stops it first
    resolved_at = _resolved_at(event)
    surveys.send_survey(unit, ticket, resolved_at)
    care_visits.after_ticket(unit, ticket, resolved_at)


def order_placed(unit: ServiceDeskUnit, event: Envelope) -> None:
    care_visits.after_order(unit, event.data, event.occurred_at)
