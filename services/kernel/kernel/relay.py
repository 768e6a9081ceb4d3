"""Outbox relay: publishes committed outbox rows to RabbitMQ with windowed publisher confirms.

One thread drives one pika ``SelectConnection`` I/O loop. The PostgreSQL ``LISTEN`` socket is one
more handler on that loop, so the AMQP connection (heartbeats included) is serviced while the
relay idles, and a NOTIFY wakes it within milliseconds.

Rows are claimed in batches, each batch in its own transaction, by one statement that marks them
published and returns them (``UPDATE ... WHERE seq IN (SELECT ... FOR UPDATE SKIP LOCKED)
RETURNING``), so several relays can run side by side and a batch costs three round trips (begin,
claim, commit). Up to ``window`` events are unconfirmed at once: the next full batch is claimed and
published while the previous one's confirms are on their way, instead of one broker round trip per
event. When every event of a batch is settled, the rows the broker did not take get their mark
taken back and the batch's transaction commits: until then no other session sees the mark, and a
crash before the commit rolls it back and republishes the rows. Consumers deduplicate on the event
id, so delivery is at-least-once and nothing acknowledged is lost.

Wake-ups are coalesced: a NOTIFY claims after ``coalesce_seconds`` (the events committed meanwhile
share the claim), and one arriving while a part-filled batch is in flight waits for its confirms.
Under a steady trickle of writes a batch then carries several events instead of one, for a few
milliseconds of latency.

Events are published ``mandatory``: one that no queue is bound for comes back (``basic.return``,
sent before its ack) and, like a nacked one, stays unpublished. It is retried after a per-event
backoff held in memory and left out of the claims meanwhile, so it neither loops hot nor holds up
the rows behind it. Queues are declared at provision time (see each consumer's ``topology``), so a
return means a missing consumer, not a start-up race. Events no Panorama process consumes (a survey
answered) are not returned: the migrate step gives every events exchange an alternate exchange,
``panorama.unrouted`` (``kernel.unrouted``); where that policy is missing they are retried too.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pika
import psycopg2
from pika.adapters.select_connection import IOLoop, PollEvents
from pika.channel import Channel
from pika.frame import Method
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import BigInteger, Table, all_, bindparam, delete, func, update
from sqlalchemy import select as sql_select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine, RootTransaction

from kernel.clock import utcnow
from kernel.db import driver_arguments
from kernel.outbox import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

PUBLISHED = Counter("panorama_outbox_published_events_total", "Events published by the relay", ["service"])
BACKLOG = Gauge("panorama_outbox_backlog_events", "Outbox rows not yet published", ["service"])
PUBLISH_LAG = Histogram(
    "panorama_outbox_publish_lag_seconds",
    "Time from commit to broker confirm",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RELAY_ERRORS = Counter("panorama_outbox_relay_errors_total", "Relay loop failures (retried)", ["service"])
RETURNED = Counter(
    "panorama_outbox_returned_events_total",
    "Events the broker returned as unroutable (no queue bound); kept and retried",
    ["service"],
)
NACKED = Counter(
    "panorama_outbox_nacked_events_total", "Events the broker refused (nack); kept and retried", ["service"]
)
CONNECTIONS = Counter(
    "panorama_outbox_relay_connections_total", "Broker connections the relay opened", ["service"]
)

TICK_SECONDS = 0.25  # longest blind spot for the stop flag


class RelayConnectionLost(Exception):
    """The broker connection or channel closed under the relay."""


@dataclass(eq=False)
class _Batch:
    """Claimed rows, locked by their open transaction until every one of them is settled."""

    conn: Connection
    transaction: RootTransaction
    rows: dict[int, Any] = field(default_factory=dict)  # delivery tag -> row
    unsettled: int = 0
    confirmed: list[Any] = field(default_factory=list)
    refused: list[Any] = field(default_factory=list)


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        engine: Engine,
        table: Table,
        rabbitmq_url: str,
        batch_size: int = 500,
        idle_wait_seconds: float = 1.0,
        retention: timedelta = timedelta(days=7),
        backlog_every_seconds: float = 5.0,
        window: int | None = None,
        heartbeat_seconds: int = 30,
        retry_initial_seconds: float = 1.0,
        retry_max_seconds: float = 60.0,
        shutdown_grace_seconds: float = 10.0,
        coalesce_seconds: float = 0.05,  # kernel.settings relay_coalesce_ms says why
        processed_events: Table | None = None,
        processed_retention: timedelta = timedelta(days=30),
    ) -> None:
        self.service = service
        self.engine = engine
        self.table = table
        self.rabbitmq_url = rabbitmq_url
        self.batch_size = batch_size
        # Up to ``window`` unconfirmed events, in whole batches. Each batch in flight holds a pooled
        # connection: the engine's pool must allow ceil(window / batch_size) + 1 at once.
        self.window = window or 2 * batch_size
        self._max_batches = max(1, -(-self.window // batch_size))
        self.idle_wait_seconds = idle_wait_seconds
        self.retention = retention
        # The service's consumers' claims (kernel.consumer): trimmed here, with the outbox, so the
        # table of every event ever consumed does not grow for ever.
        self.processed_events = processed_events
        self.processed_retention = processed_retention
        self.backlog_every_seconds = backlog_every_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.retry_initial_seconds = retry_initial_seconds
        self.retry_max_seconds = retry_max_seconds
        self.shutdown_grace_seconds = shutdown_grace_seconds
        self.coalesce_seconds = coalesce_seconds
        self.connections_opened = 0
        self.published_total = 0

        self._ioloop: IOLoop | None = None
        self._connection: pika.SelectConnection | None = None
        self._channel: Channel | None = None
        self._declared: set[str] = set()
        self._next_tag = 1
        self._in_flight: dict[int, _Batch] = {}  # delivery tag -> batch, ascending tags
        self._batches: list[_Batch] = []
        self._returned: set[str] = set()  # event ids returned and not yet confirmed
        self._deferred: dict[int, tuple[float, int]] = {}  # seq -> (retry not before, attempts)
        self._failure: BaseException | None = None
        self._last_return = ""
        self._closing = False
        self._draining = False
        self._stop: threading.Event | None = None
        self._stopping_until: float | None = None
        self._tick_handle: Any = None
        self._next_poll = 0.0
        self._last_purge = 0.0
        self._last_backlog = 0.0
        self._wanted = False  # rows were committed since the last claim (NOTIFY)
        self._more = False  # the last claim was a full batch: more rows are probably waiting
        self._pump_handle: Any = None

    # -- public -----------------------------------------------------------------------------
    def drain(self) -> int:
        """Publish until nothing publishable is left (used by tests, the bench and at start-up);
        returns how many events the broker confirmed. Rows in backoff are left for later."""
        self._connect()
        assert self._ioloop is not None
        before = self.published_total
        self._draining = True
        try:
            self._ioloop.call_later(0, self._pump)
            self._run_loop()
        except BaseException:
            self.close()
            raise
        finally:
            self._draining = False
        return self.published_total - before

    def run_forever(self, stop: threading.Event) -> None:
        listener = None
        backoff = 0.5
        while not stop.is_set():
            try:
                self._connect()
                if listener is None:
                    listener = self._listen()
                self._serve(stop, listener)
                backoff = 0.5
            except Exception:
                RELAY_ERRORS.labels(self.service).inc()
                log.exception("outbox relay failed; retrying in %.1fs", backoff)
                self.close()
                if listener is not None:
                    listener.close()
                    listener = None
                stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
        self.close()
        if listener is not None:
            listener.close()

    def backlog(self) -> int:
        t = self.table
        with self.engine.connect() as conn:
            return int(conn.execute(sql_select(func.count()).where(t.c.published_at.is_(None))).scalar_one())

    def purge_published(self) -> int:
        t = self.table
        cutoff = utcnow() - self.retention
        with self.engine.begin() as conn:
            result = conn.execute(delete(t).where(t.c.published_at < cutoff))
        return int(result.rowcount or 0)

    def purge_processed(self) -> int:
        """Forget consumed event ids older than ``processed_retention``. A broker redelivers within
        minutes; an event requeued from a dead-letter queue later than that is still applied once
        per aggregate version (``consumed_versions`` is kept: one row per aggregate, not per event)."""
        t = self.processed_events
        if t is None:
            return 0
        cutoff = utcnow() - self.processed_retention
        with self.engine.begin() as conn:
            result = conn.execute(delete(t).where(t.c.processed_at < cutoff))
        return int(result.rowcount or 0)

    def close(self) -> None:
        """Roll back what is in flight (those rows stay unpublished) and close the connection."""
        self._abandon_batches()
        ioloop, connection = self._ioloop, self._connection
        if ioloop is not None and connection is not None and not connection.is_closed:
            self._closing = True
            try:
                if not connection.is_closing:
                    connection.close()
                timeout = ioloop.call_later(5.0, ioloop.stop)
                ioloop.start()  # until _on_connection_closed stops it
                ioloop.remove_timeout(timeout)
            except Exception:  # closing a broken connection may fail; nothing else to do
                pass
            finally:
                self._closing = False
        if ioloop is not None:
            ioloop.close()
        self._ioloop = None
        self._connection = None
        self._channel = None
        self._failure = None

    # -- the loop ---------------------------------------------------------------------------
    def _serve(self, stop: threading.Event, listener: Any) -> None:
        """Run the I/O loop until ``stop`` is set (returns) or the broker goes away (raises)."""
        assert self._ioloop is not None
        ioloop = self._ioloop
        self._stop = stop
        self._stopping_until = None
        ioloop.add_handler(listener.fileno(), lambda fd, events: self._on_notify(listener), PollEvents.READ)
        try:
            self._next_poll = 0.0
            self._tick_handle = ioloop.call_later(0, self._tick)
            self._run_loop()
        finally:
            if self._tick_handle is not None and self._ioloop is ioloop:
                ioloop.remove_timeout(self._tick_handle)
            self._tick_handle = None
            if self._pump_handle is not None and self._ioloop is ioloop:
                ioloop.remove_timeout(self._pump_handle)
            self._pump_handle = None
            if self._ioloop is ioloop:
                ioloop.remove_handler(listener.fileno())
            self._stop = None

    def _run_loop(self) -> None:
        assert self._ioloop is not None
        self._ioloop.start()
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise RelayConnectionLost(str(failure) or type(failure).__name__) from failure

    def _tick(self) -> None:
        assert self._ioloop is not None and self._stop is not None
        self._tick_handle = self._ioloop.call_later(TICK_SECONDS, self._tick)
        now = time.monotonic()
        if self._stop.is_set():
            if self._stopping_until is None:
                self._stopping_until = now + self.shutdown_grace_seconds
            if not self._in_flight or now >= self._stopping_until:
                self._ioloop.stop()  # close() rolls back what is still unconfirmed
            return
        if now >= self._next_poll:  # NOTIFY is the fast path; this catches anything it missed
            self._next_poll = now + self.idle_wait_seconds
            self._pump()
        if now - self._last_backlog >= self.backlog_every_seconds:
            # Counting on every wake-up would double the relay's database round trips under load.
            BACKLOG.labels(self.service).set(self.backlog())
            self._last_backlog = now
        if now - self._last_purge > 3600:
            self.purge_published()
            self.purge_processed()
            self._last_purge = now

    def _on_notify(self, listener: Any) -> None:
        listener.poll()
        listener.notifies.clear()
        self._wanted = True
        if self._pump_handle is not None or self._batches:
            return  # a claim is due, or the confirms of the batches in flight will claim
        assert self._ioloop is not None
        self._pump_handle = self._ioloop.call_later(self.coalesce_seconds, self._coalesced_pump)

    def _coalesced_pump(self) -> None:
        self._pump_handle = None
        self._pump()

    def _listen(self) -> Any:
        dsn = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = psycopg2.connect(dsn, **driver_arguments(dsn))
        conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
        with conn.cursor() as cur:
            cur.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return conn

    # -- claiming and publishing ------------------------------------------------------------
    def _pump(self) -> None:
        """Fill the window with newly claimed rows; in drain mode, stop once nothing is left."""
        if self._channel is None or not self._channel.is_open or self._stopping():
            return
        self._wanted = False
        # Whole batches: topping up a partly confirmed one would open ever smaller transactions.
        while len(self._batches) < self._max_batches:
            self._more = self._claim(self.batch_size) >= self.batch_size
            if not self._more:
                break
        if self._draining and not self._in_flight:
            assert self._ioloop is not None
            self._ioloop.stop()

    def _stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    def _claim(self, limit: int) -> int:
        t = self.table
        claimable = (
            sql_select(t.c.seq)
            .where(t.c.published_at.is_(None))
            .order_by(t.c.seq)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        waiting = self._seqs_in_backoff()
        if waiting:
            claimable = claimable.where(
                t.c.seq != all_(bindparam("waiting", waiting, type_=ARRAY(BigInteger)))
            )
        # Marked published as claimed: the mark is this transaction's until every confirm is in
        # (refused rows get it taken back in ``_finish``), and a rollback takes it all back.
        query = (
            update(t)
            .where(t.c.seq.in_(claimable.scalar_subquery()))
            .values(published_at=func.now())
            .returning(t.c.seq, t.c.event_id, t.c.exchange, t.c.routing_key, t.c.body, t.c.created_at)
        )
        conn = self.engine.connect()
        try:
            transaction = conn.begin()
            rows = sorted(conn.execute(query).all(), key=lambda row: row.seq)  # publish in seq order
        except BaseException:
            conn.close()
            raise
        if not rows:
            transaction.rollback()
            conn.close()
            return 0
        batch = _Batch(conn, transaction)
        self._batches.append(batch)
        for row in rows:
            self._publish(batch, row)
        return len(rows)

    def _publish(self, batch: _Batch, row: Any) -> None:
        assert self._channel is not None
        if row.exchange not in self._declared:
            # Same arguments nameko uses for "<service>.events", so both can declare it.
            self._channel.exchange_declare(exchange=row.exchange, exchange_type="topic", durable=True)
            self._declared.add(row.exchange)
        self._channel.basic_publish(
            exchange=row.exchange,
            routing_key=row.routing_key,
            body=row.body.encode("utf-8"),
            properties=pika.BasicProperties(
                content_type="application/json",  # nameko consumers drop anything else
                content_encoding="utf-8",
                delivery_mode=pika.DeliveryMode.Persistent,
                message_id=row.event_id,
            ),
            mandatory=True,  # unroutable comes back instead of being confirmed and lost
        )
        tag = self._next_tag
        self._next_tag += 1
        batch.rows[tag] = row
        batch.unsettled += 1
        self._in_flight[tag] = batch

    # -- settling ---------------------------------------------------------------------------
    def _on_return(
        self, channel: Channel, method: Any, properties: pika.BasicProperties, body: bytes
    ) -> None:
        RETURNED.labels(self.service).inc()
        if properties.message_id:
            self._returned.add(properties.message_id)
        self._last_return = (
            f"{method.reply_code} {method.reply_text} ({method.exchange} {method.routing_key})"
        )

    def _on_confirm(self, frame: Method[Any]) -> None:
        method = frame.method
        acked = isinstance(method, pika.spec.Basic.Ack)
        last = method.delivery_tag
        if method.multiple:
            tags = []
            for tag in self._in_flight:  # ascending: publish order
                if tag > last:
                    break
                tags.append(tag)
        else:
            tags = [last] if last in self._in_flight else []
        for tag in tags:
            batch = self._in_flight.pop(tag)
            row = batch.rows[tag]
            returned = row.event_id in self._returned
            self._returned.discard(row.event_id)
            if acked and not returned:
                batch.confirmed.append(row)
            else:
                if not acked:
                    NACKED.labels(self.service).inc()
                batch.refused.append(row)
            batch.unsettled -= 1
            if batch.unsettled == 0:
                self._finish(batch)
        if self._stopping():
            if not self._in_flight:
                assert self._ioloop is not None
                self._ioloop.stop()
        elif self._draining or self._more or (self._wanted and self._pump_handle is None):
            # Claim again only when rows are known to wait: a claim after every confirm would
            # mostly find nothing, a wasted transaction per batch under a trickle of writes.
            self._pump()

    def _finish(self, batch: _Batch) -> None:
        t = self.table
        now = utcnow()
        self._batches.remove(batch)
        try:
            if batch.refused:
                batch.conn.execute(
                    update(t).where(t.c.seq.in_([r.seq for r in batch.refused])).values(published_at=None)
                )
            batch.transaction.commit()
        finally:
            batch.conn.close()
        for row in batch.confirmed:
            self._deferred.pop(row.seq, None)
            PUBLISH_LAG.labels(self.service).observe(max(0.0, (now - row.created_at).total_seconds()))
        PUBLISHED.labels(self.service).inc(len(batch.confirmed))
        self.published_total += len(batch.confirmed)
        for row in batch.refused:
            self._defer(row.seq)
        if batch.refused:
            # One line per batch: a backlog nobody consumes would otherwise log every event.
            log.warning(
                "%d events returned or nacked by the broker (last return: %s); kept for a retry",
                len(batch.refused),
                self._last_return or "none",
            )

    def _defer(self, seq: int) -> None:
        _, attempts = self._deferred.get(seq, (0.0, 0))
        delay = min(self.retry_initial_seconds * 2**attempts, self.retry_max_seconds)
        self._deferred[seq] = (time.monotonic() + delay, attempts + 1)

    def _seqs_in_backoff(self) -> list[int]:
        now = time.monotonic()
        # Entries long past due belong to rows another relay published: forget them.
        for seq in [s for s, (due, _) in self._deferred.items() if due < now - 3600]:
            del self._deferred[seq]
        return [seq for seq, (due, _) in self._deferred.items() if due > now]

    def _abandon_batches(self) -> None:
        for batch in self._batches:
            try:
                batch.transaction.rollback()
                batch.conn.close()
            except Exception:  # a dead database connection: its locks went with it
                pass
        self._batches.clear()
        self._in_flight.clear()
        self._returned.clear()

    # -- broker connection ------------------------------------------------------------------
    def _connect(self) -> None:
        if self._channel is not None and self._channel.is_open:
            return
        self.close()
        params = pika.URLParameters(self.rabbitmq_url)
        params.heartbeat = self.heartbeat_seconds
        params.client_properties = {"connection_name": f"{self.service}-relay"}
        self._ioloop = IOLoop()
        self._connection = pika.SelectConnection(
            params,
            on_open_callback=self._on_connection_open,
            on_open_error_callback=self._on_connection_lost,
            on_close_callback=self._on_connection_lost,
            custom_ioloop=self._ioloop,
        )
        self._run_loop()  # until the channel is in confirm mode, or the attempt failed

    def _on_connection_open(self, connection: Any) -> None:
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_channel_open(self, channel: Channel) -> None:
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        channel.confirm_delivery(self._on_confirm, callback=lambda frame: self._on_confirm_mode(channel))

    def _on_confirm_mode(self, channel: Channel) -> None:
        assert self._ioloop is not None
        self._channel = channel
        self._next_tag = 1
        self._declared.clear()
        self.connections_opened += 1
        CONNECTIONS.labels(self.service).inc()
        self._ioloop.stop()

    def _on_channel_closed(self, channel: Channel, reason: BaseException) -> None:
        # A channel error (say an exchange declared with other arguments) ends the channel only;
        # start over on a fresh connection rather than keep a half-usable one.
        if self._closing:
            return  # our own close: the connection's close callback ends the loop
        connection = self._connection
        if connection is not None and connection.is_open:
            connection.close()
        self._on_connection_lost(connection, reason)

    def _on_connection_lost(self, connection: Any, reason: BaseException) -> None:
        self._abandon_batches()
        self._channel = None
        if not self._closing and self._failure is None:
            self._failure = reason
        if self._ioloop is not None:
            self._ioloop.stop()
