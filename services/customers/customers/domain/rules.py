"""Permission rules and small pure policies of the customer hub."""

from __future__ import annotations

from dataclasses import dataclass

from kernel.audit import diff as diff  # the audit trail's change set, re-exported for the handlers
from kernel.errors import NotFound, PermissionDenied
from kernel.identity import Caller

from customers import contracts as c


@dataclass(frozen=True)
class Ownership:
    owner_id: str
    team_id: str | None


def can_read(caller: Caller, owned: Ownership, *, basics: bool = False) -> bool:
    """``basics``: customer core data and contacts, which finance and support may see."""
    if caller.is_admin or caller.user_id == owned.owner_id:
        return True
    if caller.has("manager") and caller.team_id is not None and caller.team_id == owned.team_id:
        return True
    return basics and (caller.has("finance") or caller.has("support"))


def can_write(caller: Caller, owned: Ownership) -> bool:
    if caller.is_admin:
        return True
    if caller.has("manager") and caller.team_id is not None and caller.team_id == owned.team_id:
        return True
    return caller.has("sales") and caller.user_id == owned.owner_id


def _hidden(subject: str) -> NotFound:
    # The same answer as for a record that does not exist: a salesperson probing ids learns nothing
    # about a colleague's book of business (a 403 would confirm the customer exists).
    return NotFound(f"{subject} does not exist")


def require_read(caller: Caller, owned: Ownership, *, subject: str, basics: bool = False) -> None:
    """``subject`` names the record asked for ("customer <id>", "contact <id>") in the not-found answer."""
    if can_read(caller, owned, basics=basics):
        return
    if not can_read(caller, owned, basics=True):
        raise _hidden(subject)
    raise PermissionDenied("your role may not see this part of the customer's records")


def require_write(caller: Caller, owned: Ownership, *, subject: str) -> None:
    if can_write(caller, owned):
        return
    if not can_read(caller, owned, basics=True):
        raise _hidden(subject)
    raise PermissionDenied("only the owner, their team manager or an admin may change this customer")


def require_can_create_customers(caller: Caller) -> None:
    if not (caller.is_admin or caller.has("manager") or caller.has("sales")):
        raise PermissionDenied("your role may not create customers")


def require_can_assign(caller: Caller, new_owner_team: str | None, new_owner_id: str) -> None:
    """Who may make ``new_owner_id`` the owner (the rule is published in contracts for the UI)."""
    if not c.may_assign(caller, new_owner_id, new_owner_team):
        raise PermissionDenied("you may not assign customers to that owner")
