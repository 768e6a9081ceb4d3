"""``search.topology:declare`` (run by provisioning) declares exactly the indexer's queue: it can run
any number of times, before or after the indexers start, and events published mandatory to every
exchange the indexer consumes are routed to it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pika
import pytest
from kernel import registry
from search import topology
from search_support import queue_consumers, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def provisioned_queue(amqp, search_settings, monkeypatch) -> Iterator[str]:
    """A queue name of this session that only ``topology.declare`` creates; removed afterwards."""
    name = f"{search_settings.search_queue}.topology"
    monkeypatch.setenv("PANORAMA_SEARCH_QUEUE", name)
    monkeypatch.setenv("PANORAMA_SEARCH_EXCHANGES", json.dumps(search_settings.search_exchanges))
    yield name
    amqp.queue_delete(name)
    amqp.queue_delete(f"{name}.dlq")


def routed_to(amqp, exchange: str, routing_key: str | None = None, *, mandatory: bool = True) -> None:
    # The amqp fixture's channel is in confirm mode: an unroutable mandatory publish raises.
    amqp.basic_publish(
        exchange=exchange,
        routing_key=routing_key or (registry.search_event_types(exchange) or ("customer.created",))[0],
        body=b"{}",
        properties=pika.BasicProperties(content_type="application/json"),
        mandatory=mandatory,
    )


def test_declare_is_idempotent_and_binds_every_consumed_exchange(amqp, search_settings, provisioned_queue):
    assert queue_consumers(amqp, provisioned_queue) is None
    topology.declare(search_settings.rabbitmq_url)
    topology.declare(search_settings.rabbitmq_url)  # provisioning runs again on every deploy
    for exchange in search_settings.search_exchanges:
        routed_to(amqp, exchange)
    assert amqp.queue_declare(provisioned_queue, passive=True).method.message_count == len(
        search_settings.search_exchanges
    )
    assert queue_consumers(amqp, f"{provisioned_queue}.dlq") == 0


def test_events_that_carry_no_search_document_are_not_routed_to_the_indexer(
    amqp, search_settings, provisioned_queue
):
    """finance.events also carries a customer's credit risk: the indexer would dead-letter it."""
    topology.declare(search_settings.rabbitmq_url)
    routed_to(amqp, "finance.events", "customer.credit_risk_changed", mandatory=False)
    routed_to(amqp, "service_desk.events", "survey.answered", mandatory=False)
    routed_to(amqp, "finance.events", "receivable.overdue")
    routed_to(amqp, "service_desk.events", "ticket.resolved")
    assert amqp.queue_declare(provisioned_queue, passive=True).method.message_count == 2


def test_an_indexer_consumes_the_provisioned_queue(amqp, search_settings, provisioned_queue, spawn, es):
    topology.declare(search_settings.rabbitmq_url)
    indexer = spawn("search.indexer", "indexer-topology", PANORAMA_SEARCH_QUEUE=provisioned_queue)
    # Declared with other arguments, the indexer's own declare fails and it never consumes.
    wait_for(
        lambda: indexer.poll() is None and queue_consumers(amqp, provisioned_queue) == 1,
        timeout=30,
        what="the indexer consuming the provisioned queue",
    )


def test_declare_agrees_with_running_indexers(amqp, search_settings, indexers, monkeypatch):
    monkeypatch.setenv("PANORAMA_SEARCH_QUEUE", search_settings.search_queue)
    monkeypatch.setenv("PANORAMA_SEARCH_EXCHANGES", json.dumps(search_settings.search_exchanges))
    topology.declare(search_settings.rabbitmq_url)  # PRECONDITION_FAILED would raise here
    assert queue_consumers(amqp, search_settings.search_queue) == 2
