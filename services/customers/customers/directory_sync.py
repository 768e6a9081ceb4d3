"""The directory replica, fed by ``identity`` ``user.upserted``, and the records that follow a user.

A customer's ``team_id`` is its owner's team (managers see their team's customers; search filters
on it). When the owner moves to another team, every customer they own is re-scoped in the same
transaction as the directory change: new ``team_id``, new version, an audit row, a
``customer.updated`` event, and its children re-emitted (they carry the customer's ``team_id`` for
the search ACL). The rule is state-based, not diff-based ("owned customers whose team differs from
the owner's"), so it holds however the directory row got its current value (the RPC push of the
same change may have arrived first) and a repeat finds nothing left to do.

Called by the consumer (``kernel.event_handlers``) inside the transaction that claims the event,
so the claim, the replica and the re-scoped records commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from kernel.clock import utcnow
from kernel.consumer import held_version
from kernel.envelope import Envelope
from kernel.errors import FieldErrors, PermissionDenied
from kernel.identity import Caller
from kernel.identity_events import USER_AGGREGATE, UserState, user_state_of
from pydantic import ValidationError as SchemaError
from sqlalchemy import select
from sqlalchemy.orm import Session

from customers import contracts as c
from customers.domain import rules
from customers.storage import states
from customers.storage.models import CustomerRow, DirectoryUserRow, consumer

RESCOPED_ACTION = "updated"  # an audit action the UI already labels


class RecordEvents(Protocol):
    """The service's audit-and-emit step (today CustomerHub's; the kernel unit of work's next)."""

    def audit(
        self, session: Session, actor: Caller, customer_id: str, kind: str, entity_id: str, action: str,
        changes: dict[str, list[Any]],
    ) -> None: ...  # fmt: skip

    def emit(
        self, session: Session, actor: Caller, event_type: str, kind: str, data: dict[str, Any]
    ) -> None: ...

    def reemit_children(self, session: Session, actor: Caller, customer: CustomerRow) -> None: ...


@dataclass(frozen=True)
class UserSynced:
    user_id: str
    team_id: str | None
    rescoped_customer_ids: list[str]


def apply_user_upserted(session: Session, event: Envelope, records: RecordEvents) -> UserSynced:
    """Apply one ``user.upserted`` (already claimed and version-checked by the consumer)."""
    user = user_state_of(event)
    upsert_directory_user(session, user)
    # The admin who moved the user made these changes: the audit trail names them.
    actor = Caller(user_id=event.actor.user_id, roles=("system",))
    moved = rescope_owned_customers(session, user.id, user.team_id, actor, records)
    return UserSynced(user_id=user.id, team_id=user.team_id, rescoped_customer_ids=moved)


def apply_user_push(session: Session, caller: Caller, payload: Any) -> dict[str, Any]:
    """The gateway's ``upsert_user`` RPC push, unable to undo a newer event.

    The push is a fast path (the replica knows a new user before their event arrives); the event
    stays the authority: the push applies only above the version the events have reached, and
    never moves that mark, so the event of the same version still arrives, applies and re-scopes.
    """
    if not caller.is_admin:
        raise PermissionDenied("only the gateway (system) or an admin maintains the directory")
    try:
        user = UserState.model_validate(payload)
    except SchemaError as exc:
        errors = FieldErrors()
        for problem in exc.errors():
            errors.add("user." + ".".join(str(p) for p in problem["loc"]), problem["msg"])
        errors.raise_if_any()
        raise
    # Locking the replica row first: an event applying this user now has committed (its mark
    # is then visible below) or will write after us.
    row = session.get(DirectoryUserRow, user.id, with_for_update=True)
    held = held_version(session, consumer.consumed_versions, USER_AGGREGATE, user.id)
    if row is None or held is None or user.version > held:
        row = upsert_directory_user(session, user)
    return states.user_state(row)


def upsert_directory_user(session: Session, user: UserState) -> DirectoryUserRow:
    row = session.get(DirectoryUserRow, user.id, with_for_update=True)
    if row is None:
        row = DirectoryUserRow(id=user.id)
        session.add(row)
    row.username = user.username
    row.display_name = user.display_name
    row.team_id = user.team_id
    row.roles = list(user.roles)
    row.active = user.active
    row.updated_at = utcnow()
    return row


def rescope_owned_customers(
    session: Session, owner_id: str, team_id: str | None, actor: Caller, records: RecordEvents
) -> list[str]:
    """Give every customer of ``owner_id`` the owner's ``team_id``; returns the ids changed."""
    rows = list(
        session.scalars(
            select(CustomerRow)
            .where(CustomerRow.owner_id == owner_id, CustomerRow.team_id.is_distinct_from(team_id))
            .order_by(CustomerRow.id)  # one lock order for concurrent re-scopes
            .with_for_update()
        )
    )
    for row in rows:
        before = states.customer_state(row)
        row.team_id = team_id
        row.version += 1
        row.updated_at = utcnow()
        session.flush()
        state = states.customer_state(row)
        changes = {k: v for k, v in rules.diff(before, state).items() if k not in {"version", "updated_at"}}
        changes["reason"] = [None, "owner moved to another team"]
        records.audit(session, actor, row.id, "customer", row.id, RESCOPED_ACTION, changes)
        records.emit(session, actor, c.CUSTOMER_UPDATED, "customer", state)
        records.reemit_children(session, actor, row)
    return [r.id for r in rows]


class HubRecordEvents:
    """RecordEvents over CustomerHub's audit/emit/re-emit (until the kernel unit of work lands)."""

    def __init__(self, hub: Any) -> None:
        self.hub = hub

    def audit(
        self, session: Session, actor: Caller, customer_id: str, kind: str, entity_id: str, action: str,
        changes: dict[str, list[Any]],
    ) -> None:  # fmt: skip
        self.hub._audit(session, actor, customer_id, kind, entity_id, action, changes)

    def emit(self, session: Session, actor: Caller, event_type: str, kind: str, data: dict[str, Any]) -> None:
        self.hub._emit(session, actor, event_type, kind, data)

    def reemit_children(self, session: Session, actor: Caller, customer: CustomerRow) -> None:
        self.hub._reemit_children(session, actor, customer)
