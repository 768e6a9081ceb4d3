"""The outbox relay on the real broker and PostgreSQL: nothing is marked published that the broker
did not take, and nothing is lost.

The outbox lives in its own schema of the customers test database, so the customers suites (which
reset ``public``) and this one never see each other's rows."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pika
import pytest
from kernel import unrouted
from kernel.broker_admin import BrokerAdmin
from kernel.clock import utcnow
from kernel.db import make_engine
from kernel.outbox import NOTIFY_CHANNEL, outbox_table, processed_events_table
from kernel.relay import OutboxRelay
from kernel.testing import TestServers, eventually
from prometheus_client import REGISTRY
from sqlalchemy import MetaData, Table, select, text
from sqlalchemy.engine import Engine

pytestmark = pytest.mark.integration

SCHEMA = "kernel_relay_test"


@pytest.fixture(scope="module")
def servers() -> TestServers:
    return TestServers()


@pytest.fixture(scope="module")
def table() -> Table:
    return outbox_table(MetaData(schema=SCHEMA))


@pytest.fixture(scope="module")
def engine(servers: TestServers, table: Table) -> Iterator[Engine]:
    engine = make_engine(servers.customers_database_url, pool_size=4)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}"))
    except Exception as exc:  # the servers are part of the suite: fail loudly, never skip
        pytest.fail(f"PostgreSQL test database unreachable ({exc}); run deploy/local/up.sh")
    assert table.metadata is not None
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                f"""
                CREATE FUNCTION {SCHEMA}.notify() RETURNS trigger AS $$
                BEGIN PERFORM pg_notify('{NOTIFY_CHANNEL}', ''); RETURN NULL; END;
                $$ LANGUAGE plpgsql;
                CREATE TRIGGER outbox_notify AFTER INSERT ON {SCHEMA}.outbox
                  FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.notify();
                """
            )
        )
    yield engine
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    engine.dispose()


@pytest.fixture
def outbox(engine: Engine, table: Table) -> Table:
    with engine.begin() as conn:
        conn.execute(table.delete())
    return table


class Broker:
    """A plain client on the test vhost: private exchanges and queues, removed afterwards."""

    def __init__(self, url: str) -> None:
        params = pika.URLParameters(url)
        params.heartbeat = 0  # the test idles on purpose
        self.connection = pika.BlockingConnection(params)
        self.channel = self.connection.channel()
        self.exchanges: list[str] = []

    def exchange(self) -> str:
        name = f"relay.test.{uuid.uuid4().hex[:10]}"
        self.channel.exchange_declare(name, exchange_type="topic", durable=True)
        self.exchanges.append(name)
        return name

    def queue(self, exchange: str, **arguments: Any) -> str:
        queue = self.channel.queue_declare("", exclusive=True, arguments=arguments or None).method.queue
        self.channel.queue_bind(queue, exchange, routing_key="#")
        return queue

    def take(self, queue: str) -> list[str]:
        """Message ids waiting in ``queue`` (consumed)."""
        ids: list[str] = []
        while True:
            method, props, _ = self.channel.basic_get(queue, auto_ack=True)
            if method is None:
                return ids
            ids.append(props.message_id)

    def close(self) -> None:
        for name in self.exchanges:
            self.channel.exchange_delete(name)
        self.connection.close()


@pytest.fixture
def broker(servers: TestServers) -> Iterator[Broker]:
    broker = Broker(servers.rabbitmq_url)
    yield broker
    broker.close()


def add_events(engine: Engine, table: Table, exchange: str, count: int = 1) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(count)]
    rows = [
        {"event_id": i, "exchange": exchange, "routing_key": "thing.happened", "body": json.dumps({"id": i})}
        for i in ids
    ]
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
    return ids


def published(engine: Engine, table: Table) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(table.c.event_id).where(table.c.published_at.is_not(None)).order_by(table.c.seq)
            ).scalars()
        )


def metric(name: str) -> float:
    return REGISTRY.get_sample_value(name, {"service": "relaytest"}) or 0.0


def make_relay(engine: Engine, table: Table, servers: TestServers, **options: Any) -> OutboxRelay:
    return OutboxRelay(
        service="relaytest", engine=engine, table=table, rabbitmq_url=servers.rabbitmq_url, **options
    )


def test_unroutable_event_stays_unpublished_until_a_queue_is_bound(engine, outbox, broker, servers):
    lonely, bound = broker.exchange(), broker.exchange()
    bound_queue = broker.queue(bound)
    [stranded] = add_events(engine, outbox, lonely)
    [delivered] = add_events(engine, outbox, bound)
    relay = make_relay(engine, outbox, servers, retry_initial_seconds=0.2)
    returned_before = metric("panorama_outbox_returned_events_total")
    try:
        assert relay.drain() == 1  # the returned event does not hold up the one behind it
        assert published(engine, outbox) == [delivered]
        assert broker.take(bound_queue) == [delivered]
        assert metric("panorama_outbox_returned_events_total") == returned_before + 1

        assert relay.drain() == 0  # in backoff: not republished straight away
        assert metric("panorama_outbox_returned_events_total") == returned_before + 1

        late_queue = broker.queue(lonely)  # the consumer turns up
        eventually(lambda: relay.drain() == 1, timeout=10)
        assert published(engine, outbox) == [stranded, delivered]
        assert broker.take(late_queue) == [stranded]
    finally:
        relay.close()


def test_an_event_nobody_is_bound_for_goes_to_the_unrouted_queue_when_the_policy_names_its_exchange(
    engine, outbox, broker, servers
):
    """The migrate step points every events exchange at ``panorama.unrouted`` (kernel.unrouted):
    a survey answered, which no Panorama process consumes, is published once and kept there,
    not returned and retried for ever; an exchange the policy does not name still returns."""
    policy = f"relay-test-{uuid.uuid4().hex[:8]}"
    named, other = broker.exchange(), broker.exchange()
    assert unrouted.declare(servers.rabbitmq_url, [named], policy=policy)
    admin = BrokerAdmin(servers.rabbitmq_url)
    try:
        eventually(lambda: admin.exchange_policy(named) == policy or None, timeout=10)
        [kept] = add_events(engine, outbox, named)
        add_events(engine, outbox, other)  # returned: kept in the outbox, in backoff
        relay = make_relay(engine, outbox, servers, retry_initial_seconds=30)
        try:
            assert relay.drain() == 1
            assert published(engine, outbox) == [kept]
        finally:
            relay.close()
        assert kept in broker.take(unrouted.QUEUE)
    finally:
        admin.delete_policy(policy)


def test_window_marks_only_the_rows_the_broker_confirmed(engine, outbox, broker, servers):
    exchange = broker.exchange()
    # A full queue with reject-publish makes the broker nack: a refusal a real broker gives.
    queue = broker.queue(exchange, **{"x-max-length": 3, "x-overflow": "reject-publish"})
    ids = add_events(engine, outbox, exchange, 10)
    relay = make_relay(engine, outbox, servers, batch_size=4, window=8, retry_initial_seconds=0.2)
    nacked_before = metric("panorama_outbox_nacked_events_total")
    try:
        assert relay.drain() == 3
        assert published(engine, outbox) == ids[:3]
        assert broker.take(queue) == ids[:3]
        assert metric("panorama_outbox_nacked_events_total") == nacked_before + 7

        eventually(lambda: relay.drain() == 3, timeout=10)  # room again, backoff over
        assert published(engine, outbox) == ids[:6]
        assert broker.take(queue) == ids[3:6]
    finally:
        relay.close()


def test_relays_side_by_side_publish_every_event_once(engine, outbox, broker, servers):
    exchange = broker.exchange()
    queue = broker.queue(exchange)
    ids = add_events(engine, outbox, exchange, 3000)
    relays = [make_relay(engine, outbox, servers, batch_size=100) for _ in range(2)]
    counts: list[int] = []
    threads = [threading.Thread(target=lambda r=r: counts.append(r.drain())) for r in relays]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert sum(counts) == len(ids)
        assert sorted(published(engine, outbox)) == sorted(ids)
        taken = broker.take(queue)
        assert len(taken) == len(ids) and set(taken) == set(ids)
    finally:
        for relay in relays:
            relay.close()


def test_idle_relay_keeps_its_broker_connection(engine, outbox, broker, servers):
    exchange = broker.exchange()
    queue = broker.queue(exchange)
    # NOTIFY is the only wake-up here: the fallback poll is far away.
    relay = make_relay(engine, outbox, servers, heartbeat_seconds=1, idle_wait_seconds=600)
    stop = threading.Event()
    errors_before = metric("panorama_outbox_relay_errors_total")
    thread = threading.Thread(target=relay.run_forever, args=(stop,))
    thread.start()
    try:
        [first] = add_events(engine, outbox, exchange)
        eventually(lambda: published(engine, outbox) == [first], timeout=10)
        time.sleep(5)  # idle for five heartbeat intervals: a connection nobody services is dropped
        [second] = add_events(engine, outbox, exchange)
        eventually(lambda: published(engine, outbox) == [first, second], timeout=10)
        assert broker.take(queue) == [first, second]
        assert relay.connections_opened == 1
        assert metric("panorama_outbox_relay_connections_total") >= 1
        assert metric("panorama_outbox_relay_errors_total") == errors_before
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_housekeeping_forgets_consumed_event_ids_past_their_retention(engine, outbox, servers):
    """The relay trims its service's ``processed_events`` (the consumers' claims) with the outbox:
    a month-old claim goes, a recent one stays; a relay without the table purges nothing."""
    claims = processed_events_table(MetaData(schema=SCHEMA))
    claims.create(engine, checkfirst=True)
    with engine.begin() as conn:
        conn.execute(claims.delete())
        conn.execute(
            claims.insert(),
            [
                {"event_id": "old", "processed_at": utcnow() - timedelta(days=31)},
                {"event_id": "recent", "processed_at": utcnow() - timedelta(days=29)},
            ],
        )
    assert make_relay(engine, outbox, servers).purge_processed() == 0
    month = timedelta(days=30)
    relay = make_relay(engine, outbox, servers, processed_events=claims, processed_retention=month)
    assert relay.purge_processed() == 1
    with engine.connect() as conn:
        assert list(conn.execute(select(claims.c.event_id)).scalars()) == ["recent"]
