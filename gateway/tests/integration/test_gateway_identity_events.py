"""User changes leave the gateway as ``user.upserted`` events: outbox row in the change's
transaction, published to ``identity.events`` by ``gateway.relay`` (real PostgreSQL and RabbitMQ)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pika
import pytest
from alembic import command
from alembic.config import Config
from gateway.auth.directory import Directory
from gateway.auth.models import outbox
from gateway.auth.sql_store import SqlUserStore
from gateway.db import ALEMBIC_INI
from gateway.relay import build_relay
from gateway.settings import GatewaySettings
from gateway_fakes import TEST_PASSWORD
from kernel.envelope import Envelope
from kernel.errors import NotFound
from kernel.identity_events import USER_UPSERTED, user_state_of
from kernel.testing import TestServers
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

pytestmark = pytest.mark.integration


@pytest.fixture
def directory(gateway_sessions) -> Directory:
    return Directory(SqlUserStore(gateway_sessions))


def queued(engine: Engine) -> list[Envelope]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.exchange, outbox.c.routing_key, outbox.c.body).order_by(outbox.c.seq)
        )
        events = []
        for exchange, routing_key, body in rows:
            assert (exchange, routing_key) == ("identity.events", USER_UPSERTED)
            events.append(Envelope.from_json(body))
        return events


def test_every_user_change_queues_its_full_state_with_the_version(directory, gateway_engine) -> None:
    admin = directory.create_user(username="root", password=TEST_PASSWORD, roles=["admin"])
    east, south = directory.create_team("East"), directory.create_team("South")
    user = directory.create_user(
        username="sales1", password=TEST_PASSWORD, roles=["sales"], team_id=east.id, acting_user_id=admin.id
    )
    directory.update_user(user.id, team_id=south.id, acting_user_id=admin.id)
    directory.update_user(user.id, active=False, acting_user_id=admin.id)

    events = [e for e in queued(gateway_engine) if e.aggregate.id == user.id]
    assert [e.aggregate.version for e in events] == [1, 2, 3]
    states = [user_state_of(e) for e in events]
    assert [s.team_id for s in states] == [east.id, south.id, south.id]
    assert [s.active for s in states] == [True, True, False]
    assert states[0].roles == ["sales"] and states[0].username == "sales1"
    assert all(e.source == "identity" and e.aggregate.type == "user" for e in events)
    assert all(e.actor.user_id == admin.id for e in events)
    assert "password_hash" not in events[0].data


def test_a_refused_change_queues_nothing(directory, gateway_engine) -> None:
    with pytest.raises(NotFound):
        directory.update_user("no-such-user", display_name="x")
    assert queued(gateway_engine) == []


def test_republish_queues_every_user_at_its_current_version(
    directory, gateway_sessions, gateway_engine
) -> None:
    user = directory.create_user(username="sales1", password=TEST_PASSWORD)
    directory.update_user(user.id, display_name="Sales One")
    with gateway_engine.begin() as conn:
        conn.execute(text("TRUNCATE outbox"))
    assert SqlUserStore(gateway_sessions).republish_users() == 1
    [event] = queued(gateway_engine)
    assert (event.aggregate.version, event.data["display_name"]) == (2, "Sales One")


@pytest.fixture
def identity_queue(servers: TestServers) -> Iterator[tuple[Any, str]]:
    conn = pika.BlockingConnection(pika.URLParameters(servers.rabbitmq_url))
    channel = conn.channel()
    channel.exchange_declare("identity.events", exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "identity.events", routing_key=USER_UPSERTED)
    yield channel, queue
    conn.close()


def test_the_relay_publishes_to_identity_events(
    directory, gateway_engine, servers: TestServers, identity_queue
) -> None:
    channel, queue = identity_queue
    user = directory.create_user(username="sales1", password=TEST_PASSWORD, roles=["sales"])
    relay = build_relay(
        GatewaySettings(gateway_database_url=servers.gateway_database_url, rabbitmq_url=servers.rabbitmq_url)
    )
    try:
        assert relay.drain() == 1
    finally:
        relay.close()
    method, props, body = channel.basic_get(queue, auto_ack=True)
    assert method is not None and method.routing_key == USER_UPSERTED
    assert props.content_type == "application/json"  # nameko consumers drop anything else
    event = Envelope.from_json(body)
    assert user_state_of(event).id == user.id and event.aggregate.version == 1


def test_the_migration_queues_users_that_existed_before_it(gateway_engine: Engine, directory) -> None:
    directory.create_team("East")
    user = directory.create_user(username="old.timer", password=TEST_PASSWORD, roles=["finance"])
    config = Config(str(ALEMBIC_INI))
    with gateway_engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001_identity")
        connection.commit()
        command.upgrade(config, "head")
        connection.commit()
    [event] = queued(gateway_engine)
    state = user_state_of(event)
    assert (state.id, state.username, state.roles, state.active, state.team_id) == (
        user.id, "old.timer", ["finance"], True, None,
    )  # fmt: skip
    assert event.type == USER_UPSERTED and event.actor.user_id == "system"
    with gateway_engine.connect() as conn:
        event_id = conn.execute(select(outbox.c.event_id)).scalar_one()
    assert event_id == event.id  # the relay's message id is the envelope's id
