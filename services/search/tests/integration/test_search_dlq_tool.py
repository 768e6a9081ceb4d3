"""``python -m search.dlq``: dead letters are listed without moving, and requeued in order, once."""

from __future__ import annotations

import json

import pika
import pytest
from pika.exceptions import ChannelClosedByBroker
from search.consumer import REASON_HEADER, IndexerConfig, declare_topology
from search.dlq import REQUEUED_HEADER, depth, peek, requeue

pytestmark = pytest.mark.integration


@pytest.fixture
def queue(amqp, search_settings) -> str:
    name = f"{search_settings.search_queue}.dlqtool"
    declare_topology(amqp, IndexerConfig(amqp_url=search_settings.rabbitmq_url, queue=name, exchanges=[]))
    amqp.queue_purge(name)
    amqp.queue_purge(f"{name}.dlq")
    return name


def _dead_letter(amqp, queue: str, body: bytes, reason: str, message_id: str) -> None:
    amqp.basic_publish(
        exchange="",
        routing_key=f"{queue}.dlq",
        body=body,
        properties=pika.BasicProperties(
            content_type="application/json",
            message_id=message_id,
            delivery_mode=pika.DeliveryMode.Persistent,
            headers={
                REASON_HEADER: reason,
                "x-panorama-original-routing-key": "customer.created",
                "x-panorama-dead-lettered-at": "2026-11-23T08:00:00Z",
            },
        ),
    )


def test_list_shows_reasons_and_moves_nothing(amqp, queue, search_settings):
    _dead_letter(amqp, queue, json.dumps({"type": "customer.created"}).encode(), "builder: bad phone", "m1")
    _dead_letter(amqp, queue, b"{oops", "not JSON", "m2")
    _dead_letter(amqp, queue, b"{}", "envelope: id missing", "m3")

    letters = peek(search_settings.rabbitmq_url, queue, limit=2)

    assert [(d.message_id, d.event_type, d.reason) for d in letters] == [
        ("m1", "customer.created", "builder: bad phone"),
        ("m2", "(not a JSON object)", "not JSON"),
    ]
    assert letters[0].original_routing_key == "customer.created"
    assert depth(amqp, f"{queue}.dlq") == 3 and depth(amqp, queue) == 0


def test_requeue_moves_every_letter_back_in_order_and_marks_it(amqp, queue, search_settings):
    bodies = [json.dumps({"type": "customer.created", "n": n}).encode() for n in range(3)]
    for n, body in enumerate(bodies):
        _dead_letter(amqp, queue, body, "ES 400", f"m{n}")

    assert requeue(search_settings.rabbitmq_url, queue, limit=2) == 2
    assert depth(amqp, f"{queue}.dlq") == 1 and depth(amqp, queue) == 2
    assert requeue(search_settings.rabbitmq_url, queue) == 1

    assert depth(amqp, f"{queue}.dlq") == 0
    moved = []
    for _ in range(3):
        _, properties, body = amqp.basic_get(queue, auto_ack=True)
        moved.append((properties.message_id, body, properties.headers[REQUEUED_HEADER]))
    assert moved == [(f"m{n}", body, 1) for n, body in enumerate(bodies)]


def test_requeue_to_a_missing_queue_moves_nothing(amqp, queue, search_settings):
    _dead_letter(amqp, queue, b"{}", "x", "m1")
    with pytest.raises(ChannelClosedByBroker):
        requeue(search_settings.rabbitmq_url, f"{queue}-typo")
    assert depth(amqp, f"{queue}.dlq") == 1
