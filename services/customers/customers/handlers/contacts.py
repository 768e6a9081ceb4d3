"""Contacts: one primary contact per customer; a deleted contact is cleared from its follow-ups."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from customers import policy
from customers.domain import inputs
from customers.handlers import children
from customers.handlers.children import ChildSpec
from customers.handlers.follow_ups import FOLLOW_UP
from customers.ports import CustomersUnit
from customers.storage import states
from customers.storage.models import ContactRow, CustomerRow


def _one_primary(unit: CustomersUnit, customer: CustomerRow, row: ContactRow) -> None:
    """The newest primary wins: the previous one is demoted, published and audited like any change."""
    if not row.is_primary:
        return
    for other in unit.contacts.primaries(customer.id):
        if other.id != row.id:
            children.change(CONTACT, unit, customer, other, {"is_primary": False})


def _clear_follow_ups(unit: CustomersUnit, customer: CustomerRow, row: ContactRow) -> None:
    """Follow-ups keep their history without the contact; each one's new state is published."""
    for follow_up in unit.follow_ups.citing(row.id):
        children.change(FOLLOW_UP, unit, customer, follow_up, {"contact_id": None})
    unit.flush()  # the follow-ups let go of the contact before the contact's DELETE is sent


CONTACT: ChildSpec[ContactRow] = ChildSpec(
    kind="contact",
    clean=inputs.clean_contact,
    model=ContactRow,
    state=states.contact_state,
    repository=attrgetter("contacts"),
    read=policy.CONTACT,
    after_write=_one_primary,
    before_delete=_clear_follow_ups,
)


def create_contact(unit: CustomersUnit, customer_id: Any, data: Any) -> dict[str, Any]:
    return children.create(CONTACT, unit, customer_id, CONTACT.clean(data))


def get_contact(unit: CustomersUnit, contact_id: Any) -> dict[str, Any]:
    return children.get(CONTACT, unit, contact_id)


def update_contact(
    unit: CustomersUnit, contact_id: Any, changes: Any, expected_version: Any = None
) -> dict[str, Any]:
    return children.update(CONTACT, unit, contact_id, changes, expected_version)


def delete_contact(unit: CustomersUnit, contact_id: Any, expected_version: Any = None) -> dict[str, Any]:
    return children.delete(CONTACT, unit, contact_id, expected_version)


def list_contacts(
    unit: CustomersUnit, customer_id: Any, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    return children.list_of(CONTACT, unit, customer_id, cursor, limit)
