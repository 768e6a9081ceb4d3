"""Ownership transfer: a leaver's (or selected) customers move to another user, open tasks with them."""

from __future__ import annotations

from typing import Any

from kernel.clock import utcnow
from kernel.errors import FieldErrors, PermissionDenied, ValidationError

from customers import contracts as c
from customers.domain import rules
from customers.handlers.children import ChildSpec
from customers.handlers.common import active_user, changes, ownership
from customers.handlers.customers import republish_children
from customers.handlers.tasks import TASK
from customers.ports import CustomersUnit
from customers.storage import states


def _check(from_user_id: Any, to_user_id: Any, customer_ids: Any, reason: Any) -> None:
    errors = FieldErrors()
    for field, value in (("from_user_id", from_user_id), ("to_user_id", to_user_id)):
        if not isinstance(value, str) or not value:
            errors.add(field, "must be a non-empty string")
    if customer_ids is not None and (
        not isinstance(customer_ids, list) or not all(isinstance(i, str) for i in customer_ids)
    ):
        errors.add("customer_ids", "must be a list of customer ids")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        errors.add("reason", "must be a string of at most 500 characters")
    errors.raise_if_any()
    if from_user_id == to_user_id:
        raise ValidationError.for_field("to_user_id", "must differ from from_user_id")


def transfer_customers(
    unit: CustomersUnit,
    from_user_id: Any,
    to_user_id: Any,
    customer_ids: Any = None,
    reason: Any = None,
) -> dict[str, Any]:
    _check(from_user_id, to_user_id, customer_ids, reason)
    caller = unit.caller
    target = active_user(unit, to_user_id, "to_user_id")
    rows = unit.customers.owned_by(from_user_id, customer_ids)  # locked, by id
    if customer_ids is not None and len(rows) != len(set(customer_ids)):
        missing = ", ".join(sorted(set(customer_ids) - {r.id for r in rows}))
        message = f"not owned by {from_user_id}: {missing}"
        raise ValidationError(message, [{"field": "customer_ids", "message": message}])
    # A bulk hand-over names the previous owner, so refusing outright hides nothing.
    if not all(rules.can_write(caller, ownership(row)) for row in rows):
        raise PermissionDenied("you may only transfer customers you may change")
    if rows:
        rules.require_can_assign(caller, target.team_id, target.id)

    def inherit(spec: ChildSpec[Any], child: Any) -> dict[str, Any]:
        """Open work follows the customer: the new owner inherits the leaver's open tasks."""
        if spec is TASK and child.assignee_id == from_user_id and child.status == "open":
            return {"assignee_id": target.id}
        return {}

    for row in rows:
        before = states.customer_state(row)
        row.owner_id = target.id
        row.team_id = target.team_id
        row.version += 1
        row.updated_at = utcnow()
        state = states.customer_state(row)
        audit = changes(before, state)
        if reason:
            audit["reason"] = [None, reason]
        unit.record(
            "customer",
            "transferred",
            state,
            customer_id=row.id,
            changes=audit,
            event_type=c.CUSTOMER_TRANSFERRED,
        )
        republish_children(unit, row, inherit)
    return {
        "moved": len(rows),
        "customer_ids": [r.id for r in rows],
        "from_user_id": from_user_id,
        "to_user_id": target.id,
    }
