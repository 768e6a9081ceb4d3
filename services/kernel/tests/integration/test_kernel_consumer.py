"""``@idempotent_event_handler`` on the real broker and database, through a small probe service.

The probe runs one worker, so deliveries are handled in order: once a later "sentinel" event is
applied, every event published before it has been handled (or skipped) too.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pika
import pytest
from kernel import dlq
from kernel.envelope import make_event
from kernel.event_handlers import ATTEMPTS_HEADER, REASON_HEADER, declare_event_queue, dlq_name
from kernel.ids import new_id
from kernel.testing import TestServers, eventually
from pika.exceptions import ChannelClosedByBroker
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
PROBE = HERE / "consumer_probe_service.py"
SCHEMA = "kernel_consumer_probe"  # own schema in the customers test database
EXCHANGE = "probe_src.events"
QUEUE = "evt-probe_src-thing.changed--consumer_probe.on_thing_changed"
DLQ = dlq_name(QUEUE)


def _load_schema() -> Any:
    spec = importlib.util.spec_from_file_location("consumer_probe_schema", HERE / "consumer_probe_schema.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


schema = _load_schema()


@pytest.fixture(scope="module")
def servers() -> TestServers:
    return TestServers()


@pytest.fixture(scope="module")
def probe_db_url(servers: TestServers) -> str:
    url = make_url(servers.customers_database_url)
    return url.update_query_dict({"options": f"-csearch_path={SCHEMA}"}).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def probe_engine(servers: TestServers, probe_db_url: str) -> Iterator[Engine]:
    with create_engine(servers.customers_database_url).begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}"))
    engine = create_engine(probe_db_url)
    schema.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def channel(servers: TestServers) -> Iterator[Any]:
    conn = pika.BlockingConnection(pika.URLParameters(servers.rabbitmq_url))
    ch = conn.channel()
    ch.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
    for queue in (QUEUE, DLQ):  # a fresh start: no leftovers from an earlier run
        ch.queue_delete(queue)
    ch.confirm_delivery()
    yield ch
    conn.close()


@pytest.fixture(scope="module")
def probe(servers: TestServers, probe_engine: Engine, probe_db_url: str, channel: Any) -> Iterator[None]:
    proc = subprocess.Popen(
        [sys.executable, str(PROBE), servers.rabbitmq_url, probe_db_url],
        env={**os.environ, "PANORAMA_LOG_JSON": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while _consumers(servers, QUEUE) < 1:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            err = proc.stderr.read().decode() if proc.stderr else ""
            pytest.fail(f"consumer probe did not start:\n{err[-3000:]}")
        time.sleep(0.2)
    yield
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _consumers(servers: TestServers, queue: str) -> int:
    conn = pika.BlockingConnection(pika.URLParameters(servers.rabbitmq_url))
    try:
        return int(conn.channel().queue_declare(queue, passive=True).method.consumer_count)
    except ChannelClosedByBroker:  # not declared yet
        return 0
    finally:
        if conn.is_open:
            conn.close()


def event(aggregate_id: str, version: int, **data: Any) -> Any:
    return make_event(
        type="thing.changed",
        source="probe_src",
        aggregate_type="thing",
        aggregate_id=aggregate_id,
        version=version,
        actor_id="system",
        data={"value": f"v{version}", **data},
    )


def publish(channel: Any, body: str, message_id: str | None = None) -> None:
    channel.basic_publish(
        EXCHANGE,
        "thing.changed",
        body.encode(),
        pika.BasicProperties(content_type="application/json", delivery_mode=2, message_id=message_id),
        mandatory=True,
    )


def applied(engine: Engine, event_id: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).where(schema.probe_applied.c.event_id == event_id)).scalar_one()
        )


def state(engine: Engine, aggregate_id: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            select(schema.probe_state).where(schema.probe_state.c.aggregate_id == aggregate_id)
        ).first()


def attempts(engine: Engine, event_id: str) -> int:
    with engine.connect() as conn:
        value = conn.execute(
            select(schema.probe_attempts.c.attempts).where(schema.probe_attempts.c.event_id == event_id)
        ).scalar_one_or_none()
        return int(value or 0)


def sentinel(channel: Any, engine: Engine) -> None:
    """Publish one more event and wait for it: everything published earlier has been handled."""
    marker = event(new_id(), 1)
    publish(channel, marker.to_json())
    eventually(lambda: applied(engine, marker.id) == 1, timeout=20)


def dead_letter(channel: Any) -> Any:
    def get() -> Any:
        method, props, body = channel.basic_get(DLQ, auto_ack=True)
        return (method, props, body) if method is not None else None

    return eventually(get, timeout=20)


def dlq_depth(channel: Any) -> int:
    return int(channel.queue_declare(DLQ, passive=True).method.message_count)


def test_duplicate_delivery_is_applied_once(probe: None, channel: Any, probe_engine: Engine) -> None:
    first = event(new_id(), 1)
    publish(channel, first.to_json())
    publish(channel, first.to_json())  # the broker redelivering, or the relay republishing
    sentinel(channel, probe_engine)
    assert applied(probe_engine, first.id) == 1
    assert attempts(probe_engine, first.id) == 1  # the duplicate never reached the handler


def test_older_version_is_ignored(probe: None, channel: Any, probe_engine: Engine) -> None:
    thing = new_id()
    newer, older, same = event(thing, 3), event(thing, 2), event(thing, 3, value="other v3")
    for e in (newer, older, same):
        publish(channel, e.to_json())
    sentinel(channel, probe_engine)
    assert applied(probe_engine, newer.id) == 1
    assert applied(probe_engine, older.id) == 0
    assert applied(probe_engine, same.id) == 0
    row = state(probe_engine, thing)
    assert (row.value, row.version) == ("v3", 3)
    later = event(thing, 4)
    publish(channel, later.to_json())
    eventually(lambda: applied(probe_engine, later.id) == 1, timeout=20)
    assert state(probe_engine, thing).value == "v4"


def test_failing_handler_is_retried_then_dead_lettered_with_reason(
    probe: None, channel: Any, probe_engine: Engine
) -> None:
    assert dlq_depth(channel) == 0
    doomed = event(new_id(), 1, fail_always=True)
    publish(channel, doomed.to_json(), message_id=doomed.id)
    _method, props, body = dead_letter(channel)
    assert json.loads(body)["id"] == doomed.id  # the original message, unchanged
    assert props.message_id == doomed.id
    assert props.content_type == "application/json"
    assert "RuntimeError: probe failure on attempt 3" in props.headers[REASON_HEADER]
    assert props.headers[ATTEMPTS_HEADER] == 3
    assert attempts(probe_engine, doomed.id) == 3  # FAST_RETRY.max_attempts
    assert applied(probe_engine, doomed.id) == 0
    # Its claim rolled back with the failure: the same event, fixed and replayed, applies.
    assert state(probe_engine, doomed.aggregate.id) is None
    sentinel(channel, probe_engine)


def test_success_after_a_transient_failure(probe: None, channel: Any, probe_engine: Engine) -> None:
    flaky = event(new_id(), 1, fail_times=2)
    publish(channel, flaky.to_json())
    eventually(lambda: applied(probe_engine, flaky.id) == 1, timeout=20)
    assert attempts(probe_engine, flaky.id) == 3
    assert state(probe_engine, flaky.aggregate.id).value == "v1"
    sentinel(channel, probe_engine)
    assert dlq_depth(channel) == 0


def test_a_dead_letter_requeued_once_the_cause_is_gone_applies_once(
    probe: None, channel: Any, probe_engine: Engine, servers: TestServers
) -> None:
    """``python -m kernel.dlq``: list what a service's consumer gave up on, then send it back."""
    assert dlq_depth(channel) == 0
    stuck = event(new_id(), 1, fail_times=3)  # every attempt of its first delivery fails
    publish(channel, stuck.to_json(), message_id=stuck.id)
    eventually(lambda: dlq_depth(channel) == 1 or None, timeout=20)
    eventually(lambda: dlq.waiting(servers.rabbitmq_url).get(QUEUE) == 1 or None, timeout=20)  # stats lag
    [letter] = dlq.peek(servers.rabbitmq_url, QUEUE, limit=5)
    assert (letter.message_id, letter.event_type) == (stuck.id, "thing.changed")
    assert "probe failure on attempt 3" in letter.reason
    assert dlq_depth(channel) == 1  # looked at, not moved

    assert dlq.requeue(servers.rabbitmq_url, QUEUE) == 1  # the fourth attempt succeeds
    eventually(lambda: applied(probe_engine, stuck.id) == 1, timeout=20)
    assert dlq_depth(channel) == 0 and state(probe_engine, stuck.aggregate.id).value == "v1"
    assert dlq.requeue(servers.rabbitmq_url, QUEUE) == 0


def test_malformed_envelope_is_dead_lettered_at_once(probe: None, channel: Any, probe_engine: Engine) -> None:
    publish(channel, json.dumps({"id": "x", "type": "thing.changed"}))
    _method, props, body = dead_letter(channel)
    assert json.loads(body) == {"id": "x", "type": "thing.changed"}
    assert props.headers[REASON_HEADER].startswith("malformed envelope")
    assert props.headers[ATTEMPTS_HEADER] == 0
    sentinel(channel, probe_engine)


def test_provisioning_declares_the_queue_exactly_as_the_handler_does(
    probe: None, servers: TestServers
) -> None:
    # Different arguments or flags would make the broker refuse this (PRECONDITION_FAILED).
    declared = declare_event_queue(
        servers.rabbitmq_url,
        source_service="probe_src",
        event_type="thing.changed",
        service="consumer_probe",
        method="on_thing_changed",
    )
    assert declared == QUEUE
