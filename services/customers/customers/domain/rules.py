"""Permission rules and small pure policies of the customer hub."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kernel.access import AccessPolicy
from kernel.audit import diff as diff  # the audit trail's change set, re-exported for the handlers
from kernel.errors import NotFound, PermissionDenied
from kernel.identity import Caller

from customers import contracts as c
from customers import policy


@dataclass(frozen=True)
class Ownership:
    owner_id: str
    team_id: str | None

    def state(self) -> dict[str, Any]:
        """What the customer-level policies read (the context every child carries too)."""
        return {"owner_id": self.owner_id, "team_id": self.team_id}


def can_read(caller: Caller, owned: Ownership, *, basics: bool = False) -> bool:
    """``basics``: the customer's core data (``policy.CUSTOMER``); otherwise its audit trail."""
    return (policy.CUSTOMER if basics else policy.AUDIT).can_read(caller, owned.state())


def can_write(caller: Caller, owned: Ownership) -> bool:
    return policy.can_write(caller, owned.state())


def _hidden(subject: str) -> NotFound:
    # The same answer as for a record that does not exist: a salesperson probing ids learns nothing
    # about a colleague's book of business (a 403 would confirm the customer exists).
    return NotFound(f"{subject} does not exist")


def require_read(
    caller: Caller,
    read: AccessPolicy,
    state: Mapping[str, Any],
    *,
    subject: str,
    customer: Ownership,
) -> None:
    """``read`` decides on ``state``; a caller who may see ``customer`` learns why not (403),
    anyone else gets the not-found answer. ``subject`` names the record asked for."""
    if read.can_read(caller, state):
        return
    if not can_read(caller, customer, basics=True):
        raise _hidden(subject)
    raise PermissionDenied("your role may not see this part of the customer's records")


def require_write(caller: Caller, owned: Ownership, *, subject: str, readable: bool = False) -> None:
    """``readable``: the caller may read the record itself (so refusing hides nothing)."""
    if can_write(caller, owned):
        return
    if not (readable or can_read(caller, owned, basics=True)):
        raise _hidden(subject)
    raise PermissionDenied("only the owner, their team manager or an admin may change this customer")


def require_can_create_customers(caller: Caller) -> None:
    if not (caller.is_admin or caller.has("manager") or caller.has("sales")):
        raise PermissionDenied("your role may not create customers")


def can_assign(caller: Caller, new_owner_team: str | None, new_owner_id: str) -> bool:
    """Who may make ``new_owner_id`` the owner (the rule is published in contracts for the UI)."""
    return c.may_assign(caller, new_owner_id, new_owner_team)


def require_can_assign(caller: Caller, new_owner_team: str | None, new_owner_id: str) -> None:
    if not can_assign(caller, new_owner_team, new_owner_id):
        raise PermissionDenied("you may not assign customers to that owner")
