"""The bulk consumer: RabbitMQ → Elasticsearch with manual, batched acknowledgements.

One ``BlockingConnection`` is driven by the main thread: deliveries are buffered by the consumer
callback, and the loop cuts a batch when it is full or ``flush_after`` after its oldest message.
Each batch is handed to a small pool of writer threads that decode it, build the documents and
send one bulk request (retrying with backoff while Elasticsearch is down); up to ``max_in_flight``
batches are written at once, so consuming, building and Elasticsearch's indexing overlap instead
of taking turns. Writers never touch the broker (pika is not thread-safe): a finished writer
only wakes the loop (``add_callback_threadsafe``), and the main thread settles finished batches
oldest first — dead letters published (with confirms) and then one ``basic_ack(multiple=True)``
up to the batch's last tag. Because batches are cut in delivery order and settled in that order,
a multiple-ack never covers a message whose batch is still being written. Every wait happens
inside ``process_data_events(time_limit=...)``, so heartbeats keep flowing.

Delivery is at-least-once: a message is acknowledged only after Elasticsearch accepted it.
Redeliveries and replays are harmless because every write is ``version_type=external`` with the
aggregate version: ES refuses anything not newer (409), which counts as success. That is the whole
consumer-side deduplication; no processed-id table is needed because the documents themselves
carry the version.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pika
from kernel.clock import isoformat, utcnow
from kernel.dlq import DEAD_LETTERED_AT_HEADER, ORIGINAL_ROUTING_KEY_HEADER, REASON_HEADER, republished
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPError

from search import metrics
from search.bulk import OpResult, Outcome
from search.documents import IndexOp
from search.messages import Poison, decode
from search.topology import QueueTopology
from search.writer import EsWriter, RetryableEsError

log = logging.getLogger(__name__)

SLICE_SECONDS = 0.25  # longest blind spot for the stop flag


@dataclass(frozen=True)
class Delivery:
    tag: int
    exchange: str
    routing_key: str
    properties: pika.BasicProperties
    body: bytes
    received_at: float = 0.0  # time.monotonic() when the consumer callback got it


@dataclass(frozen=True)
class BatchResult:
    """What a writer thread made of one batch; the main thread turns it into broker calls."""

    poison: list[tuple[Delivery, str]]
    settled: bool  # False: given up (stopping, or the connection is gone): nothing may be acked


@dataclass
class Batch:
    deliveries: list[Delivery]
    # Set by the main thread when it stops or loses the broker: the writer makes no further attempt.
    abandoned: threading.Event = field(default_factory=threading.Event)
    future: Future[BatchResult] | None = None

    @property
    def last_tag(self) -> int:
        return self.deliveries[-1].tag


@dataclass
class IndexerConfig:
    amqp_url: str
    queue: str
    exchanges: list[str]
    prefetch: int = 3000
    batch_size: int = 1000
    max_in_flight: int = 2
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


def declare_topology(channel: BlockingChannel, config: IndexerConfig) -> None:
    config.topology.declare_on(channel)


def _nothing() -> None:
    """Run on the loop's thread by a finishing writer: its only job is to end the wait."""


class BulkIndexer:
    def __init__(self, config: IndexerConfig, writer: EsWriter) -> None:
        self.config = config
        self.writer = writer
        self._pending: list[Delivery] = []
        self._in_flight: deque[Batch] = deque()
        self._executor = ThreadPoolExecutor(max(1, config.max_in_flight), thread_name_prefix="bulk-writer")
        self._wake: Callable[[], None] = lambda: None
        self._next_dlq_sample = 0.0

    # -- lifecycle --------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set, reconnecting to the broker with backoff."""
        delay = self.config.backoff_initial
        try:
            while not stop.is_set():
                try:
                    self._serve(stop)
                    delay = self.config.backoff_initial
                except AMQPError as exc:
                    log.warning("broker connection lost (%r); reconnecting in %.1fs", exc, delay)
                    stop.wait(delay)
                    delay = min(delay * 2, self.config.backoff_max)
        finally:
            self._executor.shutdown(wait=True)

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
        self._wake = lambda: connection.add_callback_threadsafe(_nothing)
        try:
            consumer_tag = channel.basic_consume(self.config.queue, self._on_message, auto_ack=False)
            log.info(
                "consuming %s (prefetch %d, batch %d, %d in flight)",
                self.config.queue,
                self.config.prefetch,
                self.config.batch_size,
                self.config.max_in_flight,
            )
            while not stop.is_set():
                connection.process_data_events(time_limit=self._wait_time())
                self._pump(channel)
                self._sample_dlq(channel)
            self._shutdown(connection, channel, consumer_tag)
        finally:
            # Whatever is still held goes back to the queue with the connection; its writers stop
            # retrying (a late write is harmless: the redelivery carries the same version).
            self._forget_held()
            self._wake = lambda: None
            if connection.is_open:
                connection.close()

    def _forget_held(self) -> None:
        for batch in self._in_flight:
            batch.abandoned.set()
        self._in_flight.clear()
        self._pending.clear()

    def _shutdown(self, connection: pika.BlockingConnection, channel: BlockingChannel, tag: str) -> None:
        """Stop deliveries, write what we hold with one attempt per batch, requeue the rest."""
        channel.basic_cancel(tag)
        for batch in self._in_flight:
            batch.abandoned.set()
        while self._pending or self._in_flight:
            while self._pending and len(self._in_flight) < self.config.max_in_flight:
                self._submit(abandoned=True)
            connection.process_data_events(time_limit=SLICE_SECONDS)
            if not self._settle_finished(channel):
                break
        log.info("indexer stopped cleanly")

    # -- receiving --------------------------------------------------------------------------
    def _on_message(self, channel: BlockingChannel, method: Any, properties: Any, body: bytes) -> None:
        self._pending.append(
            Delivery(
                method.delivery_tag, method.exchange, method.routing_key, properties, body, time.monotonic()
            )
        )

    def _has_room(self) -> bool:
        return len(self._in_flight) < self.config.max_in_flight

    def _wait_time(self) -> float:
        if not self._pending or not self._has_room():
            return SLICE_SECONDS  # a finishing writer wakes the loop before that
        due = self._pending[0].received_at + self.config.flush_after
        return max(0.0, min(SLICE_SECONDS, due - time.monotonic()))

    def _flush_due(self) -> bool:
        if not self._pending:
            return False
        return (
            len(self._pending) >= self.config.batch_size
            or time.monotonic() >= self._pending[0].received_at + self.config.flush_after
        )

    # -- batches ----------------------------------------------------------------------------
    def _pump(self, channel: BlockingChannel) -> None:
        """Settle what finished, then start writing every due batch there is room for."""
        self._settle_finished(channel)
        while self._has_room() and self._flush_due():
            self._submit()

    def _submit(self, abandoned: bool = False) -> Batch:
        batch = Batch(self._pending[: self.config.batch_size])
        del self._pending[: len(batch.deliveries)]
        if abandoned:
            batch.abandoned.set()
        batch.future = self._executor.submit(self.write_batch, batch)
        batch.future.add_done_callback(lambda _: self._notify())
        self._in_flight.append(batch)
        return batch

    def _notify(self) -> None:
        with contextlib.suppress(AMQPError):  # the connection is gone: nobody waits for this batch
            self._wake()

    def _settle_finished(self, channel: BlockingChannel) -> bool:
        """Dead-letter and ack finished batches, oldest first, up to the first one still being
        written. False when a batch was given up: then everything held is requeued."""
        while self._in_flight and self._in_flight[0].future is not None and self._in_flight[0].future.done():
            batch = self._in_flight.popleft()
            assert batch.future is not None
            result = batch.future.result()
            if not result.settled:
                self._requeue_held(channel, batch)
                return False
            for delivery, reason in result.poison:
                self._dead_letter(channel, delivery, reason)
            channel.basic_ack(delivery_tag=batch.last_tag, multiple=True)
            metrics.BATCH_SIZE.observe(len(batch.deliveries))
        return True

    def _requeue_held(self, channel: BlockingChannel, given_up: Batch) -> None:
        # One multiple-nack covers the given-up batch and everything younger (delivery tags only
        # grow); younger batches already written are simply written again, at the same version.
        held = [given_up, *self._in_flight]
        last = max([b.last_tag for b in held] + [d.tag for d in self._pending])
        channel.basic_nack(delivery_tag=last, multiple=True, requeue=True)
        count = sum(len(b.deliveries) for b in held) + len(self._pending)
        log.info("requeued %d in-flight messages", count)
        self._forget_held()

    # -- one batch, on a writer thread --------------------------------------------------------
    def write_batch(self, batch: Batch) -> BatchResult:
        """Decode, build and bulk-write one batch, retrying until Elasticsearch takes it or the
        batch is abandoned. Touches no broker state."""
        poison: list[tuple[Delivery, str]] = []
        waiting: list[tuple[Delivery, IndexOp]] = []
        for delivery in batch.deliveries:
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
                if batch.abandoned.is_set():
                    return BatchResult(poison, settled=False)
                metrics.ES_RETRIES.inc()
                log.warning(
                    "%d events not accepted by elasticsearch (%s); retrying in %.1fs",
                    len(waiting),
                    results[0].reason if results else "",
                    delay,
                )
                batch.abandoned.wait(delay)
                delay = min(delay * 2, self.config.backoff_max)
        return BatchResult(poison, settled=True)

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

    # -- dead letters -----------------------------------------------------------------------
    def _dead_letter(self, channel: BlockingChannel, delivery: Delivery, reason: str) -> None:
        props = delivery.properties
        headers = dict(props.headers or {})
        headers.update(
            {
                REASON_HEADER: reason,
                "x-panorama-original-exchange": delivery.exchange,
                ORIGINAL_ROUTING_KEY_HEADER: delivery.routing_key,
                DEAD_LETTERED_AT_HEADER: isoformat(utcnow()),
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
