"""What one create costs the database: the statements it sends, and that the combined write still
lands every row (customer, its event in the outbox, its audit line) in one transaction."""

from __future__ import annotations

from typing import Any

import pytest
from customers.app import CustomerHub
from customers.storage.models import audit_log, outbox
from customers_testkit import SALES1
from kernel.envelope import Envelope
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

pytestmark = pytest.mark.integration


@pytest.fixture
def statements(sessions: sessionmaker[Session]) -> Any:
    engine = sessions.kw["bind"]
    sent: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", before)
    yield sent
    event.remove(engine, "before_cursor_execute", before)


def test_a_create_sends_one_read_and_one_write(
    hub: CustomerHub, sessions: sessionmaker[Session], statements: list[str]
) -> None:
    hub.create_customer(SALES1, {"name": "热身贸易有限公司"})  # the pool's connection, warmed
    statements.clear()

    state = hub.create_customer(SALES1, {"name": "福州闽江贸易有限公司", "tags": ["bench"]})

    assert [s.split(" ")[0] for s in statements] == ["SELECT", "WITH"], statements
    assert "FROM directory_users" in statements[0] and "LATERAL" in statements[0]  # owner, namesakes
    combined = statements[1]  # the customer, its audit line and its event
    for table in ("customers", "audit_log", "outbox"):
        assert f"INSERT INTO {table} " in combined
    assert hub.get_customer(SALES1, state["id"]) == state  # as the create answered, tags and all
    with sessions() as session:
        bodies = session.scalars(select(outbox.c.body).order_by(outbox.c.seq)).all()
        lines = session.execute(
            select(audit_log.c.entity_id, audit_log.c.action).where(audit_log.c.entity_id == state["id"])
        ).all()
    created = Envelope.from_json(bodies[-1])
    assert (created.type, created.aggregate.id, created.data["name"]) == (
        "customer.created",
        state["id"],
        "福州闽江贸易有限公司",
    )
    assert [tuple(line) for line in lines] == [(state["id"], "created")]


def test_events_of_one_unit_keep_their_order_in_the_outbox(
    hub: CustomerHub, sessions: sessionmaker[Session]
) -> None:
    state = hub.create_customer(SALES1, {"name": "厦门鹭岛科技有限公司"})
    for n in range(3):
        state = hub.update_customer(SALES1, state["id"], {"region": f"region {n}"})
    hub.delete_customer(SALES1, state["id"])

    with sessions() as session:
        bodies = session.scalars(select(outbox.c.body).order_by(outbox.c.seq)).all()
        actions = session.scalars(
            select(audit_log.c.action).where(audit_log.c.entity_id == state["id"]).order_by(audit_log.c.id)
        ).all()
    versions = [Envelope.from_json(b).aggregate.version for b in bodies]
    assert versions == sorted(versions) and len(versions) == 5
    assert actions == ["created", "updated", "updated", "updated", "deleted"]
