"""What one create costs the database: the statements it sends, and that the combined write still
lands every row (customer, its event in the outbox, its audit line) in one transaction."""

from __future__ import annotations

from typing import Any

import pytest
from customers.app import CustomerHub
from customers.storage.models import CustomerRow, audit_log, outbox
from customers.storage.repositories import SqlCustomersUnit, sql_units
from customers_testkit import SALES1
from kernel.clock import utcnow
from kernel.db import make_engine, make_sessionmaker
from kernel.envelope import Envelope
from kernel.ids import new_id
from kernel.testing import captured_statements
from kernel.writes import writes_once
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

pytestmark = pytest.mark.integration


@pytest.fixture
def solo(hub: CustomerHub, sessions: sessionmaker[Session]) -> Any:
    """(hub, sessions) on an engine of one pooled connection: consecutive units share one server
    session, and so its prepared statements (the suite's engine hands out several in turn)."""
    engine = make_engine(sessions.kw["bind"].url.render_as_string(hide_password=False), pool_size=1)
    solo_sessions = make_sessionmaker(engine)
    yield CustomerHub(solo_sessions), solo_sessions
    engine.dispose()


@pytest.fixture
def statements(sessions: sessionmaker[Session]) -> Any:
    with captured_statements(sessions.kw["bind"]) as sent:
        yield sent


@pytest.fixture
def autocommit(sessions: sessionmaker[Session]) -> Any:
    """Per statement: was the driver in autocommit (no BEGIN sent before it, no COMMIT after)?"""
    engine = sessions.kw["bind"]
    seen: list[bool] = []

    def before(conn: Any, cursor: Any, *args: Any) -> None:
        seen.append(bool(cursor.connection.autocommit))

    event.listen(engine, "before_cursor_execute", before)
    yield seen
    event.remove(engine, "before_cursor_execute", before)


def test_a_create_sends_one_read_and_one_write(solo: Any) -> None:
    hub, sessions = solo
    with captured_statements(sessions.kw["bind"]) as statements:
        hub.create_customer(SALES1, {"name": "热身贸易有限公司"})  # the pool's connection, warmed
        warm_up = list(statements)
        statements.clear()
        state = hub.create_customer(SALES1, {"name": "福州闽江贸易有限公司", "tags": ["bench"]})

    # The combined write is prepared once per server session, then only executed.
    assert [s.split(" ")[0] for s in warm_up] == ["SELECT", "PREPARE", "EXECUTE"], warm_up
    assert [s.split(" ")[0] for s in statements] == ["SELECT", "EXECUTE"], statements
    assert "FROM directory_users" in statements[0] and "LATERAL" in statements[0]  # owner, namesakes
    name = statements[1].split(" ")[1].split("(")[0]
    assert warm_up[2].startswith(f"EXECUTE {name}(") and warm_up[1].startswith(f"PREPARE {name} AS WITH")
    combined = warm_up[1]  # the customer, its audit line and its event
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


def test_a_create_runs_without_a_transaction_block_and_the_next_unit_has_one(
    hub: CustomerHub, autocommit: list[bool]
) -> None:
    # psycopg2 sends BEGIN in a round trip of its own; a create's one write needs neither it nor
    # COMMIT (the read sees what it would in a READ COMMITTED transaction, the write is atomic).
    state = hub.create_customer(SALES1, {"name": "泉州刺桐贸易有限公司"})
    assert len(autocommit) in (2, 3) and all(autocommit)  # 3: the write prepared on a new connection
    autocommit.clear()
    hub.update_customer(SALES1, state["id"], {"region": "south"})  # the same pooled connection
    assert autocommit and not any(autocommit)  # a unit that is not writes_once: one transaction


def _customer_row(name: str) -> CustomerRow:
    now = utcnow()
    return CustomerRow(
        id=new_id(),
        name=name,
        name_key=name,
        status="active",
        value_tier="normal",
        owner_id=SALES1.user_id,
        team_id=SALES1.team_id,
        created_by=SALES1.user_id,
        created_at=now,
        updated_at=now,
        version=1,
    )


def test_a_writes_once_use_case_that_writes_through_the_session_writes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    units = sql_units(sessions)

    @writes_once
    def add_then_record(unit: SqlCustomersUnit, name: str) -> None:
        row = _customer_row(name)
        unit.customers.add(row)  # a session write: not atomic with the commit's statement
        unit.customers.with_name_key(name, exclude=None, limit=1)  # would autoflush it
        unit.record("customer", "created", {"id": row.id, "version": 1}, customer_id=row.id)

    @writes_once
    def insert_then_flush(unit: SqlCustomersUnit, name: str) -> None:
        row = _customer_row(name)
        unit.customers.insert(row)
        unit.record("customer", "created", {"id": row.id, "version": 1}, customer_id=row.id)
        unit.flush()

    for work, name in ((add_then_record, "莆田湄洲贸易"), (insert_then_flush, "宁德三都贸易")):
        with pytest.raises(RuntimeError, match="writes_once"):
            units.run(SALES1, work, name)
        with sessions() as session:
            assert session.scalars(select(CustomerRow).where(CustomerRow.name == name)).all() == []


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


def test_without_prepared_writes_the_combined_write_is_sent_whole(
    hub: CustomerHub, sessions: sessionmaker[Session]
) -> None:
    # kernel.db.PREPARED_WRITES off (behind a transaction-mode pooler): one WITH ... INSERT.
    engine = make_engine(
        sessions.kw["bind"].url.render_as_string(hide_password=False), pool_size=1, prepared_writes=False
    )
    plain = CustomerHub(make_sessionmaker(engine))  # ``hub`` put the users in the directory
    try:
        with captured_statements(engine) as sent:
            state = plain.create_customer(SALES1, {"name": "南平武夷贸易有限公司"})
        assert [s.split(" ")[0] for s in sent] == ["SELECT", "WITH"], sent
        assert plain.get_customer(SALES1, state["id"])["name"] == "南平武夷贸易有限公司"
    finally:
        engine.dispose()


def test_a_failed_write_leaves_the_statement_prepared_for_the_next_one(solo: Any) -> None:
    hub, sessions = solo
    units = sql_units(sessions)

    @writes_once
    def insert(unit: SqlCustomersUnit, row: CustomerRow) -> None:
        unit.customers.insert(row)
        unit.record("customer", "created", {"id": row.id, "version": 1}, customer_id=row.id)

    first = _customer_row("三明沙溪贸易")  # no tags given: the column's Python default, []
    units.run(SALES1, insert, first)
    assert hub.get_customer(SALES1, first.id)["tags"] == []
    again = _customer_row("三明沙溪贸易")
    again.id = first.id
    with pytest.raises(IntegrityError):
        units.run(SALES1, insert, again)
    third = _customer_row("龙岩汀江贸易")
    with captured_statements(sessions.kw["bind"]) as statements:
        units.run(SALES1, insert, third)
    assert [s.split(" ")[0] for s in statements] == ["EXECUTE"], statements  # still prepared
    assert hub.get_customer(SALES1, third.id)["name"] == "龙岩汀江贸易"
