"""Fixtures of the search tests (re-exported by conftest.py).

Integration fixtures use a unique alias and queue per session and remove them afterwards; if
RabbitMQ or Elasticsearch is down they FAIL, never skip."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pika
import pytest
from elasticsearch import Elasticsearch
from kernel.broker_admin import BrokerAdmin
from kernel.envelope import Envelope
from kernel.testing import TestServers
from search.es import make_client
from search.query import SearchEngine
from search.settings import SearchSettings
from search_support import (
    free_port,
    queue_consumers,
    settings_env,
    start_module,
    start_process,
    stop_process,
    wait_for,
)

RUN_ID = uuid.uuid4().hex[:10]
QUEUE_FAMILY = "search.test."
Publish = Callable[..., None]


@pytest.fixture(scope="session")
def search_settings() -> SearchSettings:
    servers = TestServers()  # the test vhost, so a running dev stack is never touched
    return SearchSettings(
        environment="test",
        rabbitmq_url=servers.rabbitmq_url,
        elasticsearch_url=servers.elasticsearch_url,
        search_alias=f"panorama-test-{RUN_ID}",
        search_queue=f"{QUEUE_FAMILY}{RUN_ID}",
        search_indexer_backoff_max_seconds=1.0,
    )


def _amqp_params(url: str) -> pika.URLParameters:
    params = pika.URLParameters(url)
    params.heartbeat = 0  # the test process idles between publishes
    params.connection_attempts = 1
    params.socket_timeout = 3
    return params


@pytest.fixture(scope="session")
def servers(search_settings: SearchSettings) -> None:
    problems = []
    try:
        make_client(search_settings).cluster.health(timeout="3s")
    except Exception as exc:
        problems.append(f"Elasticsearch at {search_settings.elasticsearch_url}: {exc!r}")
    try:
        pika.BlockingConnection(_amqp_params(search_settings.rabbitmq_url)).close()
    except Exception as exc:
        problems.append(f"RabbitMQ at {search_settings.rabbitmq_url}: {exc!r}")
    if problems:
        pytest.fail(
            "search integration tests need the real servers (deploy/local/up.sh, then source "
            "deploy/local/env.sh):\n  " + "\n  ".join(problems),
            pytrace=False,
        )


@pytest.fixture(scope="session")
def es(servers: None, search_settings: SearchSettings) -> Iterator[Elasticsearch]:
    client = make_client(search_settings, retries=1)
    yield client
    # Every alias this session made starts with the session alias; delete by name (no wildcards).
    names = list(client.indices.get(index=f"{search_settings.search_alias}*", expand_wildcards="all").body)
    if names:
        client.indices.delete(index=",".join(names))
    client.close()


@pytest.fixture(scope="session")
def amqp(
    servers: None, search_settings: SearchSettings
) -> Iterator[pika.adapters.blocking_connection.BlockingChannel]:
    admin = BrokerAdmin(search_settings.rabbitmq_url)
    # Queues of earlier sessions that were killed before their teardown: bound to the exchanges,
    # each would store a copy of every event this session publishes.
    admin.delete_queues(QUEUE_FAMILY, unused_only=True)
    connection = pika.BlockingConnection(_amqp_params(search_settings.rabbitmq_url))
    channel = connection.channel()
    channel.confirm_delivery()
    yield channel
    connection.close()
    # Every queue a test declares is named "<session queue>[.<suffix>]" (plus its ".dlq").
    admin.delete_queues(search_settings.search_queue)


@pytest.fixture(scope="session")
def publish(amqp: Any) -> Publish:
    def _publish(
        message: Envelope | bytes, exchange: str = "customers.events", routing_key: str | None = None
    ) -> None:
        if isinstance(message, Envelope):
            body, key = message.to_json().encode("utf-8"), routing_key or message.type
        else:
            body, key = message, routing_key or "customer.created"
        amqp.basic_publish(
            exchange=exchange,
            routing_key=key,
            body=body,
            properties=pika.BasicProperties(
                content_type="application/json", delivery_mode=pika.DeliveryMode.Persistent
            ),
        )

    return _publish


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("search-logs")


@pytest.fixture(scope="session")
def indexers(
    es: Elasticsearch, amqp: Any, search_settings: SearchSettings, logs_dir: Path
) -> Iterator[dict[str, Any]]:
    """Two competing ``python -m search.indexer`` processes on the session queue."""
    metrics_port = free_port()
    env = settings_env(search_settings)
    procs = [
        start_module(
            "search.indexer",
            {**env, "PANORAMA_SEARCH_INDEXER_METRICS_PORT": str(metrics_port)},
            logs_dir / "indexer-0.log",
        ),
        start_module("search.indexer", env, logs_dir / "indexer-1.log"),
    ]

    def ready() -> bool:
        for proc in procs:
            assert proc.poll() is None, f"indexer exited early, see {logs_dir}"
        return queue_consumers(amqp, search_settings.search_queue) == 2

    try:
        wait_for(ready, timeout=30, interval=0.2, what="two indexers consuming")
    except Exception:
        for proc in procs:
            stop_process(proc)
        raise
    yield {"procs": procs, "metrics_port": metrics_port, "logs": logs_dir}
    codes = [stop_process(proc) for proc in procs]
    assert codes == [0, 0], f"indexers did not stop cleanly on SIGTERM: {codes}, logs in {logs_dir}"


@pytest.fixture
def spawn(logs_dir: Path, search_settings: SearchSettings) -> Iterator[Callable[..., Any]]:
    """Start extra ``python -m <module>`` processes with the session settings plus overrides;
    every one still running at the end of the test gets SIGTERM."""
    started: list[subprocess.Popen[bytes]] = []

    def _spawn(module: str, name: str, **overrides: str) -> subprocess.Popen[bytes]:
        env = {**settings_env(search_settings), **overrides}
        args = [module] if module.endswith(".py") else ["-m", module]
        proc = start_process(args, env, logs_dir / f"{name}.log")
        started.append(proc)
        return proc

    yield _spawn
    for proc in started:
        stop_process(proc)


@pytest.fixture(scope="session")
def engine(es: Elasticsearch, search_settings: SearchSettings) -> SearchEngine:
    return SearchEngine(es, search_settings.search_alias)
