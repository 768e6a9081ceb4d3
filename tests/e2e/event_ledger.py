"""What the scale-out test counts: outbox rows written, events the broker carried, dead letters.

``EventLedger`` binds one exclusive probe queue to every events exchange with ``#`` before a
burst and notes each outbox's highest ``seq``. After the burst, every outbox row past that mark
must have reached the probe (nothing lost) and, with no crash in between, exactly once (a relay
that claimed or published a row twice shows up as a duplicate event id).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pika
from e2e_stack import outbox_database_urls
from kernel import registry
from kernel.envelope import events_exchange
from kernel.event_handlers import dlq_name, event_queue_name, handler_queues
from kernel.identity_events import IDENTITY_SOURCE
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine


def events_exchanges() -> list[str]:
    """Every exchange a relay publishes to: each service with an outbox, and the gateway's."""
    return [s.events_exchange for s in registry.SERVICES if s.outbox] + [events_exchange(IDENTITY_SOURCE)]


def dead_letter_queues(indexer_queue: str) -> list[str]:
    """The DLQ of every idempotent handler of every service, and the search indexer's."""
    queues = [dlq_name(indexer_queue)]
    for service in registry.SERVICES:
        service_class = registry.import_object(service.service_class)
        for source, event_type, method in handler_queues(service_class):
            queues.append(dlq_name(event_queue_name(source, event_type, service_class.name, method)))
    return queues


@dataclass(frozen=True)
class Published:
    """Outbox rows written since the mark, and how often the probe saw each event id."""

    written: dict[str, list[str]]  # owner -> event ids past its mark
    seen: Counter[str]  # event id -> deliveries to the probe

    def missing(self) -> list[str]:
        return [e for ids in self.written.values() for e in ids if not self.seen[e]]

    def duplicated(self) -> dict[str, int]:
        return {e: n for e, n in self.seen.items() if n > 1}

    def total_written(self) -> int:
        return sum(len(ids) for ids in self.written.values())


class EventLedger:
    def __init__(self, rabbitmq_url: str, indexer_queue: str) -> None:
        self.engines: dict[str, Engine] = {n: create_engine(u) for n, u in outbox_database_urls().items()}
        params = pika.URLParameters(rabbitmq_url)
        params.heartbeat = 0  # the probe idles through the burst; nothing to keep alive on loopback
        self.connection = pika.BlockingConnection(params)
        self.channel = self.connection.channel()
        self.probe = self.channel.queue_declare("", exclusive=True).method.queue
        for exchange in events_exchanges():
            self.channel.queue_bind(self.probe, exchange, routing_key="#")
        self.seen: Counter[str] = Counter()
        self.dlqs = dead_letter_queues(indexer_queue)
        self.indexer_queue = indexer_queue
        self.marks = self._marks()
        self.dead_letters_before = self.dead_letters()

    def _marks(self) -> dict[str, int]:
        marks = {}
        for name, engine in self.engines.items():
            with engine.connect() as conn:
                marks[name] = int(conn.execute(text("SELECT coalesce(max(seq), 0) FROM outbox")).scalar_one())
        return marks

    def backlog(self) -> int:
        """Outbox rows no relay has marked published yet, over every database."""
        total = 0
        for engine in self.engines.values():
            with engine.connect() as conn:
                total += int(
                    conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar_one()
                )
        return total

    def queued(self, queue: str) -> int:
        return int(self.channel.queue_declare(queue, passive=True).method.message_count)

    def dead_letters(self) -> int:
        return sum(self.queued(q) for q in self.dlqs)

    def collect(self) -> Published:
        """Take what reached the probe so far, and the outbox rows written past the marks."""
        while True:
            method, properties, _body = self.channel.basic_get(self.probe, auto_ack=True)
            if method is None:
                break
            self.seen[properties.message_id] += 1
        written: dict[str, list[str]] = {}
        for name, engine in self.engines.items():
            with engine.connect() as conn:
                rows = conn.execute(
                    text("SELECT event_id FROM outbox WHERE seq > :mark ORDER BY seq"),
                    {"mark": self.marks[name]},
                )
                written[name] = [row.event_id for row in rows]
        return Published(written, Counter(self.seen))

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()  # the exclusive probe queue goes with it
        for engine in self.engines.values():
            engine.dispose()
