"""Issue 8 §2.4: moving a user to another team re-scopes the customers they own (and their
children's search ACL), through the service's ``identity`` ``user.upserted`` handler on the real
PostgreSQL: once per event, in version order."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from customers.service import CustomersService
from customers.storage.models import CustomerRow, DirectoryUserRow, audit_log, consumer, outbox
from customers_testkit import MANAGER, SALES1
from kernel.consumer import DeadLetter
from kernel.envelope import Envelope
from kernel.errors import NotFound, PermissionDenied, ValidationError
from kernel.identity import SYSTEM, Caller
from kernel.identity_events import user_upserted
from nameko.testing.services import worker_factory
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

MANAGER_SOUTH = Caller("u-manager-south", ("manager",), "team-south")
SALES1_STATE = {"id": "u-sales1", "username": "sales1", "display_name": "Sales One", "roles": ["sales"]}


@pytest.fixture
def svc(hub, sessions: sessionmaker[Session]) -> Any:
    hub.upsert_user(
        SYSTEM,
        {
            "id": MANAGER_SOUTH.user_id,
            "username": "manager.south",
            "team_id": "team-south",
            "roles": ["manager"],
            "version": 1,
        },
    )
    return worker_factory(CustomersService, db=sessions)


def moved(version: int, team_id: str | None, **extra: Any) -> dict[str, Any]:
    """The payload identity.events delivers when sales1's state is at ``version``."""
    state = {**SALES1_STATE, "team_id": team_id, "active": True, "version": version, **extra}
    return user_upserted(state, actor_id="u-admin").model_dump(mode="json")


def events(sessions: sessionmaker[Session]) -> list[Envelope]:
    with sessions() as session:
        return [Envelope.from_json(b) for b in session.scalars(select(outbox.c.body).order_by(outbox.c.seq))]


def customer_row(sessions: sessionmaker[Session], customer_id: str) -> CustomerRow:
    with sessions() as session:
        row = session.get(CustomerRow, customer_id)
        assert row is not None
        return row


@pytest.fixture
def book(svc) -> dict[str, str]:
    """sales1's customer in team-east, with a contact, a follow-up and a task."""
    me = SALES1.to_payload()
    customer = svc.create_customer(me, {"name": "东方重工有限公司"})
    contact = svc.create_contact(me, customer["id"], {"name": "王伟", "phones": ["13800138000"]})
    follow_up = svc.create_follow_up(me, customer["id"], {"channel": "call", "content": "报价已发"})
    task = svc.create_task(
        me, {"customer_id": customer["id"], "title": "回访", "due_at": "2030-01-01T09:00:00Z"}
    )
    return {
        "customer": customer["id"],
        "contact": contact["id"],
        "follow_up": follow_up["id"],
        "task": task["id"],
    }


def test_moving_the_owner_moves_their_customers_and_the_search_acl(svc, sessions, book) -> None:
    assert svc.get_customer(MANAGER.to_payload(), book["customer"])["team_id"] == "team-east"
    before = len(events(sessions))

    assert svc.on_identity_user_upserted(moved(2, "team-south")) == "applied"

    row = customer_row(sessions, book["customer"])
    assert (row.team_id, row.version, row.owner_id) == ("team-south", 2, "u-sales1")
    # The old manager loses the customer, the new one gains it.
    with pytest.raises((NotFound, PermissionDenied)):
        svc.get_customer(MANAGER.to_payload(), book["customer"])
    assert svc.get_customer(MANAGER_SOUTH.to_payload(), book["customer"])["team_id"] == "team-south"
    # Every record search indexes carries the new team (its ACL), at a new version.
    emitted = {e.aggregate.id: e for e in events(sessions)[before:]}
    assert emitted[book["customer"]].type == "customer.updated"
    assert emitted[book["customer"]].actor.user_id == "u-admin"
    for kind in ("customer", "contact", "follow_up", "task"):
        assert emitted[book[kind]].data["team_id"] == "team-south", kind
        assert emitted[book[kind]].aggregate.version == 2, kind
    assert len(emitted) == 4
    with sessions() as session:
        audit = session.execute(
            select(audit_log).where(
                audit_log.c.customer_id == book["customer"], audit_log.c.action == "updated"
            )
        ).one()
        assert audit.actor_id == "u-admin" and audit.changes["team_id"] == ["team-east", "team-south"]
        user = session.get(DirectoryUserRow, "u-sales1")
        assert user is not None and user.team_id == "team-south"


def test_redelivery_and_older_versions_change_nothing(svc, sessions, book) -> None:
    move = moved(2, "team-south")
    assert svc.on_identity_user_upserted(move) == "applied"
    after_move = len(events(sessions))

    assert svc.on_identity_user_upserted(move) == "duplicate"  # the broker redelivering
    assert svc.on_identity_user_upserted(moved(1, "team-east")) == "stale"  # late, out of order
    assert svc.on_identity_user_upserted(moved(2, "team-east")) == "stale"  # same version, other id

    assert len(events(sessions)) == after_move
    row = customer_row(sessions, book["customer"])
    assert (row.team_id, row.version) == ("team-south", 2)
    with sessions() as session:
        user = session.get(DirectoryUserRow, "u-sales1")
        assert user is not None and user.team_id == "team-south"


def test_a_change_that_keeps_the_team_re_scopes_nothing(svc, sessions, book) -> None:
    before = len(events(sessions))
    assert svc.on_identity_user_upserted(moved(2, "team-east", display_name="晓明")) == "applied"
    assert len(events(sessions)) == before
    assert customer_row(sessions, book["customer"]).version == 1
    with sessions() as session:
        user = session.get(DirectoryUserRow, "u-sales1")
        assert user is not None and user.display_name == "晓明"


def test_the_move_applies_even_when_the_rpc_push_updated_the_directory_first(
    svc, hub, sessions, book
) -> None:
    # The gateway's immediate RPC push (kept for now) can land before the event.
    hub.upsert_user(SYSTEM, {**SALES1_STATE, "team_id": "team-south", "version": 2})
    assert svc.on_identity_user_upserted(moved(2, "team-south")) == "applied"
    assert customer_row(sessions, book["customer"]).team_id == "team-south"


def test_leaving_every_team_leaves_only_the_owner_and_admins(svc, sessions, book) -> None:
    assert svc.on_identity_user_upserted(moved(2, None)) == "applied"
    assert customer_row(sessions, book["customer"]).team_id is None
    with pytest.raises((NotFound, PermissionDenied)):
        svc.get_customer(MANAGER.to_payload(), book["customer"])
    assert svc.get_customer(SALES1.to_payload(), book["customer"])["team_id"] is None


def test_only_the_moved_users_customers_change(svc, sessions, book) -> None:
    other = svc.create_customer(MANAGER.to_payload(), {"name": "西部物流有限公司"})
    assert svc.on_identity_user_upserted(moved(2, "team-south")) == "applied"
    assert customer_row(sessions, other["id"]).team_id == "team-east"
    with sessions() as session:
        owned = session.scalar(
            select(func.count()).select_from(CustomerRow).where(CustomerRow.team_id == "team-south")
        )
    assert owned == 1


def push(hub: Any, version: int, team_id: str | None, caller: Caller = SYSTEM) -> Any:
    """The gateway's RPC push (UserRecord.replica()): ``upsert_user``, version-aware."""
    state = {**SALES1_STATE, "team_id": team_id, "active": True, "version": version}
    return hub.upsert_user(caller, state)


def directory_team(sessions: sessionmaker[Session]) -> str | None:
    with sessions() as session:
        user = session.get(DirectoryUserRow, "u-sales1")
        assert user is not None
        return user.team_id


def test_a_late_rpc_push_cannot_undo_a_newer_event(svc, hub, sessions, book) -> None:
    assert svc.on_identity_user_upserted(moved(3, "team-south")) == "applied"
    push(hub, 2, "team-east")  # read before the move, delivered after it
    assert directory_team(sessions) == "team-south"
    push(hub, 4, "team-north")  # ahead of the events: the fast path applies it...
    assert directory_team(sessions) == "team-north"
    # ...and the event of that version still arrives, applies and re-scopes the customers.
    assert svc.on_identity_user_upserted(moved(4, "team-north")) == "applied"
    assert customer_row(sessions, book["customer"]).team_id == "team-north"


def test_rpc_push_is_checked(sessions, hub) -> None:
    with pytest.raises(PermissionDenied):
        push(hub, 2, "team-east", caller=SALES1)
    with pytest.raises(ValidationError) as raised:
        hub.upsert_user(SYSTEM, {"id": "u-x", "roles": "sales"})
    assert {e["field"] for e in raised.value.errors} >= {"user.username", "user.roles", "user.version"}


def test_a_failing_apply_rolls_back_the_claim_with_the_units_changes(svc, sessions, book) -> None:
    """The claim and version mark are written in the handler's unit of work: when applying
    fails (here after the replica row was written), none of it commits."""
    bad = moved(2, "team-south")
    bad["data"]["version"] = 3  # disagrees with the envelope: found only inside the handler
    with pytest.raises(DeadLetter):
        svc.on_identity_user_upserted(bad)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(consumer.processed_events)) == 0
        assert session.scalar(select(func.count()).select_from(consumer.consumed_versions)) == 0
    assert customer_row(sessions, book["customer"]).team_id == "team-east"
    # The same version, well-formed, still applies: nothing of the failed attempt was kept.
    assert svc.on_identity_user_upserted(moved(2, "team-south")) == "applied"


def test_the_rpc_push_and_the_event_of_a_new_user_racing_both_succeed(svc, hub, sessions) -> None:
    """Seeding pushes a new user over RPC while its ``user.upserted`` is applied: both find no
    row, and without a lock on the absent id the second INSERT failed (a duplicate key, a 500
    to whoever seeded)."""
    barrier = threading.Barrier(2)

    def pushed(state: dict[str, Any]) -> Any:
        barrier.wait()
        return hub.upsert_user(SYSTEM, state)

    def applied(state: dict[str, Any]) -> Any:
        barrier.wait()
        return svc.on_identity_user_upserted(user_upserted(state, actor_id="u-admin").model_dump(mode="json"))

    with ThreadPoolExecutor(2) as pool:
        for n in range(12):
            state = {**SALES1_STATE, "id": f"u-race-{n}", "username": f"race{n}", "team_id": "team-east",
                     "active": True, "version": 1}  # fmt: skip
            results = [pool.submit(pushed, state), pool.submit(applied, state)]
            assert results[0].result(timeout=30)["username"] == f"race{n}"
            assert results[1].result(timeout=30) == "applied"
    with sessions() as session:
        raced = session.scalar(
            select(func.count()).select_from(DirectoryUserRow).where(DirectoryUserRow.id.like("u-race-%"))
        )
    assert raced == 12
