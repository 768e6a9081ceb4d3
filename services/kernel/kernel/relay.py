"""Outbox relay: publishes committed outbox rows to RabbitMQ with publisher confirms.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so several relays can run side by side; a row
is marked published only after the broker confirmed it, in the same transaction that claimed
it. A crash between confirm and commit republishes the row: consumers deduplicate on the event
id, so delivery is at-least-once and nothing acknowledged is lost.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from datetime import timedelta

import pika
import psycopg2
from pika.adapters.blocking_connection import BlockingChannel
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import Table, delete, func, update
from sqlalchemy import select as sql_select
from sqlalchemy.engine import Engine

from kernel.clock import utcnow
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
    ) -> None:
        self.service = service
        self.engine = engine
        self.table = table
        self.rabbitmq_url = rabbitmq_url
        self.batch_size = batch_size
        self.idle_wait_seconds = idle_wait_seconds
        self.retention = retention
        self._connection: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None
        self._declared: set[str] = set()
        self._last_purge = 0.0
        self.backlog_every_seconds = backlog_every_seconds
        self._last_backlog = 0.0

    # -- broker -----------------------------------------------------------------------------
    def _channel_or_connect(self) -> BlockingChannel:
        if self._channel is None or not self._channel.is_open:
            self.close()
            params = pika.URLParameters(self.rabbitmq_url)
            params.heartbeat = 30
            self._connection = pika.BlockingConnection(params)
            self._channel = self._connection.channel()
            self._channel.confirm_delivery()
            self._declared.clear()
        return self._channel

    def close(self) -> None:
        try:
            if self._connection is not None and self._connection.is_open:
                self._connection.close()
        except Exception:  # closing a broken connection may fail; nothing else to do
            pass
        self._connection = None
        self._channel = None

    def _declare(self, channel: BlockingChannel, exchange: str) -> None:
        if exchange not in self._declared:
            # Same arguments nameko uses for "<service>.events", so both can declare it.
            channel.exchange_declare(exchange=exchange, exchange_type="topic", durable=True)
            self._declared.add(exchange)

    # -- one batch --------------------------------------------------------------------------
    def publish_batch(self) -> int:
        """Publish up to ``batch_size`` rows; returns how many were published."""
        t = self.table
        with self.engine.begin() as conn:
            rows = conn.execute(
                sql_select(t.c.seq, t.c.event_id, t.c.exchange, t.c.routing_key, t.c.body, t.c.created_at)
                .where(t.c.published_at.is_(None))
                .order_by(t.c.seq)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            channel = self._channel_or_connect()
            for row in rows:
                self._declare(channel, row.exchange)
                channel.basic_publish(
                    exchange=row.exchange,
                    routing_key=row.routing_key,
                    body=row.body.encode("utf-8"),
                    properties=pika.BasicProperties(
                        content_type="application/json",  # nameko consumers drop anything else
                        content_encoding="utf-8",
                        delivery_mode=pika.DeliveryMode.Persistent,
                        message_id=row.event_id,
                    ),
                )
            now = utcnow()
            conn.execute(update(t).where(t.c.seq.in_([r.seq for r in rows])).values(published_at=now))
        for row in rows:
            PUBLISH_LAG.labels(self.service).observe(max(0.0, (now - row.created_at).total_seconds()))
        PUBLISHED.labels(self.service).inc(len(rows))
        return len(rows)

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

    def drain(self) -> int:
        """Publish until the outbox is empty (used by tests and at start-up)."""
        total = 0
        while True:
            published = self.publish_batch()
            total += published
            if published < self.batch_size:
                return total

    # -- the loop ---------------------------------------------------------------------------
    def run_forever(self, stop: threading.Event) -> None:
        listener = None
        backoff = 0.5
        while not stop.is_set():
            try:
                if listener is None:
                    listener = self._listen()
                self.drain()
                if time.monotonic() - self._last_backlog >= self.backlog_every_seconds:
                    # Right after a drain the backlog is ~0 (rows other relays hold aside): counting
                    # on every wake-up would double the relay's database round trips under load.
                    BACKLOG.labels(self.service).set(self.backlog())
                    self._last_backlog = time.monotonic()
                if time.monotonic() - self._last_purge > 3600:
                    self.purge_published()
                    self._last_purge = time.monotonic()
                self._wait_for_notify(listener)
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

    def _listen(self):  # type: ignore[no-untyped-def]
        dsn = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = psycopg2.connect(dsn)
        conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
        with conn.cursor() as cur:
            cur.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return conn

    def _wait_for_notify(self, listener) -> None:  # type: ignore[no-untyped-def]
        ready, _, _ = select.select([listener], [], [], self.idle_wait_seconds)
        if ready:
            listener.poll()
            listener.notifies.clear()
