"""The consumer's acknowledgement discipline, with a fake channel and a scripted writer."""

import threading
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
    """Each call pops the next step: an exception to raise, or an outcome for every op."""

    def __init__(self, *steps: Any) -> None:
        self.steps = list(steps)
        self.calls: list[int] = []

    def write(self, ops: list[Any]) -> list[OpResult]:
        self.calls.append(len(ops))
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        return [OpResult(step)] * len(ops)


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
    def __init__(self) -> None:
        self.waits: list[float] = []

    def process_data_events(self, time_limit: float) -> None:
        self.waits.append(time_limit)


def indexer(writer: ScriptedWriter, batch_size: int = 250) -> BulkIndexer:
    config = IndexerConfig(
        amqp_url="amqp://x", queue="q", exchanges=["customers.events"], batch_size=batch_size,
        backoff_initial=0.001, backoff_max=0.004,
    )  # fmt: skip
    return BulkIndexer(config, writer)  # type: ignore[arg-type]


def deliver(ix: BulkIndexer, tag: int, body: bytes) -> None:
    method = SimpleNamespace(delivery_tag=tag, exchange="customers.events", routing_key="customer.created")
    ix._on_message(None, method, pika.BasicProperties(content_type="application/json"), body)  # type: ignore[arg-type]


def retries() -> float:
    return REGISTRY.get_sample_value("panorama_search_indexer_es_retries_total") or 0.0


def test_batch_is_acked_once_after_es_accepted_it_and_poison_goes_to_the_dlq_first():
    writer = ScriptedWriter(RetryableEsError("down"), RetryableEsError("down"), Outcome.INDEXED)
    ix = indexer(writer)
    for tag, body in enumerate([good(1), b"{bad", good(2)], start=1):
        deliver(ix, tag, body)
    channel, before = FakeChannel(), retries()
    assert ix._flush(FakeConnection(), channel, threading.Event())  # type: ignore[arg-type]
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
    assert ix._flush(FakeConnection(), channel, threading.Event())  # type: ignore[arg-type]
    assert channel.log == [("ack", 7, True)]


def test_mapper_errors_are_dead_lettered():
    ix = indexer(ScriptedWriter(Outcome.POISON))
    deliver(ix, 1, good(1))
    channel = FakeChannel()
    ix._flush(FakeConnection(), channel, threading.Event())  # type: ignore[arg-type]
    assert channel.log[0][0] == "publish" and "elasticsearch refused" in channel.log[0][3][REASON_HEADER]
    assert channel.log[1] == ("ack", 1, True)


def test_batches_hold_at_most_batch_size_messages():
    ix = indexer(ScriptedWriter(Outcome.INDEXED), batch_size=2)
    for tag in range(1, 6):
        deliver(ix, tag, good(tag))
    assert ix._flush_due()
    channel = FakeChannel()
    ix._flush(FakeConnection(), channel, threading.Event())  # type: ignore[arg-type]
    assert channel.log == [("ack", 2, True)] and len(ix._pending) == 3
    assert ix._wait_time() == 0.0  # the rest is already due


def test_flush_waits_for_the_timer_when_the_batch_is_not_full():
    ix = indexer(ScriptedWriter(Outcome.INDEXED))
    assert not ix._flush_due() and ix._wait_time() > 0
    deliver(ix, 1, good(1))
    assert not ix._flush_due() and 0 < ix._wait_time() <= ix.config.flush_after


def test_stop_during_an_outage_gives_up_without_acking_and_shutdown_requeues():
    writer = ScriptedWriter(RetryableEsError("down"))
    ix = indexer(writer)
    deliver(ix, 1, good(1))
    deliver(ix, 2, good(2))
    stop = threading.Event()
    stop.set()
    channel = FakeChannel()
    assert not ix._flush(FakeConnection(), channel, stop)  # type: ignore[arg-type]
    assert channel.log == []
    ix._shutdown(FakeConnection(), channel, "ctag")  # type: ignore[arg-type]
    assert channel.log == [("cancel", "ctag"), ("nack", 2, True, True)] and ix._pending == []


def test_retry_waits_keep_serving_the_connection():
    connection = FakeConnection()
    ix = indexer(ScriptedWriter(RetryableEsError("down"), Outcome.INDEXED))
    deliver(ix, 1, good(1))
    ix._flush(connection, FakeChannel(), threading.Event())  # type: ignore[arg-type]
    assert connection.waits and all(0 < w <= 0.25 for w in connection.waits)
