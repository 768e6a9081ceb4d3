"""Bulk load: publish the generated envelopes to ``customers.events`` and time the real indexer.

Messages are published exactly as the customers outbox relay publishes them (persistent, JSON,
``message_id`` = event id, routing key = event type). Publishing uses AMQP transactions committed
every ``TX_BATCH`` messages, so every message is on the broker when ``publish`` returns; the load
clock stops when the alias counts every event as a searchable document.

Two measurements: ``bulk_load`` publishes while the indexer runs (the clock starts at the first
publish, so it can never beat the publisher's own rate: check ``publish_rate``), and
``drain_load`` fills the queue first and only then starts the indexer(s), timing from their first
consumer registration to the last document searchable: the indexer's own throughput.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pika
from elasticsearch import Elasticsearch, NotFoundError
from kernel.envelope import Envelope
from pika.adapters.blocking_connection import BlockingChannel
from search.es import settings_index_body
from search.indices import building_alias, ensure_index, indices_behind
from search.settings import SearchSettings
from search.topology import QueueTopology

from bench import procs
from bench.procs import consumer_count, require_alive

EXCHANGE = "customers.events"
TX_BATCH = 500
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Message:
    routing_key: str
    message_id: str
    body: bytes


@dataclass(frozen=True)
class BulkResult:
    events: int
    publish_seconds: float
    load_seconds: float
    indexers: int

    @property
    def publish_rate(self) -> float:
        return self.events / self.publish_seconds

    @property
    def load_rate(self) -> float:
        return self.events / self.load_seconds


def serialize(events: Iterable[Envelope]) -> list[Message]:
    return [Message(e.type, e.id, e.to_json().encode("utf-8")) for e in events]


def reset_index(es: Elasticsearch, search_settings: SearchSettings) -> str:
    """Drop whatever sits behind the bench alias and create a fresh, empty index behind it."""
    alias = search_settings.search_alias
    for name in {*indices_behind(es, alias), *indices_behind(es, building_alias(alias))}:
        es.indices.delete(index=name)
    try:
        if es.indices.exists(index=alias):
            es.indices.delete(index=alias)
    except NotFoundError:
        pass
    return ensure_index(es, alias, settings_index_body(search_settings))


def reset_queue(connection: pika.BlockingConnection, queue: str) -> None:
    channel = connection.channel()
    for name in (queue, f"{queue}.dlq"):
        channel.queue_delete(name)
    channel.close()


def wait_for_consumers(
    connection: pika.BlockingConnection,
    queue: str,
    processes: list[subprocess.Popen[bytes]],
    timeout: float = 60.0,
) -> None:
    """Publishing before the indexer has bound its queue would drop the messages as unroutable."""
    deadline = time.monotonic() + timeout
    while (consumer_count(connection, queue) or 0) < len(processes):
        require_alive(processes, "search.indexer")
        if time.monotonic() > deadline:
            raise RuntimeError(f"search.indexer did not start consuming {queue} within {timeout:.0f}s")
        connection.process_data_events(time_limit=0.1)


def publish(channel: BlockingChannel, messages: list[Message], progress: Progress) -> float:
    """Publish everything; returns the seconds it took (broker has all of it on return)."""
    channel.exchange_declare(exchange=EXCHANGE, exchange_type="topic", durable=True)
    channel.tx_select()
    started = time.perf_counter()
    next_report = started + 5.0
    for i, message in enumerate(messages, 1):
        channel.basic_publish(
            exchange=EXCHANGE,
            routing_key=message.routing_key,
            body=message.body,
            properties=pika.BasicProperties(
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=pika.DeliveryMode.Persistent,
                message_id=message.message_id,
            ),
        )
        if i % TX_BATCH == 0:
            channel.tx_commit()
            now = time.perf_counter()
            if now >= next_report:
                progress(f"published {i:,}/{len(messages):,} ({i / (now - started):,.0f}/s)")
                next_report = now + 5.0
    channel.tx_commit()
    return time.perf_counter() - started


def searchable_count(es: Elasticsearch, alias: str) -> int:
    try:
        return int(es.count(index=alias)["count"])
    except NotFoundError:
        return 0


def wait_indexed(
    es: Elasticsearch,
    alias: str,
    expected: int,
    processes: list[subprocess.Popen[bytes]],
    progress: Progress,
    stall_seconds: float = 90.0,
) -> float:
    """Poll the alias until ``expected`` documents are searchable; returns ``perf_counter`` then."""
    last, last_change, next_report = -1, time.monotonic(), time.monotonic() + 5.0
    while True:
        count = searchable_count(es, alias)
        now = time.monotonic()
        if count >= expected:
            return time.perf_counter()
        if count != last:
            last, last_change = count, now
        elif now - last_change > stall_seconds:
            raise RuntimeError(
                f"indexing stalled at {count:,}/{expected:,} documents for {stall_seconds:.0f}s "
                f"(dead-lettered? see bench/results/logs/ and the {alias} DLQ)"
            )
        if now >= next_report:
            progress(f"searchable {count:,}/{expected:,}")
            next_report = now + 5.0
        require_alive(processes, "search.indexer")
        time.sleep(0.1)


def bulk_load(
    *,
    es: Elasticsearch,
    connection: pika.BlockingConnection,
    alias: str,
    messages: list[Message],
    indexers: list[subprocess.Popen[bytes]],
    progress: Progress,
) -> BulkResult:
    channel = connection.channel()
    started = time.perf_counter()
    publish_seconds = publish(channel, messages, progress)
    # Closed before the wait: a blocking connection left idle for minutes services no heartbeats
    # and the broker drops it (a slow indexer made a 100k run fail on this close).
    channel.close()
    progress(f"published {len(messages):,} events in {publish_seconds:.1f}s; waiting for the indexer")
    done = wait_indexed(es, alias, len(messages), indexers, progress)
    return BulkResult(len(messages), publish_seconds, done - started, len(indexers))


@dataclass(frozen=True)
class DrainResult:
    events: int
    drain_seconds: float  # first indexer consuming → every event searchable
    indexers: int
    indexer_cpu_seconds: float  # user + system of the indexer processes while draining
    es_index_ms: float  # the new index's indexing + refresh time (ES _stats), all of the drain

    @property
    def drain_rate(self) -> float:
        return self.events / self.drain_seconds

    @property
    def cpu_ms_per_event(self) -> float:
        return 1000.0 * self.indexer_cpu_seconds / self.events

    @property
    def es_ms_per_event(self) -> float:
        return self.es_index_ms / self.events


def prefill(
    connection: pika.BlockingConnection, queue: str, messages: list[Message], progress: Progress
) -> float:
    """Declare the indexer's queue as the indexer would, then publish everything into it."""
    channel = connection.channel()
    QueueTopology(queue, (EXCHANGE,)).declare_on(channel)
    seconds = publish(channel, messages, progress)
    channel.close()
    return seconds


def drain_load(
    *,
    es: Elasticsearch,
    connection: pika.BlockingConnection,
    alias: str,
    queue: str,
    messages: list[Message],
    indexer_env: dict[str, str],
    indexers: int,
    progress: Progress,
) -> DrainResult:
    """Pre-fill the queue, then time ``indexers`` fresh ``search.indexer`` processes draining it.
    The queue and index must be empty (``reset_queue``, ``reset_index``)."""
    prefill(connection, queue, messages, progress)
    progress(f"queue holds {len(messages):,} events; starting {indexers} indexer(s)")
    with procs.running(procs.INDEXER, indexer_env, "indexer-drain", indexers) as processes:
        deadline = time.monotonic() + 60.0
        # Consumers register after import and connect; a fast indexer may already be working by
        # the time we see it (the clock starts late by at most one poll, 10 ms).
        while (consumer_count(connection, queue) or 0) < 1:
            require_alive(processes, "search.indexer")
            if time.monotonic() > deadline:
                raise RuntimeError("search.indexer did not start consuming within 60s")
            connection.process_data_events(time_limit=0.01)
        started = time.perf_counter()
        cpu_before = sum(_cpu_seconds(p.pid) for p in processes)
        done = wait_indexed(es, alias, len(messages), processes, progress)
        cpu = sum(_cpu_seconds(p.pid) for p in processes) - cpu_before
    return DrainResult(len(messages), done - started, indexers, cpu, es_work_ms(es, alias))


def es_work_ms(es: Elasticsearch, alias: str) -> float:
    """Milliseconds the index behind ``alias`` spent indexing and refreshing since it was created:
    Elasticsearch's side of a load, per index, so other users of the shared server do not count."""
    primaries = es.indices.stats(index=alias, metric=["indexing", "refresh"]).body["_all"]["primaries"]
    return float(primaries["indexing"]["index_time_in_millis"] + primaries["refresh"]["total_time_in_millis"])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux /proc); 0 when unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def index_shape(es: Elasticsearch, alias: str) -> dict[str, int]:
    stats = es.indices.stats(index=alias, metric=["merge", "segments", "docs"]).body["_all"]["primaries"]
    return {
        "merges_current": int(stats["merges"]["current"]),
        "segments": int(stats["segments"]["count"]),
        "docs": int(stats["docs"]["count"]),
    }


def wait_for_merges(
    es: Elasticsearch, alias: str, progress: Progress, timeout: float = 180.0
) -> dict[str, int]:
    """Latency is measured on a settled index: a bulk load leaves background merges running for a
    while, and searching during them measures the merge, not the query."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while True:
        shape = index_shape(es, alias)
        quiet = quiet + 1 if shape["merges_current"] == 0 else 0
        if quiet >= 3 or time.monotonic() > deadline:
            progress(f"index settled: {shape['segments']} segments, {shape['merges_current']} merges running")
            return shape
        time.sleep(1.0)
