"""The directory replica: the gateway's users, kept here to validate owners and assignees locally,
and the records that follow a user when they move to another team (issue 8 §2.4).

The authority is ``identity`` ``user.upserted`` (``user_upserted``), consumed by the kernel's
idempotent handler: the event's claim and version check commit in the same unit of work as the
replica row and the re-scoped records. A customer's ``team_id`` is its owner's team (managers see
their team's customers; search filters on it), so when the owner moves, every customer they own
gets the new ``team_id`` through ``unit.record`` (new version, audit line, ``customer.updated``)
and its children are re-published (they carry the customer's ``team_id`` for the search ACL).
The rule is state-based ("owned customers whose team differs from the owner's"), so it holds
however the replica got its current value (the RPC push may have arrived first), and a repeat
finds nothing left to do.

``upsert_user`` is the gateway's RPC push of the same state (a fast path: the replica knows a new
user before their event arrives). It applies only above the version the events have reached and
never moves that mark, so it cannot undo a newer event and the event of its version still applies.
"""

from __future__ import annotations

from typing import Any

from kernel.clock import utcnow
from kernel.envelope import Envelope
from kernel.errors import FieldErrors, PermissionDenied
from kernel.identity_events import UserState, user_state_of
from pydantic import ValidationError as SchemaError

from customers.domain.fields import require_mapping
from customers.handlers.common import changes
from customers.handlers.customers import republish_children
from customers.ports import CustomersUnit
from customers.storage import states
from customers.storage.models import DirectoryUserRow

RESCOPED_REASON = "owner moved to another team"


def user_upserted(unit: CustomersUnit, event: Envelope) -> list[str]:
    """Apply one ``user.upserted`` (claimed and version-checked in this unit by the consumer);
    returns the ids of the customers re-scoped."""
    user = user_state_of(event)
    _store(unit, user)
    return rescope_owned_customers(unit, user.id, user.team_id)


def upsert_user(unit: CustomersUnit, user: Any) -> dict[str, Any]:
    if not unit.caller.is_admin:
        raise PermissionDenied("only the gateway (system) or an admin maintains the directory")
    state = _parse(require_mapping(user, "user"))
    # The replica row first (locked, even before it exists): an event applying this user now has
    # committed (its mark is then visible below) or writes after us.
    row = unit.users.get_for_upsert(state.id)
    held = unit.users.event_version(state.id)
    if row is None or held is None or state.version > held:
        row = _store(unit, state)
    return states.user_state(row)


def rescope_owned_customers(unit: CustomersUnit, owner_id: str, team_id: str | None) -> list[str]:
    """Give every customer of ``owner_id`` the owner's ``team_id``; returns the ids changed."""
    rows = unit.customers.owned_outside_team(owner_id, team_id)  # locked by id, before any child
    for row in rows:
        before = states.customer_state(row)
        row.team_id = team_id
        row.version += 1
        row.updated_at = utcnow()
        state = states.customer_state(row)
        audit = changes(before, state)
        audit["reason"] = [None, RESCOPED_REASON]
        unit.record("customer", "updated", state, customer_id=row.id, changes=audit)
        republish_children(unit, row)
    return [r.id for r in rows]


def _parse(payload: dict[str, Any]) -> UserState:
    try:
        return UserState.model_validate({"active": True, **payload})
    except SchemaError as exc:
        errors = FieldErrors()
        for problem in exc.errors():
            errors.add("user." + ".".join(str(p) for p in problem["loc"]), problem["msg"])
        errors.raise_if_any()
        raise


def _store(unit: CustomersUnit, user: UserState) -> DirectoryUserRow:
    row = unit.users.get_for_upsert(user.id)
    if row is None:
        row = DirectoryUserRow(id=user.id)
        unit.users.add(row)
    row.username = user.username
    row.display_name = user.display_name
    row.team_id = user.team_id
    row.roles = list(user.roles)
    row.active = user.active
    row.updated_at = utcnow()
    return row
