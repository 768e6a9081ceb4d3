"""What one create costs the database: the statements it sends, and that the combined write still
lands every row (customer, its event in the outbox, its audit line) in one transaction."""

from __future__ import annotations

from typing import Any

import pytest
from customers.app import CustomerHub
from customers.service import CustomersService
from customers.storage.models import CustomerRow, audit_log, outbox
from customers.storage.repositories import SqlCustomersUnit, sql_units
from customers_testkit import ADMIN, SALES1, USERS
from kernel.clock import utcnow
from kernel.db import make_engine, make_sessionmaker
from kernel.envelope import Envelope
from kernel.errors import Conflict, ValidationError
from kernel.identity import SYSTEM
from kernel.ids import new_id
from kernel.testing import captured_statements
from kernel.writes import writes_once
from nameko.testing.services import worker_factory
from prometheus_client import REGISTRY
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

pytestmark = pytest.mark.integration

VALID_USCC = "91350100M000100Y43"


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


def test_an_owners_first_create_reads_the_owner_and_the_next_ones_only_write(solo: Any) -> None:
    hub, sessions = solo
    with captured_statements(sessions.kw["bind"]) as statements:
        hub.create_customer(SALES1, {"name": "热身贸易有限公司"})
        first = list(statements)
        statements.clear()
        hub.create_customer(SALES1, {"name": "漳州九龙江贸易有限公司"})  # the guarded write, prepared
        second = list(statements)
        statements.clear()
        state = hub.create_customer(SALES1, {"name": "福州闽江贸易有限公司", "tags": ["bench"]})

    # First: the owner and the namesakes in one read, then the combined write (prepared once per
    # server session, then only executed).
    assert [s.split(" ")[0] for s in first] == ["SELECT", "PREPARE", "EXECUTE"], first
    assert "FROM directory_users" in first[0] and "LATERAL" in first[0]  # owner, namesakes
    for table in ("customers", "audit_log", "outbox"):  # the customer, its audit line, its event
        assert f"INSERT INTO {table} " in first[1]
    # Then the owner is remembered: the write itself checks it, and that the name is free.
    assert [s.split(" ")[0] for s in second] == ["PREPARE", "EXECUTE"], second
    guarded = second[0]
    assert "WITH gate AS" in guarded and "FROM directory_users" in guarded and "name_key" in guarded
    name = guarded.split(" ")[1]
    assert [s.split(" ")[0] for s in statements] == ["EXECUTE"], statements  # one round trip
    assert statements[0].startswith(f"EXECUTE {name}(")

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


def test_the_service_remembers_owners_across_calls(solo: Any) -> None:
    _, sessions = solo  # each worker_factory is a new worker, as each RPC call is
    payload = SALES1.to_payload()
    worker_factory(CustomersService, db=sessions).create_customer(payload, {"name": "三亚海棠湾贸易"})
    with captured_statements(sessions.kw["bind"]) as statements:
        for name in ("海口骑楼贸易", "儋州东坡贸易"):
            worker_factory(CustomersService, db=sessions).create_customer(payload, {"name": name})
    assert [s.split(" ")[0] for s in statements] == ["PREPARE", "EXECUTE", "EXECUTE"], statements


def _written(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    with sessions() as session:
        tables = (CustomerRow.__table__, outbox, audit_log)
        return tuple(session.scalar(select(func.count()).select_from(t)) for t in tables)  # type: ignore


def _move(hub: CustomerHub, user_id: str, **changes: Any) -> None:
    user = next(u for u in USERS if u["id"] == user_id)
    hub.upsert_user(SYSTEM, {**user, **changes, "version": user["version"] + 1})


def _misses() -> float:
    return REGISTRY.get_sample_value("panorama_uow_guard_misses_total") or 0.0


def test_a_name_taken_since_the_owner_was_remembered_is_refused_with_the_namesake(
    hub: CustomerHub, sessions: sessionmaker[Session]
) -> None:
    first = hub.create_customer(ADMIN, {"name": "宁波甬江科技有限公司", "owner_id": "u-sales1b"})
    before, misses = _written(sessions), _misses()
    with pytest.raises(Conflict) as refused:  # the guarded write finds the name taken, then reads
        hub.create_customer(ADMIN, {"name": "宁波甬江科技有限公司", "owner_id": "u-sales1b"})
    assert first["id"] in str(refused.value) and refused.value.errors[0]["field"] == "name"
    assert _written(sessions) == before and _misses() == misses + 1  # nothing half-written


def test_a_tax_id_taken_since_is_refused_and_nothing_is_written(
    hub: CustomerHub, sessions: sessionmaker[Session]
) -> None:
    owned = {"owner_id": "u-sales1b", "tax_id": VALID_USCC}
    hub.create_customer(ADMIN, {"name": "温州瓯江科技有限公司", **owned})
    before = _written(sessions)
    with pytest.raises(Conflict) as refused:
        hub.create_customer(ADMIN, {"name": "台州椒江科技有限公司", **owned})
    assert refused.value.errors[0]["field"] == "tax_id"
    assert _written(sessions) == before


def test_an_owner_deactivated_since_is_refused(hub: CustomerHub, sessions: sessionmaker[Session]) -> None:
    hub.create_customer(ADMIN, {"name": "嘉兴南湖科技有限公司", "owner_id": "u-sales1b"})
    _move(hub, "u-sales1b", active=False)
    before = _written(sessions)
    with pytest.raises(ValidationError) as refused:
        hub.create_customer(ADMIN, {"name": "湖州太湖科技有限公司", "owner_id": "u-sales1b"})
    assert refused.value.errors[0]["field"] == "owner_id"
    assert _written(sessions) == before


def test_an_owner_moved_to_another_team_since_gives_the_customer_the_new_team(hub: CustomerHub) -> None:
    hub.create_customer(ADMIN, {"name": "绍兴鉴湖科技有限公司", "owner_id": "u-sales1b"})
    _move(hub, "u-sales1b", team_id="team-south")
    state = hub.create_customer(ADMIN, {"name": "金华婺江科技有限公司", "owner_id": "u-sales1b"})
    assert state["team_id"] == "team-south"
    assert hub.get_customer(ADMIN, state["id"])["team_id"] == "team-south"


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
