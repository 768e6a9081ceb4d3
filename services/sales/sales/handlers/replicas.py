"""What sales keeps of other services' state: the gateway's users and the customers' names,
owners and teams (``customer_refs``), from their events; an RPC read fills a gap.

Every sales record carries its customer's name (search shows it) and owner (the "shared" grant),
so when a customer is renamed or changes hands, its open sales records are re-published: each
area registers how (``REPUBLISHERS``), keeping this module free of their details.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from kernel.clock import utcnow
from kernel.envelope import Envelope
from kernel.errors import NotFound, PermissionDenied
from kernel.identity_events import user_state_of
from sqlalchemy import select

from sales import policy
from sales.storage.models import CustomerRefRow, DirectoryUserRow
from sales.storage.unit import SalesUnit

# area → re-publish every record of a customer after its ref changed (name, owner, team)
REPUBLISHERS: list[Callable[[SalesUnit, CustomerRefRow], None]] = []


def customer_ref(unit: SalesUnit, customer_id: Any, *, field: str = "customer_id") -> CustomerRefRow:
    """The customer as sales knows it; read from the customers service (as the caller, so its
    read check applies) when no event has told us yet."""
    if not isinstance(customer_id, str) or not customer_id:
        from kernel.errors import ValidationError

        raise ValidationError.for_field(field, "must be a non-empty string")
    row = unit.session.get(CustomerRefRow, customer_id)
    if row is None:
        state = unit.customers.get_customer(unit.caller, customer_id)
        row = _store(unit, state)
    if row.deleted:
        raise NotFound(f"customer {customer_id} does not exist")
    return row


def customer_names(unit: SalesUnit, customer_ids: Collection[str]) -> dict[str, str]:
    """Customer id → name for a page of records (one query; unknown ids are left out)."""
    if not customer_ids:
        return {}
    rows = unit.session.execute(
        select(CustomerRefRow.id, CustomerRefRow.name).where(CustomerRefRow.id.in_(set(customer_ids)))
    )
    return {row.id: row.name for row in rows}


def writable_customer(unit: SalesUnit, customer_id: Any, *, field: str = "customer_id") -> CustomerRefRow:
    """A customer the caller may sell on: its owner, the team's manager, an admin."""
    row = customer_ref(unit, customer_id, field=field)
    state = {"owner_id": row.owner_id, "team_id": row.team_id}
    if not policy.can_write(unit.caller, state):
        raise PermissionDenied(f"you may not sell on customer {customer_id}")
    return row


def customer_changed(unit: SalesUnit, event: Envelope) -> None:
    """``customer.*`` from customers.events (claimed and version-checked by the consumer)."""
    data = event.data
    row = unit.session.get(CustomerRefRow, event.aggregate.id, with_for_update=True)
    if data.get("deleted"):
        if row is not None:
            row.deleted = True
            row.version = event.aggregate.version
            row.updated_at = utcnow()
        return
    before = None if row is None else (row.name, row.owner_id, row.team_id)
    row = _store(unit, {**data, "id": event.aggregate.id, "version": event.aggregate.version})
    if before is not None and before != (row.name, row.owner_id, row.team_id):
        for republish in REPUBLISHERS:
            republish(unit, row)


def _store(unit: SalesUnit, state: dict[str, Any]) -> CustomerRefRow:
    row = unit.session.get(CustomerRefRow, state["id"], with_for_update=True)
    version = int(state.get("version") or 0)
    if row is None:
        row = CustomerRefRow(id=state["id"], version=0)
        unit.session.add(row)
    elif version and row.version > version:
        return row  # an RPC read older than what events already told us
    row.name = state["name"]
    row.owner_id = state["owner_id"]
    row.team_id = state.get("team_id")
    row.deleted = False
    row.version = max(version, row.version)
    row.updated_at = utcnow()
    unit.session.flush()
    return row


def user_upserted(unit: SalesUnit, event: Envelope) -> None:
    user = user_state_of(event)
    row = unit.session.get(DirectoryUserRow, user.id, with_for_update=True)
    if row is None:
        row = DirectoryUserRow(id=user.id)
        unit.session.add(row)
    row.username = user.username
    row.display_name = user.display_name
    row.team_id = user.team_id
    row.roles = list(user.roles)
    row.active = user.active
    row.updated_at = utcnow()
