"""Customers: create (with the duplicate check), read, update, delete, list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kernel.clock import utcnow
from kernel.cursor import page_limit
from kernel.errors import Conflict, ValidationError
from kernel.ids import new_id
from kernel.text import company_key
from kernel.writes import writes_once

from customers import policy
from customers.domain import inputs, rules
from customers.domain.fields import require_mapping
from customers.handlers import children
from customers.handlers.children import ChildSpec
from customers.handlers.common import (
    active_user,
    check_version,
    list_filters,
    load_customer,
    ownership,
    page,
    position,
    require_active,
)
from customers.handlers.common import changes as change_set
from customers.handlers.kinds import CHILDREN
from customers.ports import CustomerQuery, CustomersUnit, Namesake, Owner
from customers.storage import states
from customers.storage.models import CustomerRow, DirectoryUserRow

FILTERS = ("owner_id", "team_id", "status", "tag", "q")
DUPLICATES_SHOWN = 10


@writes_once  # reads, then one INSERT (row, event, audit line) at commit
def create_customer(unit: CustomersUnit, data: Any, force: bool = False) -> dict[str, Any]:
    caller = unit.caller
    rules.require_can_create_customers(caller)
    payload = require_mapping(data)
    if payload.get("owner_id") is None:
        payload = {**payload, "owner_id": caller.user_id}  # whoever creates it owns it
    values = inputs.clean_customer(payload)
    if not isinstance(force, bool):
        raise ValidationError.for_field("force", "must be true or false")
    key = company_key(values["name"])
    owner, namesakes, assumed = _owner_for_create(unit, values["owner_id"], key, force=force)
    rules.require_can_assign(caller, owner.team_id, owner.id)
    if assumed is None:
        guard_duplicates(unit, values.get("tax_id"), key, force=force, namesakes=namesakes)
    now = utcnow()
    row = CustomerRow(
        id=new_id(),
        name_key=key,
        team_id=owner.team_id,
        created_by=caller.user_id,
        created_at=now,
        updated_at=now,
        version=1,
        **values,
    )
    if assumed is None:
        unit.customers.insert(row)  # one statement with its event and audit line
    else:
        unit.customers.insert_if_unchanged(row, assumed)
    state = states.customer_state(row)
    unit.record("customer", "created", state, customer_id=row.id, changes=rules.diff({}, state))
    return state


def _owner_for_create(
    unit: CustomersUnit, owner_id: str, key: str, *, force: bool
) -> tuple[Owner | DirectoryUserRow, list[Namesake] | None, Owner | None]:
    """A create's owner, the customers named ``key`` when they were read with it, and the owner
    when it was assumed instead (remembered from an earlier create): the usual create then costs
    one round trip, its write checking that the owner is unchanged and the name still free. When
    the write finds otherwise, the call runs again, not optimistic, and reads them to answer."""
    if force or not key:
        return active_user(unit, owner_id, "owner_id"), None, None
    assumed = unit.customers.remembered_owner(owner_id) if unit.optimistic else None
    if assumed is not None and rules.can_assign(unit.caller, assumed.team_id, assumed.id):
        return assumed, [], assumed
    found, namesakes = unit.customers.owner_and_namesakes(owner_id, key, limit=DUPLICATES_SHOWN)
    return require_active(found, owner_id, "owner_id"), namesakes, None


def guard_duplicates(
    unit: CustomersUnit,
    tax_id: str | None,
    key: str,
    *,
    force: bool,
    exclude: str | None = None,
    namesakes: list[Namesake] | None = None,
) -> None:
    """Refuse a taken tax id, and a likely duplicate name unless forced (``namesakes``: the
    customers named ``key``, when the caller read them already).

    The answer names an existing customer (name, id, owner) only to a caller who may read it:
    a duplicate check must not become a way to browse another team's book of business.
    """
    caller = unit.caller

    def visible(row: CustomerRow | Namesake) -> bool:
        return rules.can_read(caller, ownership(row), basics=True)

    if tax_id:
        existing = unit.customers.with_tax_id(tax_id, exclude=exclude)
        if existing is not None:
            if visible(existing):
                raise Conflict(
                    f"tax id {tax_id} already belongs to {existing.name} ({existing.id})",
                    [{"field": "tax_id", "message": "already used", "existing_id": existing.id}],
                )
            raise Conflict(
                "a customer with this tax id exists", [{"field": "tax_id", "message": "already used"}]
            )
    if force or not key:
        return
    candidates: Sequence[CustomerRow | Namesake] = (
        namesakes
        if namesakes is not None
        else unit.customers.with_name_key(key, exclude=exclude, limit=DUPLICATES_SHOWN)
    )
    if not candidates:
        return
    shown = [r for r in candidates if visible(r)]
    named = [f"{r.name} ({r.id})" for r in shown]
    if len(shown) < len(candidates):
        named.append(
            "a customer you cannot see" if len(shown) + 1 == len(candidates) else "customers you cannot see"
        )
    raise Conflict(
        f"possible duplicate of existing customers: {', '.join(named)}; pass force=true to create anyway",
        [
            {
                "field": "name",
                "message": "possible duplicate",
                "candidates": [{"id": r.id, "name": r.name, "owner_id": r.owner_id} for r in shown],
            }
        ],
    )


def get_customer(unit: CustomersUnit, customer_id: Any) -> dict[str, Any]:
    row = load_customer(unit, customer_id)
    state = states.customer_state(row)
    rules.require_read(
        unit.caller, policy.CUSTOMER, state, subject=f"customer {row.id}", customer=ownership(row)
    )
    return state


def update_customer(
    unit: CustomersUnit, customer_id: Any, changes: Any, expected_version: Any = None, force: bool = False
) -> dict[str, Any]:
    values = inputs.clean_customer(changes, partial=True)
    row = load_customer(unit, customer_id, lock=True)
    rules.require_write(unit.caller, ownership(row), subject=f"customer {row.id}")
    check_version(row, expected_version)
    before = states.customer_state(row)
    if "name" in values or "tax_id" in values:
        key = company_key(values.get("name") or row.name)
        renamed = "name" in values and key != row.name_key
        guard_duplicates(unit, values.get("tax_id"), key if renamed else "", force=force, exclude=row.id)
        row.name_key = key
    if not rules.diff(before, {**before, **values}):
        return before  # nothing changed: no version bump, no event
    for field, value in values.items():
        setattr(row, field, value)
    row.version += 1
    row.updated_at = utcnow()
    state = states.customer_state(row)
    unit.record("customer", "updated", state, customer_id=row.id, changes=change_set(before, state))
    if before["name"] != state["name"]:
        republish_children(unit, row)
    return state


def republish_children(
    unit: CustomersUnit,
    customer: CustomerRow,
    values_for: Callable[[ChildSpec[Any], Any], dict[str, Any]] = lambda spec, child: {},
) -> None:
    """Children carry the customer's name and ownership: publish their new state too, changing
    ``values_for(spec, child)`` on the way (a transfer hands open tasks to the new owner).

    Locks the children after the customer, kind by kind, each by id: the one lock order.
    """
    for spec in CHILDREN:
        for child in spec.repository(unit).of_customer(customer.id, lock=True):
            children.change(spec, unit, customer, child, values_for(spec, child))


def delete_customer(unit: CustomersUnit, customer_id: Any, expected_version: Any = None) -> dict[str, Any]:
    row = load_customer(unit, customer_id, lock=True)
    rules.require_write(unit.caller, ownership(row), subject=f"customer {row.id}")
    check_version(row, expected_version)
    # Children go with the customer (ON DELETE CASCADE); each gets its tombstone. Locked in the
    # one order (kind by kind, by id); tombstoned tasks and follow-ups first, so no contact's
    # tombstone precedes one of a follow-up citing it.
    doomed = [(spec, spec.repository(unit).of_customer(row.id, lock=True)) for spec in CHILDREN]
    for spec, rows in reversed(doomed):
        for child in rows:
            gone = states.tombstone(child.id, row.id, child.version + 1)
            unit.record(spec.kind, "deleted", gone, customer_id=row.id)
    gone = states.tombstone(row.id, row.id, row.version + 1)
    unit.record("customer", "deleted", gone, customer_id=row.id, changes={"name": [row.name, None]})
    unit.customers.delete(row)
    return gone


def list_customers(
    unit: CustomersUnit, filters: Any = None, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    size = page_limit(limit)
    after = position(cursor)
    filters, errors = list_filters(filters, FILTERS)
    for key, value in filters.items():
        if key in FILTERS and value is not None and (not isinstance(value, str) or len(value) > 200):
            errors.add(f"filters.{key}", "must be a string of at most 200 characters")
    errors.raise_if_any()
    query = CustomerQuery(unit.caller, **{k: v or None for k, v in filters.items()})
    rows = unit.customers.page(query, after, size + 1)
    return page([states.customer_state(r) for r in rows[:size]], rows, size)
