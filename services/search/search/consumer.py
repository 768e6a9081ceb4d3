"""The bulk consumer: RabbitMQ → Elasticsearch with manual, batched acknowledgements.

One ``BlockingConnection`` drives everything from a single thread: deliveries are buffered by
the consumer callback, and the loop flushes a batch when it is full (at most half the prefetch,
so the broker keeps the next batch coming) or 50 ms after its first message. Every wait (the
flush timer, the backoff while Elasticsearch is down) happens inside
``process_data_events(time_limit=...)``, so heartbeats keep flowing and the connection lives.

Delivery is at-least-once: a batch is acknowledged (``multiple=True`` up to its last tag) only
after Elasticsearch accepted it. Redeliveries and replays are harmless because every write is
``version_type=external`` with the aggregate version: ES refuses anything not newer (409), which
counts as success. That is the whole consumer-side deduplication; no processed-id table is needed
because the documents themselves carry the version.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pika
from kernel.clock import isoformat, utcnow
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPError

from search import metrics
from search.bulk import OpResult, Outcome
from search.documents import IndexOp
from search.messages import Poison, decode
from search.topology import QueueTopology
from search.writer import EsWriter, RetryableEsError

log = logging.getLogger(__name__)

REASON_HEADER = "x-panorama-reason"
SLICE_SECONDS = 0.25  # longest blind spot for the stop flag


@dataclass(frozen=True)
class Delivery:
    tag: int
    exchange: str
    routing_key: str
    properties: pika.BasicProperties
    body: bytes


@dataclass
class IndexerConfig:
    amqp_url: str
    queue: str
    exchanges: list[str]
    prefetch: int = 500
    batch_size: int = 250
    flush_after: float = 0.05
    backoff_initial: float = 0.2
    backoff_max: float = 10.0
    heartbeat: int = 30
    dlq_sample_every: float = 10.0
    connection_name: str = "search-indexer"
    extra_queue_arguments: dict[str, Any] = field(default_factory=dict)

    @property
    def topology(self) -> QueueTopology:
        return QueueTopology(self.queue, tuple(self.exchanges), self.extra_queue_arguments)

    @property
    def dlq(self) -> str:
        return self.topology.dlq


def republished(original: pika.BasicProperties, headers: dict[str, Any]) -> pika.BasicProperties:
    """Properties for a persistent copy of a message (to or from the DLQ) with new headers."""
    return pika.BasicProperties(
        content_type=original.content_type,
        content_encoding=original.content_encoding,
        message_id=original.message_id,
        correlation_id=original.correlation_id,
        delivery_mode=pika.DeliveryMode.Persistent,
        headers=headers,
    )


def declare_topology(channel: BlockingChannel, config: IndexerConfig) -> None:
    config.topology.declare_on(channel)


class BulkIndexer:
    def __init__(self, config: IndexerConfig, writer: EsWriter) -> None:
        self.config = config
        self.writer = writer
        self._pending: list[Delivery] = []
        self._first_at: float | None = None
        self._next_dlq_sample = 0.0

    # -- lifecycle --------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set, reconnecting to the broker with backoff."""
        delay = self.config.backoff_initial
        while not stop.is_set():
            try:
                self._serve(stop)
                delay = self.config.backoff_initial
            except AMQPError as exc:
                # Unacked deliveries go back to the queue with the dead connection.
                self._pending.clear()
                self._first_at = None
                log.warning("broker connection lost (%r); reconnecting in %.1fs", exc, delay)
                stop.wait(delay)
                delay = min(delay * 2, self.config.backoff_max)

    def _connect(self) -> tuple[pika.BlockingConnection, BlockingChannel]:
        params = pika.URLParameters(self.config.amqp_url)
        params.heartbeat = self.config.heartbeat
        params.client_properties = {"connection_name": self.config.connection_name}
        connection = pika.BlockingConnection(params)
        channel = connection.channel()
        channel.confirm_delivery()  # a dead-lettered message is acked only once the DLQ has it
        declare_topology(channel, self.config)
        channel.basic_qos(prefetch_count=self.config.prefetch)
        return connection, channel

    def _serve(self, stop: threading.Event) -> None:
        connection, channel = self._connect()
        try:
            consumer_tag = channel.basic_consume(self.config.queue, self._on_message, auto_ack=False)
            log.info(
                "consuming %s (prefetch %d, batch %d)",
                self.config.queue,
                self.config.prefetch,
                self.config.batch_size,
            )
            while not stop.is_set():
                connection.process_data_events(time_limit=self._wait_time())
                if self._flush_due():
                    self._flush(connection, channel, stop)
                self._sample_dlq(channel)
            self._shutdown(connection, channel, consumer_tag)
        finally:
            if connection.is_open:
                connection.close()

    def _shutdown(self, connection: pika.BlockingConnection, channel: BlockingChannel, tag: str) -> None:
        """Stop deliveries, flush what we hold with one attempt per batch, requeue the rest."""
        channel.basic_cancel(tag)
        while self._pending:
            if not self._flush(connection, channel, None):
                channel.basic_nack(delivery_tag=self._pending[-1].tag, multiple=True, requeue=True)
                log.info("requeued %d in-flight messages on shutdown", len(self._pending))
                self._pending.clear()
        log.info("indexer stopped cleanly")

    # -- receiving --------------------------------------------------------------------------
    def _on_message(self, channel: BlockingChannel, method: Any, properties: Any, body: bytes) -> None:
        if not self._pending:
            self._first_at = time.monotonic()
        self._pending.append(
            Delivery(method.delivery_tag, method.exchange, method.routing_key, properties, body)
        )

    def _wait_time(self) -> float:
        if self._first_at is None:
            return SLICE_SECONDS
        return max(0.0, min(SLICE_SECONDS, self._first_at + self.config.flush_after - time.monotonic()))

    def _flush_due(self) -> bool:
        if not self._pending or self._first_at is None:
            return False
        return (
            len(self._pending) >= self.config.batch_size
            or time.monotonic() >= self._first_at + self.config.flush_after
        )

    # -- one batch --------------------------------------------------------------------------
    def _flush(
        self, connection: pika.BlockingConnection, channel: BlockingChannel, stop: threading.Event | None
    ) -> bool:
        """Settle the oldest batch; False when it had to give up (only when stopping)."""
        batch = self._pending[: self.config.batch_size]
        poison: list[tuple[Delivery, str]] = []
        waiting: list[tuple[Delivery, IndexOp]] = []
        for delivery in batch:
            decoded = decode(delivery.body)
            if isinstance(decoded, Poison):
                poison.append((delivery, decoded.reason))
            else:
                waiting.append((delivery, decoded))

        delay = self.config.backoff_initial
        while waiting:
            try:
                results = self.writer.write([op for _, op in waiting])
            except RetryableEsError as exc:
                results = [OpResult(Outcome.RETRY, str(exc))] * len(waiting)
            waiting = self._settle(waiting, results, poison)
            if waiting:
                if stop is None or stop.is_set():
                    return False
                metrics.ES_RETRIES.inc()
                log.warning(
                    "%d events not accepted by elasticsearch (%s); retrying in %.1fs",
                    len(waiting),
                    results[0].reason if results else "",
                    delay,
                )
                self._sleep(connection, delay, stop)
                delay = min(delay * 2, self.config.backoff_max)

        for delivery, reason in poison:
            self._dead_letter(channel, delivery, reason)
        channel.basic_ack(delivery_tag=batch[-1].tag, multiple=True)
        metrics.BATCH_SIZE.observe(len(batch))
        del self._pending[: len(batch)]
        # What is left arrived while this batch was written: it is already due.
        self._first_at = time.monotonic() - self.config.flush_after if self._pending else None
        return True

    def _settle(
        self,
        waiting: list[tuple[Delivery, IndexOp]],
        results: list[OpResult],
        poison: list[tuple[Delivery, str]],
    ) -> list[tuple[Delivery, IndexOp]]:
        now = utcnow()
        retry: list[tuple[Delivery, IndexOp]] = []
        for (delivery, op), result in zip(waiting, results, strict=True):
            if result.outcome is Outcome.RETRY:
                retry.append((delivery, op))
            elif result.outcome is Outcome.POISON:
                poison.append((delivery, f"elasticsearch refused the document: {result.reason}"))
            else:
                metrics.EVENTS.labels(result.outcome.value).inc()
                if result.outcome is Outcome.INDEXED and op.occurred_at is not None:
                    metrics.LAG.observe(max(0.0, (now - op.occurred_at).total_seconds()))
        return retry

    def _sleep(self, connection: pika.BlockingConnection, seconds: float, stop: threading.Event) -> None:
        deadline = time.monotonic() + seconds
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            connection.process_data_events(time_limit=min(SLICE_SECONDS, left))

    # -- dead letters -----------------------------------------------------------------------
    def _dead_letter(self, channel: BlockingChannel, delivery: Delivery, reason: str) -> None:
        props = delivery.properties
        headers = dict(props.headers or {})
        headers.update(
            {
                REASON_HEADER: reason,
                "x-panorama-original-exchange": delivery.exchange,
                "x-panorama-original-routing-key": delivery.routing_key,
                "x-panorama-dead-lettered-at": isoformat(utcnow()),
            }
        )
        channel.basic_publish(
            exchange="",
            routing_key=self.config.dlq,
            body=delivery.body,
            properties=republished(props, headers),
            mandatory=True,
        )
        metrics.EVENTS.labels(metrics.DEAD_LETTERED).inc()
        log.warning("dead-lettered message from %s/%s: %s", delivery.exchange, delivery.routing_key, reason)

    def _sample_dlq(self, channel: BlockingChannel) -> None:
        now = time.monotonic()
        if now < self._next_dlq_sample:
            return
        self._next_dlq_sample = now + self.config.dlq_sample_every
        declared = channel.queue_declare(self.config.dlq, passive=True)
        metrics.DLQ_DEPTH.set(declared.method.message_count)
