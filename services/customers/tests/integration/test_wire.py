"""The real customers process and its outbox relay on the real broker: RPC in, events out."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pika
import pytest
from customers.contracts import EVENT_SCHEMAS
from customers_testkit import SALES1, SALES2, start_process, wait_until_serving
from kernel.envelope import Envelope
from kernel.errors import PanoramaError
from kernel.testing import TestServers, eventually
from nameko.exceptions import IncorrectSignature, RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

# A typed error over RPC: a RemoteError, or the kernel error itself where nameko rebuilds it.
RPC_ERRORS = (RemoteError, PanoramaError)


@pytest.fixture(scope="module")
def process_env(servers: TestServers) -> dict[str, str]:
    return {
        **os.environ,
        "PANORAMA_RABBITMQ_URL": servers.rabbitmq_url,
        "PANORAMA_CUSTOMERS_DATABASE_URL": servers.customers_database_url,
        "PANORAMA_LOG_JSON": "false",
    }


class Stack:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.service = start_process("service", env)
        self.relay = start_process("relay", env)

    def restart_relay(self) -> None:
        self.relay = start_process("relay", self.env)

    def stop(self) -> None:
        for proc in (self.service, self.relay):
            if proc.poll() is None:
                proc.terminate()
        for proc in (self.service, self.relay):
            proc.wait(timeout=20)
        # kernel.run stops both cleanly on SIGTERM (what the supervisor and deployments send)
        assert (self.service.returncode, self.relay.returncode) == (0, 0)


@pytest.fixture(scope="module")
def stack(process_env) -> Iterator[Stack]:
    stack = Stack(process_env)
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def rpc(servers: TestServers, customers_engine, stack: Stack) -> Iterator[Any]:
    service = stack.service
    with ClusterRpcProxy({"AMQP_URI": servers.rabbitmq_url}, timeout=10) as proxy:
        wait_until_serving(proxy, service)
        yield proxy


class EventTap:
    """An exclusive queue bound to customers.events: what a consumer would receive."""

    def __init__(self, url: str) -> None:
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        self.channel.exchange_declare("customers.events", exchange_type="topic", durable=True)
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.queue, "customers.events", routing_key="#")
        self.received: list[tuple[pika.BasicProperties, Envelope]] = []

    def drain(self) -> list[Envelope]:
        while True:
            method, props, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return [e for _, e in self.received]
            self.received.append((props, Envelope.from_json(body)))

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def tap(servers: TestServers, sessions) -> Iterator[EventTap]:
    tap = EventTap(servers.rabbitmq_url)
    yield tap
    tap.close()


def test_rpc_round_trip_publishes_contract_events(rpc, hub, tap):
    created = rpc.customers.create_customer(SALES1.to_payload(), {"name": "A科技有限公司", "tags": ["VIP"]})
    rpc.customers.create_contact(
        SALES1.to_payload(), created["id"], {"name": "张总", "emails": ["zhang@a-tech.cn"]}
    )
    events = eventually(lambda: (lambda got: got if len(got) >= 2 else None)(tap.drain()), timeout=5)
    assert [e.type for e in events] == ["customer.created", "contact.created"]
    for props, event in tap.received:
        assert props.content_type == "application/json" and props.delivery_mode == 2
        assert props.message_id == event.id
        EVENT_SCHEMAS[event.type].model_validate(event.data)
    assert events[0].data["id"] == created["id"]


def test_typed_errors_cross_the_wire(rpc, hub):
    with pytest.raises(RPC_ERRORS) as exc:
        rpc.customers.create_customer(SALES1.to_payload(), {"name": ""})
    assert exc.value.exc_type == "ValidationError"
    assert "name" in exc.value.value
    with pytest.raises(RPC_ERRORS) as exc:
        rpc.customers.get_customer(SALES2.to_payload(), "missing")
    assert exc.value.exc_type == "NotFound"


def test_a_call_with_a_wrong_argument_is_refused_before_it_runs(rpc, hub):
    # nameko rebuilds IncorrectSignature on the calling side
    with pytest.raises(IncorrectSignature, match="colour"):
        rpc.customers.create_customer(SALES1.to_payload(), {"name": "签名检查有限公司"}, colour="red")
    with pytest.raises(IncorrectSignature, match="customer_id"):
        rpc.customers.get_customer(SALES1.to_payload())
    assert hub.list_customers(SALES1)["items"] == []  # neither ran


def test_events_committed_while_the_relay_is_down_are_published_later(rpc, hub, tap, stack):
    stack.relay.terminate()
    stack.relay.wait(timeout=20)
    acknowledged = rpc.customers.create_customer(SALES1.to_payload(), {"name": "离线写入有限公司"})
    time.sleep(1.0)
    assert tap.drain() == []  # nothing can leave without the relay...
    stack.restart_relay()
    events = eventually(lambda: tap.drain(), timeout=10)
    assert [e.data["id"] for e in events] == [acknowledged["id"]]  # ...and nothing acknowledged is lost
