"""Receivables from sales orders: ``order.placed`` / ``order.updated`` / ``order.cancelled``.

Every order event carries the order's full state, so the three share one move: bring the order's
receivables (one per instalment, UNIQUE (order_id, seq)) in line with that state.

- Redelivery and replays: the consumer's event-id claim and per-order version mark stop a
  duplicate or an older version before it gets here; ``order_version`` on each row is the second
  lock (an order event whose version is not newer than what a row holds leaves that row alone),
  and the unique (order_id, seq) makes a racing second insert fail the transaction, not double it.
- Out of order: an ``order.updated`` arriving before its ``order.placed`` creates what is missing
  (the older ``order.placed`` is then stale and skipped), so the ledger ends the same either way.
- Re-planning never un-settles money: an instalment cut below what was already paid or written
  off keeps the settled amount (it becomes paid) and its audit line says by how much the order
  now bills less than was settled (``over_settled_minor``) — finance decides on a refund or a
  credit, the consumer never moves money on its own.
- Cancelling stops billing what is not settled (``ledger.cancel``): an instalment with nothing
  settled, or only part of it, becomes ``cancelled`` with its amount cut to the settled part; a
  fully paid or written-off instalment stays as it is (money received is not undone by a sales
  cancellation; a refund is a separate, deliberate step).

Every change goes through ``receivable_state.publish`` (event + audit line, actor = the event's
actor).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from kernel.audit import Changes
from kernel.clock import utcnow
from kernel.consumer import PoisonEvent
from kernel.envelope import Envelope
from kernel.errors import NotFound, PanoramaError, ValidationError
from kernel.ids import new_id
from kernel.replicas import CustomerRef
from pydantic import ValidationError as SchemaError
from sales.contracts.deals import ORDER_CANCELLED, Order
from sqlalchemy import select

from finance.contracts.receivables import RECEIVABLE_CREATED
from finance.domain import ledger
from finance.handlers import credit_risk, receivable_state
from finance.handlers.receivable_state import balance_of
from finance.handlers.replicas import CUSTOMERS
from finance.storage.models import ReceivableRow
from finance.storage.unit import FinanceUnit

log = logging.getLogger(__name__)

_CURRENCY_LEN = 3


# -- reading the order ------------------------------------------------------------------------------
def plan_of(event: Envelope) -> tuple[Order, dict[int, tuple[date, int]]]:
    """The order and its instalments by seq; an event no retry can fix is a poison event.

    Amounts are checked as sent, before the contract model reads them: pydantic would quietly
    take ``100.0`` for 100, and money is never a float here.
    """
    raw = event.data.get("instalments")
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        amount = item.get("amount_minor") if isinstance(item, dict) else None
        try:
            ledger.require_minor(amount, f"instalments.{index}.amount_minor")
        except ValidationError as exc:
            raise PoisonEvent(f"{event.type} {event.aggregate.id}: {exc.errors[0]}") from None
    try:
        order = Order.model_validate(event.data)
    except SchemaError as exc:
        raise PoisonEvent(f"{event.type} {event.aggregate.id}: not an order: {exc}") from None
    if len(order.currency) != _CURRENCY_LEN or not order.currency.isupper():
        raise PoisonEvent(f"{event.type} {order.id}: currency {order.currency!r} is not an ISO code")
    plan: dict[int, tuple[date, int]] = {}
    for item in order.instalments:
        try:
            due = date.fromisoformat(item.due_date[:10])
        except ValueError as exc:
            raise PoisonEvent(f"{event.type} {order.id}: instalment {item.seq}: {exc}") from None
        if item.seq in plan:
            raise PoisonEvent(f"{event.type} {order.id}: instalment {item.seq} appears twice")
        plan[item.seq] = (due, item.amount_minor)
    return order, plan


def _customer(unit: FinanceUnit, order: Order, customer_id: str) -> tuple[str, str | None]:
    """(name, owner) of the order's customer: the replica (customers' own events keep it fresh),
    filled over RPC the first time. A customer deleted since still owes what it owes, and an
    unreachable customers service must not hold up the books: both fall back to the name and
    owner the order carries."""
    try:
        ref: CustomerRef = CUSTOMERS.ref(unit, customer_id)
        return ref.name, ref.owner_id
    except NotFound:
        held = CUSTOMERS.held(unit.session, customer_id)
        if held is not None:
            return held.name, held.owner_id
    except PanoramaError:
        raise
    except Exception as exc:  # the customers service is down or slow: the order's copy will do
        log.warning("customer %s not read (%s); using the order's copy of it", customer_id, exc)
    return order.customer_name or customer_id, order.customer_owner_id


def _rows(unit: FinanceUnit, order_id: str) -> dict[int, ReceivableRow]:
    found = unit.session.scalars(
        select(ReceivableRow)
        .where(ReceivableRow.order_id == order_id)
        .order_by(ReceivableRow.id)  # the lock order payments use too
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.seq: row for row in found}


# -- the use cases (one per event type, one move underneath) ---------------------------------------
def order_placed(unit: FinanceUnit, event: Envelope, today: date | None = None) -> list[dict[str, Any]]:
    """One receivable per instalment of the placed order."""
    return apply_order(unit, event, today)


def order_updated(unit: FinanceUnit, event: Envelope, today: date | None = None) -> list[dict[str, Any]]:
    """Re-plan: instalments added, removed, moved or re-priced."""
    return apply_order(unit, event, today)


def order_cancelled(unit: FinanceUnit, event: Envelope, today: date | None = None) -> list[dict[str, Any]]:
    """Stop billing what is not settled."""
    return apply_order(unit, event, today)


def apply_order(unit: FinanceUnit, event: Envelope, today: date | None = None) -> list[dict[str, Any]]:
    """Bring the order's receivables in line with the order state in ``event``; the states
    published (one per receivable changed). ``today``: the business day (overdue days, buckets)."""
    today = today or receivable_state.business_today()
    order, plan = plan_of(event)
    version = event.aggregate.version
    cancelled = event.type == ORDER_CANCELLED or order.status == "cancelled"
    existing = _rows(unit, order.id)
    if any(row.order_version >= version for row in existing.values()):
        return []  # the ledger already reflects this version of the order, or a newer one
    published: list[dict[str, Any]] = []
    for seq, row in sorted(existing.items()):
        if cancelled or seq not in plan:
            state = _cancel(unit, row, version, today, removed=not cancelled)
        else:
            state = _replan(unit, row, order, plan[seq], version, today)
        if state is not None:
            published.append(state)
    if not cancelled:
        missing = [seq for seq in sorted(plan) if seq not in existing]
        if missing:
            if not order.customer_id:
                raise PoisonEvent(f"{event.type} {order.id}: the order names no customer")
            name, customer_owner = _customer(unit, order, order.customer_id)
            for seq in missing:
                made = _create(unit, order, seq, plan[seq], version, name, customer_owner, today)
                published.append(made)
    if published and order.customer_id:
        # A cancelled or re-planned order changes what is overdue: the customer's risk follows.
        credit_risk.refresh_customer_risk(unit, order.customer_id, today=today)
    return published


def _create(
    unit: FinanceUnit,
    order: Order,
    seq: int,
    instalment: tuple[date, int],
    version: int,
    customer_name: str,
    customer_owner_id: str | None,
    today: date,
) -> dict[str, Any]:
    due, amount = instalment
    now = utcnow()
    row = ReceivableRow(
        id=new_id(),
        order_id=order.id,
        order_number=order.number,
        seq=seq,
        customer_id=order.customer_id,
        customer_name=customer_name,
        customer_owner_id=customer_owner_id,
        owner_id=order.owner_id,
        team_id=order.team_id,
        due_date=due,
        currency=order.currency,
        amount_minor=amount,
        paid_minor=0,
        written_off_minor=0,
        status="open",
        order_version=version,
        version=0,
        created_at=now,
        updated_at=now,
    )
    unit.session.add(row)
    unit.session.flush()  # a racing duplicate fails here, on UNIQUE (order_id, seq)
    return receivable_state.publish(unit, row, event_type=RECEIVABLE_CREATED, today=today)


def _replan(
    unit: FinanceUnit,
    row: ReceivableRow,
    order: Order,
    instalment: tuple[date, int],
    version: int,
    today: date,
) -> dict[str, Any] | None:
    due, wanted = instalment
    before = balance_of(row)
    settled = before.paid + before.written_off
    changes: Changes = {}
    row.order_version = version
    reinstated = row.cancelled_at is not None  # an instalment removed earlier is back in the plan
    row.cancelled_at = None
    billed = max(wanted, settled)  # never bill less than what is already settled
    if billed != row.amount_minor:
        row.amount_minor = ledger.replan(before, billed).amount
        changes["amount_minor"] = [before.amount, billed]
    if wanted < settled:
        changes["over_settled_minor"] = [None, settled - wanted]
        log.warning(
            "order %s instalment %s now bills %s but %s is settled: kept the settled amount",
            order.id,
            row.seq,
            wanted,
            settled,
        )
    if due != row.due_date:
        changes["due_date"] = [row.due_date.isoformat(), due.isoformat()]
        row.due_date = due
        _forget_announced_bucket(row, today)
    if order.currency != row.currency:
        if settled:
            raise PoisonEvent(
                f"order {order.id} moved instalment {row.seq} from {row.currency} to {order.currency} "
                "after money was settled against it"
            )
        changes["currency"] = [row.currency, order.currency]
        row.currency = order.currency
    for field, value in (
        ("order_number", order.number),
        ("owner_id", order.owner_id),
        ("team_id", order.team_id),
    ):
        if getattr(row, field) != value:
            changes[field] = [getattr(row, field), value]
            setattr(row, field, value)
    if reinstated:
        changes["status"] = ["cancelled", ledger.status_of(balance_of(row))]
    if not changes:
        return None  # the order changed elsewhere (another instalment, its title): nothing to say here
    return receivable_state.publish(unit, row, changes=changes, today=today)


def _cancel(
    unit: FinanceUnit, row: ReceivableRow, version: int, today: date, *, removed: bool
) -> dict[str, Any] | None:
    row.order_version = version
    if row.cancelled_at is not None:
        return None
    before = balance_of(row)
    if before.outstanding == 0:
        return None  # paid or written off: money settled stays settled
    after = ledger.cancel(before)
    row.amount_minor = after.amount
    row.cancelled_at = utcnow()
    old_status = row.status
    changes: Changes = {
        "status": [old_status, "cancelled"],
        "amount_minor": [before.amount, after.amount],
        "reason": [None, "instalment removed from the order" if removed else "order cancelled"],
    }
    return receivable_state.publish(unit, row, changes=changes, today=today)


def _forget_announced_bucket(row: ReceivableRow, today: date) -> None:
    """A due date moved later un-announces the buckets it is no longer in (the overdue timer
    announces them again if it gets there)."""
    actual = ledger.bucket_of(ledger.overdue_days(row.due_date, today, row.status))
    if ledger.bucket_rank(actual) < ledger.bucket_rank(row.overdue_bucket):
        row.overdue_bucket = actual
        if actual is None:
            row.overdue_since = None


# -- the customer's name or owner changed ----------------------------------------------------------
def republish_customer(unit: FinanceUnit, ref: CustomerRef) -> None:
    """Receivables carry their customer's name (search) and owner (the "shared" read grant)."""
    rows = unit.session.scalars(
        select(ReceivableRow)
        .where(ReceivableRow.customer_id == ref.id)
        .order_by(ReceivableRow.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for row in rows:
        changes: Changes = {}
        if row.customer_name != ref.name:
            changes["customer_name"] = [row.customer_name, ref.name]
            row.customer_name = ref.name
        if row.customer_owner_id != ref.owner_id:
            changes["customer_owner_id"] = [row.customer_owner_id, ref.owner_id]
            row.customer_owner_id = ref.owner_id
        if changes:
            receivable_state.publish(unit, row, changes=changes)


if republish_customer not in CUSTOMERS.republishers:
    CUSTOMERS.republishers.append(republish_customer)
