"""``@idempotent_event_handler``: the nameko entrypoint for consuming another service's events.

    class SalesService:
        name = "sales"
        db = Database()

        @property
        def units(self) -> Units[SqlSalesUnit]: ...

        @idempotent_event_handler("customers", "customer.updated", tables=consumer)
        def on_customer_updated(self, unit: SqlSalesUnit, event: Envelope) -> None:
            ...  # changes through the unit (``unit.record``): they commit with the event's claim

The queue (``evt-<source>-<type>--<service>.<method>``, durable) gets its own dead-letter queue
``<queue>.dlq``. The handler runs through ``kernel.consumer.IdempotentConsumer`` (claim, version
check, retries with backoff); a message it gives up on is published to the DLQ with the reason
in ``x-panorama-reason`` (publisher-confirmed) and only then acknowledged. Should that publish
fail, the message is rejected and the queue's own dead-letter arguments still route it to the
DLQ: a message is never dropped (nameko's default for a failing handler) nor spun on.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from kombu import Connection, Exchange
from kombu import Queue as KombuQueue
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import SERVICE_POOL, EventHandler
from prometheus_client import Counter

from kernel.clock import isoformat, utcnow
from kernel.consumer import (
    Begin,
    ConsumerTables,
    DeadLetter,
    IdempotentConsumer,
    RetryPolicy,
    in_sessions,
    in_units,
    parse_envelope,
    reason_of,
)
from kernel.dlq import ATTEMPTS_HEADER, DEAD_LETTERED_AT_HEADER, QUEUE_HEADER, REASON_HEADER, dlq_name
from kernel.envelope import events_exchange

log = logging.getLogger(__name__)

CONSUMED = Counter(
    "panorama_events_consumed_total",
    "Events handled by idempotent handlers, by outcome (applied, duplicate, stale, dead_lettered)",
    ["service", "event_type", "outcome"],
)


def dead_letter_arguments(queue: str) -> dict[str, str]:
    """Queue arguments routing rejected messages to the queue's DLQ (default exchange)."""
    return {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq_name(queue)}


def event_queue_name(source_service: str, event_type: str, service: str, method: str) -> str:
    """nameko's service-pool queue name for ``service.method`` handling ``source_service`` events."""
    return f"evt-{source_service}-{event_type}--{service}.{method}"


def declare_event_queue(
    amqp_url: str, *, source_service: str, event_type: str, service: str, method: str
) -> str:
    """Declare a handler's queue, binding and DLQ exactly as the running handler will.

    For provisioning: events published before the consumer first starts are then kept (a relay
    publishing ``mandatory`` would otherwise see them returned as unroutable).
    """
    queue = event_queue_name(source_service, event_type, service, method)
    exchange = Exchange(events_exchange(source_service), type="topic", durable=True, auto_delete=False)
    with Connection(amqp_url) as conn:
        channel = conn.default_channel
        KombuQueue(dlq_name(queue), durable=True, auto_delete=False)(channel).declare()
        KombuQueue(
            queue, exchange=exchange, routing_key=event_type, durable=True, auto_delete=False,
            queue_arguments=dead_letter_arguments(queue),
        )(channel).declare()  # fmt: skip
    return queue


def handler_queues(service_class: type) -> list[tuple[str, str, str]]:
    """(source service, event type, method) of every idempotent handler ``service_class`` has,
    its mixins' included (services join one entrypoint mixin per area)."""
    members: dict[str, Any] = {}
    for klass in reversed(service_class.__mro__):
        members.update(vars(klass))
    found = []
    for method, member in sorted(members.items()):
        for entrypoint in getattr(member, "nameko_entrypoints", ()):
            if isinstance(entrypoint, IdempotentEventHandler):
                found.append((entrypoint.source_service, entrypoint.event_type, method))
    return found


def declare_handler_queues(service_class: Any, amqp_url: str) -> list[str]:
    """Declare the queue (and DLQ) of each idempotent handler of ``service_class``, as it will.

    Run at migrate time (``kernel.migrate``) for every registered service, so an event published
    before its consumer first starts is queued, not returned to a ``mandatory`` relay.
    """
    return [
        declare_event_queue(
            amqp_url, source_service=source, event_type=event_type, service=service_class.name, method=method
        )
        for source, event_type, method in handler_queues(service_class)
    ]


class IdempotentEventHandler(EventHandler):
    """A service-pool, reliable event handler whose failures end in its DLQ, never dropped."""

    def __init__(self, source_service: str, event_type: str, **kwargs: Any) -> None:
        kwargs.update(handler_type=SERVICE_POOL, reliable_delivery=True, requeue_on_error=False)
        super().__init__(source_service, event_type, **kwargs)

    def setup(self) -> None:
        self._refuse_second_handler()
        super().setup()
        # Queue arguments are fixed at declaration: a queue first declared without them (an
        # older handler) must be deleted once, or the broker refuses this declaration.
        self.queue.queue_arguments = dead_letter_arguments(self.queue.name)
        self.dlq = dlq_name(self.queue.name)
        with Connection(self.container.config[AMQP_URI_CONFIG_KEY]) as conn:
            KombuQueue(self.dlq, durable=True, auto_delete=False)(conn.default_channel).declare()
        self._publisher = Publisher(self.container.config[AMQP_URI_CONFIG_KEY])

    def _refuse_second_handler(self) -> None:
        # The event-id claim is per service: a second handler of the same event type in this
        # service would find the id claimed and skip it. React to an event in one handler.
        for other in self.container.entrypoints:
            if (
                other is not self
                and isinstance(other, IdempotentEventHandler)
                and (other.source_service, other.event_type) == (self.source_service, self.event_type)
            ):
                raise ValueError(
                    f"{self.container.service_name}: {other.method_name} and {self.method_name} both "
                    f"consume {self.source_service} {self.event_type}; use one handler per event type"
                )

    def handle_result(self, message: Any, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> Any:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            CONSUMED.labels(self.container.service_name, self.event_type, str(result)).inc()
            return result, exc_info
        exc = exc_info[1]
        if isinstance(exc, DeadLetter):
            reason, attempts = exc.reason, exc.attempts
        else:  # raised outside the consumer (e.g. a dependency): no retry happened here
            reason, attempts = reason_of(exc), 1
        try:
            self._dead_letter(message, reason, attempts)
        except Exception:
            log.exception("could not publish to %s; rejecting to the queue's dead-letter route", self.dlq)
            if message.channel.connection:
                message.reject(requeue=False)
            return result, exc_info
        self.queue_consumer.ack_message(message)
        CONSUMED.labels(self.container.service_name, self.event_type, "dead_lettered").inc()
        log.warning("dead-lettered %s %s to %s: %s", self.source_service, self.event_type, self.dlq, reason)
        return result, exc_info

    def _dead_letter(self, message: Any, reason: str, attempts: int) -> None:
        headers = dict(message.headers or {})
        headers.update(
            {
                REASON_HEADER: reason,
                ATTEMPTS_HEADER: attempts,
                QUEUE_HEADER: self.queue.name,
                DEAD_LETTERED_AT_HEADER: isoformat(utcnow()),
            }
        )
        props = message.properties
        self._publisher.publish(
            message.body,
            exchange="",
            routing_key=self.dlq,
            headers=headers,
            mandatory=True,  # an absent DLQ is an error, not a silent drop
            serializer=None,
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            message_id=props.get("message_id"),
            correlation_id=props.get("correlation_id"),
            delivery_mode=2,
        )


def idempotent_event_handler(
    source_service: str,
    event_type: str,
    *,
    tables: ConsumerTables,
    units: str | None = "units",
    sessions: str = "db",
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Callable[[Callable[..., None]], Callable[..., str]]:
    """Decorate ``method(self, unit, event)``: ``units`` names the service's ``kernel.uow.Units``
    attribute, and the event's claim is written in the unit the method changes state in.
    ``units=None``: ``method(self, session, event)`` in a bare session of the ``sessions`` attribute.
    """

    def decorate(method: Callable[..., None]) -> Callable[..., str]:
        @functools.wraps(method)
        def entry(self: Any, payload: Any) -> str:
            event = parse_envelope(payload)
            begin: Begin[Any] = (
                in_units(getattr(self, units)) if units else in_sessions(getattr(self, sessions))
            )
            consumer = IdempotentConsumer(begin, tables, retry=retry, sleep=sleep)
            return consumer.consume(event, lambda work, ev: method(self, work, ev)).value

        return IdempotentEventHandler.decorator(source_service, event_type)(entry)  # type: ignore[no-any-return]

    return decorate
