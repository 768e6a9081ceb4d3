"""What sales keeps of other services' state (``kernel.replicas``): the gateway's users and the
customers' names, owners and teams, from their events; an RPC read fills a gap.

Every sales record carries its customer's name (search shows it) and owner (the "shared" grant),
so when a customer is renamed or changes hands, its open sales records are re-published: each
area registers how (``REPUBLISHERS``), keeping this module free of their details.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from kernel.envelope import Envelope
from kernel.errors import PermissionDenied
from kernel.replicas import CustomerRef, CustomerReplica
from kernel.replicas import user_upserted as store_user

from sales import policy
from sales.storage.models import CustomerRefRow, DirectoryUserRow
from sales.storage.unit import SalesUnit

CUSTOMERS = CustomerReplica(CustomerRefRow.__table__)  # type: ignore[arg-type]
# area → re-publish every record of a customer after its ref changed (name, owner, team)
REPUBLISHERS: list[Callable[[Any, CustomerRef], None]] = CUSTOMERS.republishers


def customer_ref(unit: SalesUnit, customer_id: Any, *, field: str = "customer_id") -> CustomerRef:
    """The customer as sales knows it; read from the customers service (as the caller, so its
    read check applies) when no event has told us yet."""
    return CUSTOMERS.ref(unit, customer_id, field=field)


def customer_names(unit: SalesUnit, customer_ids: Collection[str]) -> dict[str, str]:
    """Customer id → name for a page of records (one query; unknown ids are left out)."""
    return CUSTOMERS.names(unit.session, customer_ids)


def writable_customer(unit: SalesUnit, customer_id: Any, *, field: str = "customer_id") -> CustomerRef:
    """A customer the caller may sell on: its owner, the team's manager, an admin."""
    ref = customer_ref(unit, customer_id, field=field)
    if not policy.can_write(unit.caller, {"owner_id": ref.owner_id, "team_id": ref.team_id}):
        raise PermissionDenied(f"you may not sell on customer {customer_id}")
    return ref


def customer_changed(unit: SalesUnit, event: Envelope) -> None:
    """``customer.*`` from customers.events (claimed and version-checked by the consumer)."""
    CUSTOMERS.changed(unit, event)


def user_upserted(unit: SalesUnit, event: Envelope) -> None:
    store_user(unit.session, DirectoryUserRow.__table__, event)  # type: ignore[arg-type]
