"""Care visits (回访): a task in the customers service, for the customer's owner, a few days after
a resolved ticket or a placed order, for VIP and important customers; one per trigger.

Two services, no shared transaction, and ``create_task`` takes no idempotency key. The order:

1. ``care_visits`` row first (unique trigger + trigger_id, ``ON CONFLICT DO NOTHING``), in the
   consumer's transaction with the event's claim: a second delivery, or a racing consumer, stops
   here (the racing one waits on the uncommitted key, then finds it).
2. Then the task. The RPC can succeed while this transaction fails after it (the reply lost to
   a timeout, a failed commit): the event is retried, step 1 passes again, and a blind
   ``create_task`` would make a second task. So before creating, the owner's tasks on the
   customer made since the trigger are looked up by their title, which names the trigger
   (ticket or order number): a task found is adopted, not made again.
3. The task id on the row, ``care_visit.scheduled``, commit with the claim.

The customers service refusing the task (the owner deactivated, the customer gone) is not
retried: the visit is recorded without a task and logged, so the rest of the event (the
ticket's survey) is not dead-lettered with it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from kernel.clock import isoformat, utcnow
from kernel.errors import NotFound, PanoramaError
from kernel.ids import new_id
from kernel.replicas import CustomerRef
from sqlalchemy.dialects.postgresql import insert

from service_desk.contracts.care_visits import CARE_TIERS, CARE_VISIT_SCHEDULED, TITLE_PREFIX
from service_desk.handlers.replicas import CUSTOMERS
from service_desk.handlers.ticket_state import business_calendar
from service_desk.settings import service_desk_settings
from service_desk.storage.models import CareVisitRow
from service_desk.storage.unit import ServiceDeskUnit

log = logging.getLogger(__name__)

TITLE_MAX = 200
LOOKUP_PAGES = 10
CLOCK_SKEW = timedelta(minutes=10)  # between the trigger's clock and the customers service's


def cares_for(ref: CustomerRef) -> bool:
    return not ref.deleted and ref.get("value_tier") in CARE_TIERS


def _moment(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    return fallback


def after_ticket(
    unit: ServiceDeskUnit, ticket: dict[str, Any], resolved_at: datetime
) -> dict[str, Any] | None:
    title = f"{TITLE_PREFIX}{ticket.get('number')} {ticket.get('subject') or ''}".strip()
    return schedule(
        unit,
        trigger="ticket_resolved",
        trigger_id=str(ticket["id"]),
        customer_id=str(ticket["customer_id"]),
        since=resolved_at,
        days=service_desk_settings().care_visit_after_ticket_days,
        title=title,
    )


def after_order(unit: ServiceDeskUnit, order: dict[str, Any], occurred_at: datetime) -> dict[str, Any] | None:
    if not order.get("customer_id") or order.get("status") == "cancelled":
        return None
    placed = _moment(order.get("placed_at"), occurred_at)
    name = order.get("customer_name") or ""
    title = f"{TITLE_PREFIX}订单 {order.get('number') or order['id']} {name}".strip()
    return schedule(
        unit,
        trigger="order_placed",
        trigger_id=str(order["id"]),
        customer_id=str(order["customer_id"]),
        since=placed,
        days=service_desk_settings().care_visit_after_order_days,
        title=title,
    )


def schedule(
    unit: ServiceDeskUnit,
    *,
    trigger: str,
    trigger_id: str,
    customer_id: str,
    since: datetime,
    days: int,
    title: str,
) -> dict[str, Any] | None:
    """The care visit of one trigger (None: not a VIP/important customer, or scheduled before)."""
    try:
        ref = CUSTOMERS.ref(unit, customer_id)
    except NotFound:
        return None
    if not cares_for(ref):
        return None
    due_at = since + timedelta(days=days)
    due_on = due_at.astimezone(business_calendar().zone).date()
    now = utcnow()
    visit_id = unit.session.execute(
        insert(CareVisitRow)
        .values(
            id=new_id(),
            trigger=trigger,
            trigger_id=trigger_id,
            customer_id=customer_id,
            due_on=due_on,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["trigger", "trigger_id"])
        .returning(CareVisitRow.id)
    ).scalar()
    if visit_id is None:
        return None  # scheduled before: one per trigger
    row = unit.session.get(CareVisitRow, visit_id)
    assert row is not None
    title = title[:TITLE_MAX]
    task = _task_made_before(unit, ref, title, since) or _create_task(unit, ref, title, due_at)
    row.task_id = task["id"] if task else None
    state = {
        "id": row.id,
        "version": 1,
        "trigger": trigger,
        "trigger_id": trigger_id,
        "customer_id": customer_id,
        "customer_name": ref.name,
        "owner_id": ref.owner_id,
        "due_on": due_on.isoformat(),
        "task_id": row.task_id,
        "title": title,
    }
    unit.record("care_visit", "scheduled", state, customer_id=customer_id, event_type=CARE_VISIT_SCHEDULED)
    return state


def _task_made_before(
    unit: ServiceDeskUnit, ref: CustomerRef, title: str, since: datetime
) -> dict[str, Any] | None:
    """A task of this trigger made by an earlier attempt whose transaction did not commit."""
    cursor = None
    for _ in range(LOOKUP_PAGES):
        page = unit.customers.call(
            unit.caller,
            "list_tasks",
            filters={"customer_id": ref.id, "assignee_id": ref.owner_id},
            cursor=cursor,
            limit=50,
        )
        for task in page["items"]:  # newest first
            if task.get("title") == title:
                return dict(task)
            if _moment(task.get("created_at"), since) < since - CLOCK_SKEW:
                return None  # older than the trigger: no attempt of ours made it
        cursor = page.get("next_cursor")
        if not cursor:
            return None
    return None


def _create_task(
    unit: ServiceDeskUnit, ref: CustomerRef, title: str, due_at: datetime
) -> dict[str, Any] | None:
    data = {"customer_id": ref.id, "title": title, "due_at": isoformat(due_at), "assignee_id": ref.owner_id}
    try:
        task: dict[str, Any] = unit.customers.call(unit.caller, "create_task", data=data)
    except PanoramaError as exc:  # refused for good (owner inactive, customer gone): not retried
        log.warning(
            "care visit %r for customer %s: the customers service refused the task: %s", title, ref.id, exc
        )
        return None
    return task
