"""What contacts, follow-ups and tasks share: one spec per kind, one set of generic use cases.

A ``ChildSpec`` says how a kind differs (model, state, cleaner, links to other records, hooks);
the functions below are the create/get/update/delete/list every kind gets from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from kernel.access import AccessPolicy
from kernel.clock import utcnow
from kernel.cursor import encode_cursor, page_limit
from kernel.errors import NotFound
from kernel.identity import Caller
from kernel.ids import new_id

from customers import policy
from customers.domain import rules
from customers.handlers.common import (
    changes,
    check_version,
    load_customer,
    ownership,
    page,
    position,
    require_id,
)
from customers.ports import Children, CustomersUnit
from customers.storage import states
from customers.storage.models import ContactRow, CustomerRow, FollowUpRow, TaskRow

C = TypeVar("C", ContactRow, FollowUpRow, TaskRow)

Hook = Callable[[CustomersUnit, CustomerRow, Any], None]


def _no_hook(unit: CustomersUnit, customer: CustomerRow, row: Any) -> None:
    return None


def _set_fields(row: Any, values: dict[str, Any]) -> None:
    for key, value in values.items():
        setattr(row, key, value)


@dataclass(frozen=True)
class ChildSpec(Generic[C]):
    kind: str  # aggregate type, event prefix, RPC name part ("follow_up")
    model: type[C]
    state: Callable[[C, CustomerRow], dict[str, Any]]
    # payload -> cleaned values (``partial`` for an update), e.g. ``inputs.clean_contact``
    clean: Callable[..., dict[str, Any]]
    repository: Callable[[CustomersUnit], Children[C]]
    # who reads a record of this kind (``customers.policy``): get, lists and search agree on it
    read: AccessPolicy
    # refs in ``values`` to other records (contact of this customer, active user): raise or return
    links: Callable[[CustomersUnit, CustomerRow, dict[str, Any]], None] = lambda unit, customer, values: None
    # how an update's values land on the row (derived fields, e.g. a task's completed_at)
    apply: Callable[[C, dict[str, Any]], None] = _set_fields
    # after a create or update is recorded (e.g. demote the previous primary contact)
    after_write: Hook = _no_hook
    # before a delete is recorded (e.g. clear the follow-ups citing a contact)
    before_delete: Hook = _no_hook
    # keyset position of a listed item (the follow-up timeline pages by when it happened)
    cursor: Callable[[dict[str, Any]], dict[str, Any]] = lambda state: {"id": state["id"]}
    timeline: bool = False
    # who, besides the customer's writers, may make this change (the assignee closes their task)
    may_change: Callable[[Caller, dict[str, Any], set[str]], bool] = lambda caller, state, fields: False

    def load(self, unit: CustomersUnit, entity_id: Any, *, lock: bool = False) -> C:
        row = self.repository(unit).get(require_id(entity_id, f"{self.kind}_id"), lock=lock)
        if row is None:
            raise NotFound(f"{self.kind} {entity_id} does not exist")
        return row

    def load_for_write(self, unit: CustomersUnit, entity_id: Any) -> tuple[CustomerRow, C]:
        """Customer first, then the child: the one lock order that cannot deadlock with a rename."""
        customer_id = self.load(unit, entity_id).customer_id
        customer = load_customer(unit, customer_id, lock=True)
        row = self.load(unit, entity_id, lock=True)
        return customer, row


def own_fields(state: dict[str, Any]) -> dict[str, Any]:
    """A child's own fields, without the customer context it carries."""
    return {k: v for k, v in state.items() if k not in {"customer_name", "owner_id", "team_id"}}


def create(
    spec: ChildSpec[C], unit: CustomersUnit, customer_id: Any, values: dict[str, Any]
) -> dict[str, Any]:
    customer = load_customer(unit, customer_id, lock=True)
    rules.require_write(unit.caller, ownership(customer), subject=f"customer {customer.id}")
    spec.links(unit, customer, values)
    now = utcnow()
    row = spec.model(
        id=new_id(), customer_id=customer.id, created_at=now, updated_at=now, version=1, **values
    )
    spec.repository(unit).add(row)
    state = spec.state(row, customer)
    unit.record(
        spec.kind, "created", state, customer_id=customer.id, changes=rules.diff({}, own_fields(state))
    )
    spec.after_write(unit, customer, row)
    return state


def get(spec: ChildSpec[C], unit: CustomersUnit, entity_id: Any) -> dict[str, Any]:
    row = spec.load(unit, entity_id)
    customer = load_customer(unit, row.customer_id)
    state = spec.state(row, customer)
    rules.require_read(
        unit.caller, spec.read, state, subject=f"{spec.kind} {row.id}", customer=ownership(customer)
    )
    return state


def update(
    spec: ChildSpec[C], unit: CustomersUnit, entity_id: Any, payload: Any, expected_version: Any
) -> dict[str, Any]:
    values = spec.clean(payload, partial=True)
    customer, row = spec.load_for_write(unit, entity_id)
    before = spec.state(row, customer)
    # what would really change (a form sends every field back): the assignee's "done" from the
    # edit page is still only a status change
    changing = {key for key, value in values.items() if getattr(row, key, None) != value}
    if not spec.may_change(unit.caller, before, changing):
        rules.require_write(
            unit.caller,
            ownership(customer),
            subject=f"{spec.kind} {row.id}",
            readable=spec.read.can_read(unit.caller, before),
        )
    check_version(row, expected_version)
    spec.links(unit, customer, values)
    spec.apply(row, values)
    row.version += 1
    row.updated_at = utcnow()
    state = spec.state(row, customer)
    unit.record(spec.kind, "updated", state, customer_id=customer.id, changes=changes(before, state))
    spec.after_write(unit, customer, row)
    return state


def change(
    spec: ChildSpec[C], unit: CustomersUnit, customer: CustomerRow, row: C, values: dict[str, Any]
) -> dict[str, Any]:
    """A change the service makes on its own (a demotion, a cleared link): recorded like any other.

    With no ``values`` the row is only re-published (its customer's name or owner changed): a new
    version for the read models, no audit line, ``updated_at`` left alone.
    """
    before = spec.state(row, customer)
    _set_fields(row, values)
    row.version += 1
    if values:
        row.updated_at = utcnow()
    state = spec.state(row, customer)
    unit.record(spec.kind, "updated", state, customer_id=customer.id, changes=changes(before, state))
    return state


def delete(spec: ChildSpec[C], unit: CustomersUnit, entity_id: Any, expected_version: Any) -> dict[str, Any]:
    customer, row = spec.load_for_write(unit, entity_id)
    rules.require_write(
        unit.caller,
        ownership(customer),
        subject=f"{spec.kind} {row.id}",
        readable=spec.read.can_read(unit.caller, spec.state(row, customer)),
    )
    check_version(row, expected_version)
    spec.before_delete(unit, customer, row)
    gone = states.tombstone(row.id, customer.id, row.version + 1)
    unit.record(spec.kind, "deleted", gone, customer_id=customer.id)
    spec.repository(unit).delete(row)
    return gone


def list_of(
    spec: ChildSpec[C], unit: CustomersUnit, customer_id: Any, cursor: Any, limit: Any
) -> dict[str, Any]:
    size = page_limit(limit)
    after = position(cursor, timeline=spec.timeline)
    customer = load_customer(unit, customer_id)
    # The whole list at once: the kind's policy reads only what its records take from the customer.
    if not spec.read.fields <= policy.CUSTOMER_CONTEXT:
        raise TypeError(f"{spec.kind} records are not listed per customer: their access is per record")
    context = {"customer_id": customer.id, "owner_id": customer.owner_id, "team_id": customer.team_id}
    rules.require_read(
        unit.caller, spec.read, context, subject=f"customer {customer.id}", customer=ownership(customer)
    )
    rows = spec.repository(unit).page(customer.id, after, size + 1)
    items = [spec.state(r, customer) for r in rows[:size]]
    result = page(items, rows, size)
    if result["next_cursor"] is not None:
        result["next_cursor"] = encode_cursor(spec.cursor(items[-1]))
    return result
