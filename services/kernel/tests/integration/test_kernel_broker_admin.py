"""BrokerAdmin against the real broker: it finds and deletes a vhost's queues by name prefix."""

from __future__ import annotations

import uuid

import pika
import pytest
from kernel.broker_admin import BrokerAdmin
from kernel.testing import TestServers

pytestmark = pytest.mark.integration


def test_deletes_only_the_prefixed_unconsumed_queues() -> None:
    url = TestServers().rabbitmq_url
    prefix = f"kernel.test.admin.{uuid.uuid4().hex[:8]}."
    idle, consumed, other = f"{prefix}idle", f"{prefix}consumed", f"kernel.test.other.{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        for queue in (idle, consumed, other):
            channel.queue_declare(queue, durable=True)
        channel.basic_publish("", idle, b"left behind")
        channel.basic_consume(consumed, lambda *args: None)
        admin = BrokerAdmin(url)

        assert {q.name for q in admin.queues(prefix)} == {idle, consumed}
        deleted = admin.delete_queues(prefix, unused_only=True)

        assert [(q.name, q.messages) for q in deleted] == [(idle, 1)]  # the broker's own count
        assert {q.name for q in admin.queues(prefix)} == {consumed}
        assert [q.name for q in admin.delete_queues(prefix)] == [consumed]
        assert admin.queues(prefix) == []
        assert [q.name for q in admin.queues(other)] == [other]
    finally:
        if connection.is_open:
            connection.close()
        BrokerAdmin(url).delete_queues(prefix)
        BrokerAdmin(url).delete_queues(other)
