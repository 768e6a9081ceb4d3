"""Follow-ups: the customer's timeline (newest first by when it happened); may cite a contact."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from kernel.clock import utcnow
from kernel.errors import ValidationError

from customers import policy
from customers.domain import inputs
from customers.domain.fields import require_mapping
from customers.handlers import children
from customers.handlers.children import ChildSpec
from customers.ports import CustomersUnit
from customers.storage import states
from customers.storage.models import CustomerRow, FollowUpRow


def _contact_of_customer(unit: CustomersUnit, customer: CustomerRow, values: dict[str, Any]) -> None:
    if values.get("contact_id"):
        contact = unit.contacts.get(values["contact_id"])
        if contact is None or contact.customer_id != customer.id:
            raise ValidationError.for_field("contact_id", "is not a contact of this customer")


FOLLOW_UP: ChildSpec[FollowUpRow] = ChildSpec(
    kind="follow_up",
    clean=inputs.clean_follow_up,
    model=FollowUpRow,
    state=states.follow_up_state,
    repository=attrgetter("follow_ups"),
    read=policy.FOLLOW_UP,
    links=_contact_of_customer,
    cursor=lambda state: {"t": state["occurred_at"], "id": state["id"]},
    timeline=True,
)


def create_follow_up(unit: CustomersUnit, customer_id: Any, data: Any) -> dict[str, Any]:
    payload = require_mapping(data)
    if payload.get("occurred_at") is None:
        payload = {**payload, "occurred_at": utcnow()}  # logged as it happens unless told otherwise
    values = FOLLOW_UP.clean(payload)
    values["author_id"] = unit.caller.user_id
    return children.create(FOLLOW_UP, unit, customer_id, values)


def get_follow_up(unit: CustomersUnit, follow_up_id: Any) -> dict[str, Any]:
    return children.get(FOLLOW_UP, unit, follow_up_id)


def update_follow_up(
    unit: CustomersUnit, follow_up_id: Any, changes: Any, expected_version: Any = None
) -> dict[str, Any]:
    return children.update(FOLLOW_UP, unit, follow_up_id, changes, expected_version)


def delete_follow_up(unit: CustomersUnit, follow_up_id: Any, expected_version: Any = None) -> dict[str, Any]:
    return children.delete(FOLLOW_UP, unit, follow_up_id, expected_version)


def list_follow_ups(
    unit: CustomersUnit, customer_id: Any, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    return children.list_of(FOLLOW_UP, unit, customer_id, cursor, limit)
