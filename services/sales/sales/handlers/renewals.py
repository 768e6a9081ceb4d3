"""Renewal opportunities: an order with a service period is renewed by a new opportunity for the
same customer, owner and amount, due ``lead_days`` before the period ends.

One per order, whatever the deliveries: the consumer's event-id claim stops a redelivered event,
and the UNIQUE ``renewal_of_order_id`` stops a second event for the same order (a re-published
``order.placed``, two consumers racing) — the insert sits in a savepoint, so losing that race
is a quiet no-op, not a failed event.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kernel.clock import utcnow
from kernel.consumer import PoisonEvent
from kernel.envelope import Envelope
from kernel.errors import NotFound
from kernel.ids import new_id
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sales.contracts.opportunities import MAX_LEN, RENEWAL_TITLE_PREFIX
from sales.handlers import replicas
from sales.handlers.opportunities import insert_opportunity
from sales.storage.models import OpportunityRow
from sales.storage.unit import SalesUnit


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def renewal_title(unit: SalesUnit, order: dict[str, Any]) -> str:
    original = None
    if isinstance(order.get("opportunity_id"), str):
        original = unit.session.get(OpportunityRow, order["opportunity_id"])
    name = original.title if original is not None else str(order.get("number") or order["id"])
    if name.startswith(RENEWAL_TITLE_PREFIX):
        name = name[len(RENEWAL_TITLE_PREFIX) :]  # the renewal of a renewal is still 续约: <deal>
    return (RENEWAL_TITLE_PREFIX + name)[: MAX_LEN["title"]]


def create_renewal(unit: SalesUnit, event: Envelope, lead_days: int) -> dict[str, Any] | None:
    """The renewal of the order in ``event`` (``order.placed``); None when there is nothing to
    renew (no service period) or it exists already."""
    order = event.data
    order_id = order.get("id") or event.aggregate.id
    service_end = _day(order.get("service_end"))
    if service_end is None or _day(order.get("service_start")) is None:
        return None
    missing = [k for k in ("customer_id", "owner_id", "amount_minor", "currency") if order.get(k) is None]
    if missing:  # no retry can fix the event: straight to the dead-letter queue, with the reason
        raise PoisonEvent(f"order.placed {order_id} lacks {', '.join(missing)}")
    exists = unit.session.scalar(
        select(OpportunityRow.id).where(OpportunityRow.renewal_of_order_id == order_id)
    )
    if exists is not None:
        return None
    try:
        customer = replicas.customer_ref(unit, order["customer_id"])
    except NotFound:
        return None  # the customer is gone: nothing to renew
    now = utcnow()
    row = OpportunityRow(
        id=new_id(),
        customer_id=customer.id,
        customer_owner_id=customer.owner_id,
        title=renewal_title(unit, order),
        owner_id=order["owner_id"],
        team_id=order.get("team_id"),
        amount_minor=int(order["amount_minor"]),
        currency=order["currency"],
        expected_close_date=service_end - timedelta(days=lead_days),
        stage="qualification",
        stage_changed_at=now,
        renewal_of_order_id=order_id,
        notes=f"订单 {order.get('number') or order_id} 服务期至 {service_end.isoformat()} 的续约",
        created_by=unit.caller.user_id,
        created_at=now,
        updated_at=now,
        version=1,
    )
    try:
        with unit.session.begin_nested():
            return insert_opportunity(unit, row)
    except IntegrityError:
        return None  # another delivery created it first (UNIQUE renewal_of_order_id)
