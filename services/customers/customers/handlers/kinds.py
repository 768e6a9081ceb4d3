"""The child kinds of a customer, in lock order (a rename or transfer locks them in this order)."""

from __future__ import annotations

from typing import Any

from customers.handlers.children import ChildSpec
from customers.handlers.contacts import CONTACT
from customers.handlers.follow_ups import FOLLOW_UP
from customers.handlers.tasks import TASK

CHILDREN: tuple[ChildSpec[Any], ...] = (CONTACT, FOLLOW_UP, TASK)
BY_KIND: dict[str, ChildSpec[Any]] = {spec.kind: spec for spec in CHILDREN}
