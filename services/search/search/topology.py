"""The indexer's queue, its dead-letter queue and their bindings: one definition, declared by the
indexer at start-up and by provisioning (``declare``) before any service publishes.

Declared at migrate time, the queue exists before the first event is published, so the outbox
relay's ``mandatory`` publishes are routed instead of returned. Both declarations must carry the
same arguments, or RabbitMQ refuses the second with PRECONDITION_FAILED: that is why both go
through ``QueueTopology.declare_on``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pika
from kernel import registry
from pika.adapters.blocking_connection import BlockingChannel

from search.settings import SearchSettings


@dataclass(frozen=True)
class QueueTopology:
    queue: str
    exchanges: tuple[str, ...]
    extra_queue_arguments: Mapping[str, Any] = field(default_factory=dict)

    @property
    def dlq(self) -> str:
        return f"{self.queue}.dlq"

    def declare_on(self, channel: BlockingChannel) -> None:
        """Exchanges as nameko declares them, the durable queue bound to the event types that
        carry search documents, its DLQ.

        A service's exchange also carries events no document is made from (a customer's credit
        risk, a survey answered): bound with ``#`` they would reach the indexer as unknown kinds
        and fill its DLQ. An exchange no registered service owns (tests) is bound with ``#``.
        """
        channel.queue_declare(self.dlq, durable=True)
        arguments = {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": self.dlq}
        channel.queue_declare(self.queue, durable=True, arguments={**arguments, **self.extra_queue_arguments})
        for exchange in self.exchanges:
            channel.exchange_declare(exchange=exchange, exchange_type="topic", durable=True)
            event_types = registry.search_event_types(exchange)
            if event_types is None:
                channel.queue_bind(queue=self.queue, exchange=exchange, routing_key="#")
                continue
            channel.queue_unbind(queue=self.queue, exchange=exchange, routing_key="#")  # older deployments
            for event_type in event_types:
                channel.queue_bind(queue=self.queue, exchange=exchange, routing_key=event_type)


def from_settings(settings: SearchSettings) -> QueueTopology:
    return QueueTopology(queue=settings.search_queue, exchanges=tuple(settings.search_exchanges))


def declare(rabbitmq_url: str) -> None:
    """Provisioning hook (``search.topology:declare``): declare what the indexer consumes.
    Idempotent. Queue and exchanges come from the same ``PANORAMA_SEARCH_*`` settings the
    indexer reads."""
    topology = from_settings(SearchSettings(rabbitmq_url=rabbitmq_url))
    params = pika.URLParameters(rabbitmq_url)
    params.connection_attempts = 3
    params.retry_delay = 1.0
    connection = pika.BlockingConnection(params)
    try:
        topology.declare_on(connection.channel())
    finally:
        connection.close()
