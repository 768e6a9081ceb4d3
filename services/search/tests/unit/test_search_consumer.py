"""The consumer's acknowledgement discipline, with a fake channel and a scripted writer."""

import threading
import time
from types import SimpleNamespace
from typing import Any

import pika
from kernel.envelope import make_event
from prometheus_client import REGISTRY
from search.bulk import OpResult, Outcome
from search.consumer import REASON_HEADER, BulkIndexer, IndexerConfig
from search.writer import RetryableEsError

CUSTOMER = {
    "id": "c1", "version": 1, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    "name": "A科技有限公司", "status": "active", "value_tier": "normal", "tags": [], "owner_id": "u1",
    "created_by": "u1",
}  # fmt: skip


def good(i: int) -> bytes:
    data = {**CUSTOMER, "id": f"c{i}"}
    return make_event(
        type="customer.created", source="customers", aggregate_type="customer", aggregate_id=f"c{i}",
        version=1, actor_id="u1", data=data,
    ).to_json().encode()  # fmt: skip


class ScriptedWriter:
    """Each call pops the next step: an exception to raise, an outcome for every op, or a list of
    outcomes (one per op). ``gate``: when given, every call waits for it (to hold batches in flight)."""

    def __init__(self, *steps: Any, gate: threading.Event | None = None) -> None:
        self.steps = list(steps)
        self.calls: list[int] = []
        self.gate = gate
        self.lock = threading.Lock()
        self.running = 0
        self.most_running = 0

    def write(self, ops: list[Any]) -> list[OpResult]:
        with self.lock:
            self.calls.append(len(ops))
            self.running += 1
            self.most_running = max(self.most_running, self.running)
            step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        try:
            if self.gate is not None:
                assert self.gate.wait(10), "test gate never opened"
            if isinstance(step, Exception):
                raise step
            if isinstance(step, list):
                return [OpResult(outcome, "scripted") for outcome in step]
            return [OpResult(step)] * len(ops)
        finally:
            with self.lock:
                self.running -= 1


class FakeChannel:
    def __init__(self) -> None:
        self.log: list[tuple[Any, ...]] = []

    def basic_ack(self, delivery_tag: int, multiple: bool) -> None:
        self.log.append(("ack", delivery_tag, multiple))

    def basic_nack(self, delivery_tag: int, multiple: bool, requeue: bool) -> None:
        self.log.append(("nack", delivery_tag, multiple, requeue))

    def basic_publish(
        self, exchange: str, routing_key: str, body: bytes, properties: Any, mandatory: bool
    ) -> None:
        self.log.append(("publish", routing_key, body, properties.headers, mandatory))

    def basic_cancel(self, tag: str) -> None:
        self.log.append(("cancel", tag))


class FakeConnection:
    """Waits like ``process_data_events``: returns early when a writer thread wakes it."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.woken = threading.Event()

    def process_data_events(self, time_limit: float) -> None:
        self.waits.append(time_limit)
        self.woken.wait(time_limit)
        self.woken.clear()

    def add_callback_threadsafe(self, callback: Any) -> None:
        self.woken.set()


def indexer(writer: ScriptedWriter, batch_size: int = 250, max_in_flight: int = 2) -> BulkIndexer:
    config = IndexerConfig(
        amqp_url="amqp://x", queue="q", exchanges=["customers.events"], batch_size=batch_size,
        max_in_flight=max_in_flight, backoff_initial=0.001, backoff_max=0.004,
    )  # fmt: skip
    ix = BulkIndexer(config, writer)  # type: ignore[arg-type]
    connection = FakeConnection()
    ix._wake = lambda: connection.add_callback_threadsafe(None)
    return ix


def deliver(ix: BulkIndexer, tag: int, body: bytes) -> None:
    method = SimpleNamespace(delivery_tag=tag, exchange="customers.events", routing_key="customer.created")
    ix._on_message(None, method, pika.BasicProperties(content_type="application/json"), body)  # type: ignore[arg-type]


def settle_all(ix: BulkIndexer, channel: FakeChannel) -> None:
    """The loop's job, without the loop: start every due batch and settle until nothing is held."""
    deadline = time.monotonic() + 10
    while ix._pending or ix._in_flight:
        assert time.monotonic() < deadline, "batches never settled"
        ix._pump(channel)  # type: ignore[arg-type]
        if ix._in_flight and ix._in_flight[0].future is not None:
            ix._in_flight[0].future.result(timeout=10)
        elif ix._pending:
            time.sleep(ix.config.flush_after)


def retries() -> float:
    return REGISTRY.get_sample_value("panorama_search_indexer_es_retries_total") or 0.0


def test_batch_is_acked_once_after_es_accepted_it_and_poison_goes_to_the_dlq_first():
    writer = ScriptedWriter(RetryableEsError("down"), RetryableEsError("down"), Outcome.INDEXED)
    ix = indexer(writer)
    for tag, body in enumerate([good(1), b"{bad", good(2)], start=1):
        deliver(ix, tag, body)
    channel, before = FakeChannel(), retries()
    settle_all(ix, channel)
    assert writer.calls == [2, 2, 2] and retries() == before + 2
    kinds = [entry[0] for entry in channel.log]
    assert kinds == ["publish", "ack"]
    _, routing_key, body, headers, mandatory = channel.log[0]
    assert routing_key == "q.dlq" and body == b"{bad" and mandatory
    assert headers[REASON_HEADER].startswith("invalid json")
    assert headers["x-panorama-original-exchange"] == "customers.events"
    assert headers["x-panorama-original-routing-key"] == "customer.created"
    assert channel.log[1] == ("ack", 3, True) and ix._pending == []


def test_stale_versions_count_as_success():
    ix = indexer(ScriptedWriter(Outcome.STALE))
    deliver(ix, 7, good(1))
    channel = FakeChannel()
    settle_all(ix, channel)
    assert channel.log == [("ack", 7, True)]


def test_mapper_errors_are_dead_lettered():
    ix = indexer(ScriptedWriter(Outcome.POISON))
    deliver(ix, 1, good(1))
    channel = FakeChannel()
    settle_all(ix, channel)
    assert channel.log[0][0] == "publish" and "elasticsearch refused" in channel.log[0][3][REASON_HEADER]
    assert channel.log[1] == ("ack", 1, True)


def test_one_refused_item_is_dead_lettered_and_the_rest_of_its_batch_acked():
    ix = indexer(ScriptedWriter([Outcome.INDEXED, Outcome.POISON, Outcome.INDEXED]))
    bodies = {tag: good(tag) for tag in (1, 2, 3)}
    for tag, body in bodies.items():
        deliver(ix, tag, body)
    channel = FakeChannel()
    settle_all(ix, channel)
    assert [entry[0] for entry in channel.log] == ["publish", "ack"]
    assert channel.log[0][2] == bodies[2] and channel.log[1] == ("ack", 3, True)


def test_batches_hold_at_most_batch_size_messages():
    writer = ScriptedWriter(Outcome.INDEXED)
    ix = indexer(writer, batch_size=2)
    for tag in range(1, 6):
        deliver(ix, tag, good(tag))
    assert ix._flush_due()
    channel = FakeChannel()
    settle_all(ix, channel)
    assert writer.calls == [2, 2, 1]
    assert channel.log == [("ack", 2, True), ("ack", 4, True), ("ack", 5, True)]


def test_flush_waits_for_the_timer_when_the_batch_is_not_full():
    ix = indexer(ScriptedWriter(Outcome.INDEXED))
    assert not ix._flush_due() and ix._wait_time() > 0
    deliver(ix, 1, good(1))
    assert not ix._flush_due() and 0 < ix._wait_time() <= ix.config.flush_after


def test_no_more_batches_in_flight_than_the_limit_and_acks_stay_in_delivery_order():
    gate = threading.Event()
    writer = ScriptedWriter(Outcome.INDEXED, gate=gate)
    ix = indexer(writer, batch_size=2, max_in_flight=2)
    for tag in range(1, 9):
        deliver(ix, tag, good(tag))
    channel = FakeChannel()
    ix._pump(channel)  # type: ignore[arg-type]
    ix._pump(channel)  # type: ignore[arg-type]
    assert len(ix._in_flight) == 2 and len(ix._pending) == 4
    assert ix._wait_time() > 0  # full: the loop waits for a writer instead of spinning
    assert channel.log == []  # nothing is acked before Elasticsearch has it
    gate.set()
    settle_all(ix, channel)
    assert writer.most_running <= 2 and len(writer.calls) == 4
    assert channel.log == [("ack", 2, True), ("ack", 4, True), ("ack", 6, True), ("ack", 8, True)]


def test_a_younger_batch_that_finishes_first_waits_for_the_older_one():
    class SlowFirst(ScriptedWriter):
        def write(self, ops: list[Any]) -> list[OpResult]:
            if len(self.calls) == 0:
                self.calls.append(len(ops))
                assert first_may_finish.wait(10)
                return [OpResult(Outcome.INDEXED)] * len(ops)
            return super().write(ops)

    first_may_finish = threading.Event()
    writer = SlowFirst(Outcome.INDEXED)
    ix = indexer(writer, batch_size=1, max_in_flight=2)
    deliver(ix, 1, good(1))
    deliver(ix, 2, good(2))
    channel = FakeChannel()
    ix._pump(channel)  # type: ignore[arg-type]
    second = ix._in_flight[1].future
    assert second is not None
    second.result(timeout=10)
    ix._pump(channel)  # type: ignore[arg-type]
    assert channel.log == []  # tag 2 is done, but an ack of 2 (multiple) would cover tag 1
    first_may_finish.set()
    settle_all(ix, channel)
    assert channel.log == [("ack", 1, True), ("ack", 2, True)]


def test_stop_during_an_outage_gives_up_without_acking_and_shutdown_requeues():
    writer = ScriptedWriter(RetryableEsError("down"))
    ix = indexer(writer, batch_size=1)
    deliver(ix, 1, good(1))
    deliver(ix, 2, good(2))
    channel, connection = FakeChannel(), FakeConnection()
    ix._wake = lambda: connection.add_callback_threadsafe(None)
    ix._shutdown(connection, channel, "ctag")  # type: ignore[arg-type]
    assert channel.log == [("cancel", "ctag"), ("nack", 2, True, True)]
    assert ix._pending == [] and not ix._in_flight
    assert 1 <= len(writer.calls) <= 2  # one attempt per batch, no retry loop


def test_shutdown_writes_what_it_holds_when_elasticsearch_takes_it():
    ix = indexer(ScriptedWriter(Outcome.INDEXED), batch_size=2)
    for tag in (1, 2, 3):
        deliver(ix, tag, good(tag))
    channel, connection = FakeChannel(), FakeConnection()
    ix._wake = lambda: connection.add_callback_threadsafe(None)
    ix._shutdown(connection, channel, "ctag")  # type: ignore[arg-type]
    assert channel.log == [("cancel", "ctag"), ("ack", 2, True), ("ack", 3, True)]


def test_a_batch_abandoned_mid_retry_stops_retrying():
    writer = ScriptedWriter(RetryableEsError("down"))
    ix = indexer(writer)
    deliver(ix, 1, good(1))
    batch = ix._submit()
    time.sleep(0.05)
    batch.abandoned.set()
    assert batch.future is not None
    assert batch.future.result(timeout=10).settled is False
    calls = len(writer.calls)
    time.sleep(0.05)
    assert len(writer.calls) == calls
