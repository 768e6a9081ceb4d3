"""Events no queue is bound for go to one bounded queue instead of being retried for ever.

Some events are published for whoever may want them (integrators, a future service): a survey
sent or answered, a care visit scheduled, a complaint raised. No Panorama process consumes them.
The outbox relay publishes ``mandatory`` so that an event whose consumer's queue is missing stays
in the outbox; an event nobody is bound for then came back on every retry, for ever: the outbox
backlog (and its alert) grew with every survey, and each relay restart republished them all.

Each events exchange gets an alternate exchange, by policy (as an exchange argument it would clash
with nameko's own declaration of the exchange): what no binding matches goes to the fanout
exchange ``panorama.unrouted`` and its queue, capped (oldest dropped) so nobody has to empty it,
where an operator can look at or replay what went unclaimed. A consumer Panorama needs declares
its queue at migrate time, before anything publishes, so its events never take this way; a
broker without the policy (no management API) keeps the relay's retry, as before.
"""

from __future__ import annotations

import logging
import re
import urllib.error
from collections.abc import Collection

import pika

from kernel.broker_admin import BrokerAdmin

log = logging.getLogger(__name__)

EXCHANGE = "panorama.unrouted"
QUEUE = "panorama.unrouted"
POLICY = "panorama-unrouted-events"
MAX_MESSAGES = 100_000


def exchanges_pattern(exchanges: Collection[str]) -> str:
    """The policy's pattern: exactly these exchanges (a test's or an integrator's own exchanges,
    and nameko's RPC exchange, must keep returning what nobody takes)."""
    return "^(" + "|".join(re.escape(name) for name in sorted(exchanges)) + ")$"


def declare(rabbitmq_url: str, exchanges: Collection[str], *, policy: str = POLICY) -> bool:
    """Declare the sink (exchange, queue, binding) and point ``exchanges`` at it. Idempotent.
    Returns False when the policy could not be set (the broker has no management API here)."""
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    try:
        channel = connection.channel()
        channel.exchange_declare(EXCHANGE, exchange_type="fanout", durable=True)
        channel.queue_declare(
            QUEUE, durable=True, arguments={"x-max-length": MAX_MESSAGES, "x-overflow": "drop-head"}
        )
        channel.queue_bind(QUEUE, EXCHANGE)
    finally:
        connection.close()
    try:
        BrokerAdmin(rabbitmq_url).set_policy(
            policy, exchanges_pattern(exchanges), {"alternate-exchange": EXCHANGE}, apply_to="exchanges"
        )
    except (urllib.error.URLError, OSError) as exc:
        log.warning(
            "could not set the %s policy through RabbitMQ's management API (%s): events nobody is "
            "bound for stay in the outboxes and are retried",
            policy,
            exc,
        )
        return False
    return True
