"""``python -m kernel.dlq``: every consumer's dead letters, looked at and sent back once fixed.

    python -m kernel.dlq queues                       # dead-letter queues holding messages
    python -m kernel.dlq list QUEUE [--limit 20]      # QUEUE's dead letters: reason, type, id, when
    python -m kernel.dlq requeue QUEUE [--limit N]    # back to QUEUE, oldest first

``QUEUE`` is the consumer's own queue (a service's ``evt-<source>-<type>--<service>.<method>``, the
search indexer's ``search.indexer``); its dead letters wait in ``QUEUE.dlq`` with the reason in
``x-panorama-reason``. ``requeue`` publishes each one to ``QUEUE`` through the default exchange,
so no other consumer of the event exchanges sees it twice, waits for the broker's confirm and only
then acknowledges it on the DLQ. A crash in between leaves a copy in both queues; replaying it is
harmless because consumers deduplicate on the event id and check versions (the indexer writes
with external versions). ``requeue`` handles at most the messages that were in the DLQ when it
started, so one that fails again (and comes straight back) is not looped over.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel

REASON_HEADER = "x-panorama-reason"
ATTEMPTS_HEADER = "x-panorama-attempts"
QUEUE_HEADER = "x-panorama-queue"
DEAD_LETTERED_AT_HEADER = "x-panorama-dead-lettered-at"
ORIGINAL_ROUTING_KEY_HEADER = "x-panorama-original-routing-key"
REQUEUED_HEADER = "x-panorama-requeued"
DLQ_SUFFIX = ".dlq"


def dlq_name(queue: str) -> str:
    return f"{queue}{DLQ_SUFFIX}"


@dataclass(frozen=True)
class DeadLetter:
    reason: str
    event_type: str
    message_id: str
    dead_lettered_at: str
    original_routing_key: str

    @classmethod
    def of(cls, properties: pika.BasicProperties, body: bytes) -> DeadLetter:
        headers = properties.headers or {}
        return cls(
            reason=str(headers.get(REASON_HEADER, "")),
            event_type=_event_type(body),
            message_id=str(properties.message_id or ""),
            dead_lettered_at=str(headers.get(DEAD_LETTERED_AT_HEADER, "")),
            original_routing_key=str(headers.get(ORIGINAL_ROUTING_KEY_HEADER, "")),
        )


def _event_type(body: bytes) -> str:
    try:
        value = json.loads(body).get("type")
    except (ValueError, AttributeError):
        return "(not a JSON object)"
    return str(value) if value else "(no type)"


def republished(original: pika.BasicProperties, headers: dict[str, Any]) -> pika.BasicProperties:
    """Properties for a persistent copy of a message (to or from a DLQ) with new headers."""
    return pika.BasicProperties(
        content_type=original.content_type,
        content_encoding=original.content_encoding,
        message_id=original.message_id,
        correlation_id=original.correlation_id,
        delivery_mode=pika.DeliveryMode.Persistent,
        headers=headers,
    )


@contextmanager
def _channel(amqp_url: str) -> Iterator[BlockingChannel]:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        yield channel
    finally:
        if connection.is_open:
            connection.close()  # unacknowledged gets go back to the queue


def depth(channel: BlockingChannel, queue: str) -> int:
    return int(channel.queue_declare(queue, passive=True).method.message_count)


def waiting(amqp_url: str) -> dict[str, int]:
    """Consumer queue → dead letters waiting, for every DLQ of the vhost that holds any."""
    from kernel.broker_admin import BrokerAdmin

    return {
        q.name.removesuffix(DLQ_SUFFIX): q.messages
        for q in BrokerAdmin(amqp_url).queues()
        if q.name.endswith(DLQ_SUFFIX) and q.messages
    }


def peek(amqp_url: str, queue: str, limit: int) -> list[DeadLetter]:
    """The first ``limit`` dead letters of ``queue``, left where they are (fetched
    unacknowledged, then released)."""
    letters: list[DeadLetter] = []
    with _channel(amqp_url) as channel:
        while len(letters) < limit:
            method, properties, body = channel.basic_get(dlq_name(queue), auto_ack=False)
            if method is None:
                break
            letters.append(DeadLetter.of(properties, body))
    return letters


def requeue(amqp_url: str, queue: str, limit: int | None = None) -> int:
    """Move dead letters back to ``queue``; returns how many moved."""
    dlq = dlq_name(queue)
    moved = 0
    with _channel(amqp_url) as channel:
        budget = depth(channel, dlq) if limit is None else min(limit, depth(channel, dlq))
        depth(channel, queue)  # the target must exist: a typo must not drop messages into nowhere
        while moved < budget:
            method, properties, body = channel.basic_get(dlq, auto_ack=False)
            if method is None:
                break
            headers: dict[str, Any] = dict(properties.headers or {})
            headers[REQUEUED_HEADER] = int(headers.get(REQUEUED_HEADER, 0)) + 1
            channel.basic_publish(
                exchange="",
                routing_key=queue,
                body=body,
                properties=republished(properties, headers),
                mandatory=True,  # with confirms: raises if the queue vanished, before the ack below
            )
            channel.basic_ack(method.delivery_tag)
            moved += 1
    return moved


def main(
    argv: list[str] | None = None, *, prog: str = "python -m kernel.dlq", queue: str | None = None
) -> int:
    """The CLI; ``queue`` fixes the consumer queue (``python -m search.dlq``: the indexer's)."""
    parser = argparse.ArgumentParser(prog=prog, description=(__doc__ or "").split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    if queue is None:
        commands.add_parser("queues", help="dead-letter queues holding messages")
    listing = commands.add_parser("list", help="show dead letters without moving them")
    again = commands.add_parser("requeue", help="send dead letters back to their queue")
    for command in (listing, again):
        if queue is None:
            command.add_argument("queue", help="the consumer's queue (its .dlq is read)")
    listing.add_argument("--limit", type=int, default=20)
    again.add_argument("--limit", type=int, default=None, help="at most this many (default: all)")
    args = parser.parse_args(argv)
    if getattr(args, "limit", None) is not None and args.limit < 1:
        parser.error("--limit must be positive")
    from kernel.settings import KernelSettings

    amqp_url = KernelSettings().rabbitmq_url
    if args.command == "queues":
        for name, count in sorted(waiting(amqp_url).items()):
            print(f"{count:8}  {name}")
        return 0
    target = queue or str(args.queue).removesuffix(DLQ_SUFFIX)
    try:
        return _run(args.command, amqp_url, target, args.limit)
    except pika.exceptions.ChannelClosedByBroker as exc:
        if exc.reply_code != 404:
            raise
        hint = "python -m kernel.dlq queues lists what holds dead letters"
        print(f"error: {exc.reply_text} ({hint})", file=sys.stderr)
        return 2


def _run(command: str, amqp_url: str, target: str, limit: int | None) -> int:
    if command == "list":
        assert limit is not None  # list's --limit defaults to 20
        letters = peek(amqp_url, target, limit)
        for letter in letters:
            print(
                f"{letter.dead_lettered_at}  {letter.event_type:24}  {letter.message_id}  "
                f"{letter.original_routing_key}  {letter.reason}"
            )
        print(f"{len(letters)} shown", file=sys.stderr)
        return 0
    moved = requeue(amqp_url, target, limit)
    print(f"requeued {moved} message(s) to {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
