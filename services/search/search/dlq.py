"""``python -m search.dlq``: look at the indexer's dead letters and send them back once fixed.

    python -m search.dlq list [--limit 20]          # reason, event type, id, when; nothing moves
    python -m search.dlq requeue [--limit N]        # back to the indexer queue, oldest first

A dead letter is an event the indexer could not apply (see ``x-panorama-reason``). After the cause
is fixed (a deployed builder fix, a mapping change), ``requeue`` publishes each one to the indexer's
own queue through the default exchange, so no other consumer of the event exchanges sees it twice,
waits for the broker's confirm and only then acknowledges it on the DLQ. A crash in between
leaves a copy in both queues; replaying it is harmless because index writes carry external
versions. ``requeue`` handles at most the messages that were in the DLQ when it started, so one
that fails again (and comes straight back) is not looped over.
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
from pika.adapters.blocking_connection import BlockingChannel

from search.consumer import REASON_HEADER, republished
from search.settings import SearchSettings

REQUEUED_HEADER = "x-panorama-requeued"


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
            dead_lettered_at=str(headers.get("x-panorama-dead-lettered-at", "")),
            original_routing_key=str(headers.get("x-panorama-original-routing-key", "")),
        )


def _event_type(body: bytes) -> str:
    try:
        value = json.loads(body).get("type")
    except (ValueError, AttributeError):
        return "(not a JSON object)"
    return str(value) if value else "(no type)"


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


def peek(amqp_url: str, queue: str, limit: int) -> list[DeadLetter]:
    """The first ``limit`` dead letters, left where they are (fetched unacknowledged, then released)."""
    letters: list[DeadLetter] = []
    with _channel(amqp_url) as channel:
        while len(letters) < limit:
            method, properties, body = channel.basic_get(f"{queue}.dlq", auto_ack=False)
            if method is None:
                break
            letters.append(DeadLetter.of(properties, body))
    return letters


def requeue(amqp_url: str, queue: str, limit: int | None = None) -> int:
    """Move dead letters back to ``queue``; returns how many moved."""
    dlq = f"{queue}.dlq"
    moved = 0
    with _channel(amqp_url) as channel:
        waiting = depth(channel, dlq)
        budget = waiting if limit is None else min(limit, waiting)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m search.dlq", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="show dead letters without moving them")
    listing.add_argument("--limit", type=int, default=20)
    again = commands.add_parser("requeue", help="send dead letters back to the indexer queue")
    again.add_argument("--limit", type=int, default=None, help="at most this many (default: all)")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be positive")
    settings = SearchSettings()
    if args.command == "list":
        letters = peek(settings.rabbitmq_url, settings.search_queue, args.limit)
        for letter in letters:
            print(
                f"{letter.dead_lettered_at}  {letter.event_type:24}  {letter.message_id}  "
                f"{letter.original_routing_key}  {letter.reason}"
            )
        print(f"{len(letters)} shown", file=sys.stderr)
        return 0
    moved = requeue(settings.rabbitmq_url, settings.search_queue, args.limit)
    print(f"requeued {moved} message(s) to {settings.search_queue}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
