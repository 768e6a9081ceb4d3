"""The real customers process consuming ``identity.events`` (as published by ``gateway.relay``):
a user's team move reaches the service as an event and re-scopes what they own (issue 8 §2.4)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pika
import pytest
from customers.storage.models import processed_events
from customers_testkit import MANAGER, SALES1, start_process, wait_until_serving
from kernel import registry
from kernel.envelope import Envelope
from kernel.errors import PanoramaError
from kernel.identity import Caller
from kernel.identity_events import user_upserted
from kernel.migrate import declare_consumer_queues
from kernel.testing import TestServers, eventually
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

# A typed error over RPC: a RemoteError, or the kernel error itself where nameko rebuilds it.
RPC_ERRORS = (RemoteError, PanoramaError)

MANAGER_SOUTH = Caller("u-manager-south", ("manager",), "team-south")
HANDLER_QUEUES = (
    "evt-identity-user.upserted--customers.on_identity_user_upserted",
    "evt-identity-user.upserted--customers.on_identity_user_upserted.dlq",
    "evt-identity-user.upserted--customers.on_user_upserted",  # the handler this one replaced
)


def user(user_id: str, username: str, team_id: str | None, roles: list[str], version: int) -> Envelope:
    state = {"id": user_id, "username": username, "team_id": team_id, "roles": roles, "active": True}
    return user_upserted({**state, "version": version}, actor_id="u-admin")


class Broker:
    def __init__(self, url: str) -> None:
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        for exchange in ("identity.events", "customers.events"):
            self.channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        self.tap = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.tap, "customers.events", routing_key="#")
        self.received: list[Envelope] = []

    def publish_identity(self, event: Envelope) -> None:
        """What gateway.relay does with an outbox row."""
        self.channel.basic_publish(
            "identity.events",
            event.type,
            event.to_json().encode(),
            pika.BasicProperties(
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                message_id=event.id,
            ),
        )

    def drain(self) -> list[Envelope]:
        while True:
            method, _props, body = self.channel.basic_get(self.tap, auto_ack=True)
            if method is None:
                return self.received
            self.received.append(Envelope.from_json(body))


@pytest.fixture
def broker(servers: TestServers, sessions) -> Iterator[Broker]:
    broker = Broker(servers.rabbitmq_url)
    for queue in HANDLER_QUEUES:  # no events left over from an earlier run
        broker.channel.queue_delete(queue)
    yield broker
    for queue in HANDLER_QUEUES:  # nor collecting other suites' identity events until the next one
        broker.channel.queue_delete(queue)
    broker.connection.close()


@pytest.fixture
def customers(servers: TestServers, broker: Broker) -> Iterator[Any]:
    env = {
        **os.environ,
        "PANORAMA_RABBITMQ_URL": servers.rabbitmq_url,
        "PANORAMA_CUSTOMERS_DATABASE_URL": servers.customers_database_url,
        "PANORAMA_LOG_JSON": "false",
    }
    procs = [start_process(mode, env) for mode in ("service", "relay")]
    try:
        with ClusterRpcProxy({"AMQP_URI": servers.rabbitmq_url}, timeout=10) as proxy:
            wait_until_serving(proxy, procs[0])
            yield proxy.customers
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def visible_to(customers: Any, caller: dict[str, Any], customer_id: str) -> bool:
    try:
        customers.get_customer(caller, customer_id)
        return True
    except RPC_ERRORS as exc:
        assert exc.exc_type in {"NotFound", "PermissionDenied"}
        return False


def test_a_team_move_published_on_identity_events_re_scopes_the_users_customers(
    customers, broker, sessions
) -> None:
    for event in (
        user("u-sales1", "sales1", "team-east", ["sales"], 1),
        user("u-manager", "manager", "team-east", ["manager"], 1),
        user("u-manager-south", "manager.south", "team-south", ["manager"], 1),
    ):
        broker.publish_identity(event)
    # The directory replica is fed by the events alone: sales1 may own customers once it arrived.
    created = eventually(
        lambda: _try(lambda: customers.create_customer(SALES1.to_payload(), {"name": "东方重工有限公司"})),
        timeout=20,
    )
    contact = customers.create_contact(SALES1.to_payload(), created["id"], {"name": "王伟"})
    assert visible_to(customers, MANAGER.to_payload(), created["id"])
    assert not visible_to(customers, MANAGER_SOUTH.to_payload(), created["id"])

    move = user("u-sales1", "sales1", "team-south", ["sales"], 2)
    broker.publish_identity(move)
    broker.publish_identity(move)  # redelivered

    eventually(lambda: visible_to(customers, MANAGER_SOUTH.to_payload(), created["id"]), timeout=20)
    assert not visible_to(customers, MANAGER.to_payload(), created["id"])
    assert customers.get_customer(SALES1.to_payload(), created["id"])["team_id"] == "team-south"

    def moved_events() -> list[Envelope] | None:
        got = [e for e in broker.drain() if e.data.get("team_id") == "team-south"]
        return got if len(got) >= 2 else None

    by_id = {e.aggregate.id: e for e in eventually(moved_events, timeout=20)}
    assert by_id[created["id"]].type == "customer.updated"
    assert by_id[contact["id"]].type == "contact.updated"  # the search ACL of children follows
    # An older state arriving late does not move them back.
    late = user("u-sales1", "sales1", "team-east", ["sales"], 1)
    broker.publish_identity(late)
    eventually(lambda: claimed(sessions, late.id), timeout=20)  # handled (and skipped)
    assert customers.get_customer(SALES1.to_payload(), created["id"])["team_id"] == "team-south"
    assert len([e for e in broker.drain() if e.aggregate.id == created["id"]]) == 2  # created + one move


def claimed(sessions: sessionmaker[Session], event_id: str) -> bool:
    with sessions() as session:
        t = processed_events
        return session.execute(select(t.c.event_id).where(t.c.event_id == event_id)).first() is not None


def _try(call: Any) -> Any:
    try:
        return call()
    except RPC_ERRORS as exc:
        if exc.exc_type == "ValidationError":  # owner not in the replica yet
            return None
        raise


def test_migrate_declares_the_identity_queue_so_early_events_wait_for_the_service(
    servers: TestServers, broker: Broker
) -> None:
    """``kernel.run customers migrate`` declares the handler's queue: a user.upserted the gateway
    relay publishes (``mandatory``) before customers first starts is queued, not returned."""
    queues = declare_consumer_queues(registry.get("customers"), servers.rabbitmq_url)
    assert queues == [HANDLER_QUEUES[0]]
    broker.publish_identity(user("u-early", "early", "team-east", ["sales"], 1))
    declared = broker.channel.queue_declare(HANDLER_QUEUES[0], passive=True)
    assert declared.method.message_count == 1
    assert broker.channel.queue_declare(HANDLER_QUEUES[1], passive=True)  # its DLQ too
