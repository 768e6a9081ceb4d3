"""How fast one outbox relay drains a backlog: ``python -m bench.relay_drain``.

Fills an outbox table (schema ``bench_relay`` of the bench database, the kernel's own table
definition) with N committed events of a realistic size, then times one relay's ``drain()`` until
every row is marked published, into a durable queue bound to the events exchange on the bench
vhost (persistent messages, publisher confirms: what production pays). Prints a Markdown table.

``--relay module:Class`` measures another implementation with the same constructor and
``drain()`` (e.g. a copy of an older relay on PYTHONPATH), for before/after numbers.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import uuid
from typing import Any

import pika
from kernel.db import make_engine
from kernel.outbox import outbox_table
from sqlalchemy import MetaData, func, select, text
from sqlalchemy.engine import Engine

from bench.settings import BenchSettings

SCHEMA = "bench_relay"
EXCHANGE = "bench_relay.events"
QUEUE = "bench.relay_drain"
INSERT_CHUNK = 5000


def progress(message: str) -> None:
    print(f"relay_drain: {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.relay_drain", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3, help="drains to time (a fresh backlog each)")
    parser.add_argument("--window", type=int, default=None, help="unconfirmed events at most (new relay)")
    parser.add_argument("--relay", default="kernel.relay:OutboxRelay", help="module:Class to measure")
    return parser.parse_args(argv)


def body(event_id: str) -> str:
    """An envelope of the size customers emits (~1 KB of event-carried state)."""
    return json.dumps(
        {
            "id": event_id,
            "type": "customer.updated",
            "source": "bench",
            "occurred_at": "2026-12-02T03:00:00Z",
            "aggregate": {"type": "customer", "id": event_id, "version": 2},
            "customer_id": event_id,
            "actor": {"user_id": "u-bench"},
            "data": {"id": event_id, "name": "A科技有限公司", "notes": "x" * 700, "tags": ["VIP"]},
        },
        ensure_ascii=False,
    )


def fill(engine: Engine, table: Any, events: int) -> None:
    with engine.begin() as conn:
        conn.execute(table.delete())
        for start in range(0, events, INSERT_CHUNK):
            ids = [str(uuid.uuid4()) for _ in range(min(INSERT_CHUNK, events - start))]
            conn.execute(
                table.insert(),
                [
                    {"event_id": i, "exchange": EXCHANGE, "routing_key": "customer.updated", "body": body(i)}
                    for i in ids
                ],
            )


def load_relay_class(spec: str) -> Any:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = BenchSettings()
    settings.require_loopback()
    settings.clear_stale_queues()
    relay_class = load_relay_class(args.relay)
    table = outbox_table(MetaData(schema=SCHEMA))
    engine = make_engine(settings.bench_database_url, pool_size=4, pre_ping=False)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}"))
    assert table.metadata is not None
    table.metadata.create_all(engine)

    params = pika.URLParameters(settings.rabbitmq_url)
    params.heartbeat = 0  # idle while the relay drains
    amqp = pika.BlockingConnection(params)
    channel = amqp.channel()
    channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
    channel.queue_declare(QUEUE, durable=True)
    channel.queue_bind(QUEUE, EXCHANGE, routing_key="#")
    rows: list[tuple[int, float]] = []
    try:
        for run in range(1, args.repeat + 1):
            channel.queue_purge(QUEUE)
            progress(f"run {run}/{args.repeat}: filling the outbox with {args.events:,} events")
            fill(engine, table, args.events)
            relay = relay_class(
                service="bench",
                engine=engine,
                table=table,
                rabbitmq_url=settings.rabbitmq_url,
                batch_size=args.batch_size,
                **({"window": args.window} if args.window else {}),
            )
            started = time.perf_counter()
            published = relay.drain()
            seconds = time.perf_counter() - started
            relay.close()
            with engine.connect() as conn:
                left = conn.execute(select(func.count()).where(table.c.published_at.is_(None))).scalar_one()
            queued = channel.queue_declare(QUEUE, passive=True).method.message_count
            if left or published != args.events or queued != args.events:
                raise SystemExit(f"relay_drain: published {published}, left {left}, queued {queued}")
            progress(f"run {run}: {seconds:.2f} s, {args.events / seconds:,.0f} events/s")
            rows.append((args.events, seconds))
    finally:
        channel.queue_delete(QUEUE)
        channel.exchange_delete(EXCHANGE)
        amqp.close()
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        engine.dispose()

    window = f", window {args.window}" if args.window else ""
    print(f"\nRelay `{args.relay}`, batch {args.batch_size}{window}, vhost {settings.bench_vhost}\n")
    print("| run | events | seconds | events/s |")
    print("|---:|---:|---:|---:|")
    for run, (events, seconds) in enumerate(rows, 1):
        print(f"| {run} | {events:,} | {seconds:.2f} | {events / seconds:,.0f} |")
    best = min(seconds for _, seconds in rows)
    print(f"| best | {args.events:,} | {best:.2f} | {args.events / best:,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
