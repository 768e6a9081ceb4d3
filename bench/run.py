"""``python -m bench.run``: load, search and freshness benchmarks of global search, one Markdown table.

    cd /work/main && set -a && source deploy/local/env.sh && set +a && .venv/bin/python -m bench.run
    … --quick          5,000 customers and short runs (a sanity check, about a minute)
    … --skip-load      reuse the data a previous run loaded (same --customers and --seed)

Needs the loopback servers of deploy/local and the RabbitMQ virtual host ``panorama_bench``
(see bench/README.md). Progress goes to stderr; the table to stdout and bench/results/latest.{md,json}.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pika
from elasticsearch import Elasticsearch
from pika.exceptions import AMQPConnectionError, AMQPError
from search.es import make_client
from search.query import SearchEngine
from search.settings import SearchSettings

from bench import (
    bulkload,
    cpu,
    datagen,
    envinfo,
    freshness,
    gateway,
    loadgen,
    pgbaseline,
    procs,
    queries,
    report,
)
from bench.settings import BenchSettings

RESULTS = Path(__file__).resolve().parent / "results"
QUICK_CUSTOMERS = 5_000
VHOST_HELP = """RabbitMQ virtual host {vhost!r} is missing or closed to {user!r}. Create it (idempotent):
    rabbitmqctl add_vhost {vhost}
    rabbitmqctl set_permissions -p {vhost} {user} '.*' '.*' '.*'"""
_T0 = time.monotonic()


def progress(message: str) -> None:
    print(f"[bench {time.monotonic() - _T0:6.1f}s] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--customers",
        type=int,
        default=None,
        help="customers to generate: 5000, 100000, 1000000 … (default 100000)",
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CUSTOMERS} customers, short runs")
    parser.add_argument("--skip-load", action="store_true", help="reuse the loaded ES index and PG tables")
    parser.add_argument("--seed", type=int, default=datagen.DEFAULT_SEED)
    parser.add_argument("--indexers", type=int, default=1, help="search.indexer processes (default 1)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per latency row (default 10)")
    parser.add_argument("--freshness-samples", type=int, default=None, help="default 200 (--quick: 30)")
    parser.add_argument(
        "--warmup",
        type=float,
        default=loadgen.DEFAULT_WARMUP_SECONDS,
        help="unmeasured load before each engine's and route's rows: at least this many seconds "
        "(default %(default)s), then 5 s slices until the CPU per request stops falling",
    )
    parser.add_argument(
        "--live-load",
        action="store_true",
        help="index while publishing (the relay's way) instead of draining a pre-filled queue",
    )
    parser.add_argument("--skip-gateway", action="store_true", help="no HTTP rows through the gateway")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where latest.md/json go")
    args = parser.parse_args(argv)
    if args.customers is None:
        args.customers = QUICK_CUSTOMERS if args.quick else 100_000
    if args.seconds is None:
        args.seconds = 3.0 if args.quick else 10.0
    if args.freshness_samples is None:
        args.freshness_samples = 30 if args.quick else 200
    if args.customers < 1 or args.indexers < 1 or args.freshness_samples < 1:
        parser.error("--customers, --indexers and --freshness-samples must be positive")
    return args


def search_settings(settings: BenchSettings) -> SearchSettings:
    return settings.search_settings(settings.bench_alias, settings.bench_queue, ["customers.events"])


def connect_broker(settings: BenchSettings) -> pika.BlockingConnection:
    try:
        return pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    except AMQPConnectionError as exc:
        help_text = VHOST_HELP.format(vhost=settings.bench_vhost, user=settings.rabbitmq_user)
        raise SystemExit(f"bench: cannot open {settings.bench_vhost!r}: {exc!r}\n{help_text}") from exc


def close_quietly(connection: pika.BlockingConnection) -> None:
    try:
        if connection.is_open:
            connection.close()
    except AMQPError:
        pass


def latency(
    es_engine: SearchEngine, dsn: str, seconds: float, warmup: float = 0.0
) -> tuple[dict[str, dict[str, Any]], dict[str, loadgen.RunResult]]:
    """Every engine at 1 and 16 clients, each engine warmed up first for ``warmup`` seconds
    (unmeasured); returns the JSON stats and the 1-client runs."""
    factories = {
        "elasticsearch": queries.es_factory(es_engine),
        "pg_seqscan": pgbaseline.client_factory(dsn, "seqscan"),
        "pg_trgm": pgbaseline.client_factory(dsn, "trgm"),
    }
    stats: dict[str, dict[str, Any]] = {}
    single: dict[str, loadgen.RunResult] = {}
    for key, factory in factories.items():
        stats[key] = {}
        slices = loadgen.warm_up(factory, queries.QUERIES, warmup)
        progress(f"{key} warm-up, {loadgen.warm_up_progress(slices)}")
        for clients in (1, 16):
            held, close_held = loadgen.closing_later(factory)
            before = cpu.snapshot()
            try:
                run = loadgen.run_clients(held, queries.QUERIES, clients=clients, seconds=seconds)
                # The warm-up round of every client ran inside the CPU window too: count it.
                searches = run.stats.count + run.stats.errors + len(queries.QUERIES) * clients
                # Read before the connections close: an exited PostgreSQL backend takes its CPU time along.
                cpu_ms = cpu.per_request(before, cpu.snapshot(), searches)
            finally:
                close_held()
            s = run.stats
            progress(
                f"{key} × {clients}: p50 {s.p50:.1f} ms, p95 {s.p95:.1f} ms, p99 {s.p99:.1f} ms, "
                f"{s.throughput:,.0f}/s, {s.errors} errors {run.error_samples[:1] or ''}; "
                f"CPU ms/search {cpu_ms}"
            )
            stats[key][str(clients)] = {**s.as_dict(), "cpu_ms_per_search": cpu_ms}
            if clients == 1:
                single[key] = run
    return stats, single


def per_query(
    es_engine: SearchEngine, dsn: str, single: dict[str, loadgen.RunResult]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Hit counts, 1-client medians and the EXPLAIN verdict for every query."""
    rows: list[dict[str, Any]] = []
    seq_conn, trgm_conn = pgbaseline.connect(dsn, "seqscan"), pgbaseline.connect(dsn, "trgm")
    trgm_used = seq_used = 0
    try:
        for probe in queries.QUERY_SET:
            trgm_plan, seq_plan = (
                pgbaseline.explain(trgm_conn, probe.q),
                pgbaseline.explain(seq_conn, probe.q),
            )
            trgm_used += trgm_plan.uses_index
            seq_used += seq_plan.uses_index
            page = es_engine.search(queries.ADMIN, probe.q, limit=queries.PAGE)
            rows.append(
                {
                    "q": probe.q,
                    "what": probe.what,
                    "es_hits": page["total"],
                    "es_hits_lower_bound": page.get("total_is_lower_bound", False),
                    "es_took_p50_ms": loadgen.median(queries.es_server_took(es_engine, probe.q)),
                    "pg_hits": pgbaseline.hit_count(trgm_conn, probe.q),
                    "es_p50_ms": loadgen.median(single["elasticsearch"].per_query_ms[probe.q]),
                    "seqscan_p50_ms": loadgen.median(single["pg_seqscan"].per_query_ms[probe.q]),
                    "trgm_p50_ms": loadgen.median(single["pg_trgm"].per_query_ms[probe.q]),
                    "trgm_plan": trgm_plan.describe(),
                    "trgm_index_used": trgm_plan.uses_index,
                    "seqscan_plan": seq_plan.describe(),
                    "seqscan_index_used": seq_plan.uses_index,
                }
            )
    finally:
        seq_conn.close()
        trgm_conn.close()
    plans = {"queries": len(rows), "trgm_index_queries": trgm_used, "seqscan_index_queries": seq_used}
    return rows, plans


def freshness_stats(result: freshness.FreshnessResult, samples: int) -> dict[str, Any]:
    seconds = sorted(result.seconds)
    return {
        "samples": samples,
        "found": len(seconds),
        "timeouts": result.timeouts,
        "p50_s": loadgen.percentile(seconds, 50),
        "p95_s": loadgen.percentile(seconds, 95),
        "p99_s": loadgen.percentile(seconds, 99),
        "max_s": seconds[-1] if seconds else float("nan"),
        "mean_polls": result.polls / samples,
        "write_p50_ms": loadgen.median(result.write_ms),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = BenchSettings()
    settings.require_loopback()
    settings.clear_stale_queues()
    s_settings = search_settings(settings)
    es: Elasticsearch = make_client(s_settings, retries=1, connections=32)
    engine = SearchEngine(es, settings.bench_alias)
    dsn = settings.bench_dsn
    broker = connect_broker(settings)
    environment = envinfo.collect(es, settings.rabbitmq_url, dsn)
    progress(f"environment: {environment}")

    progress(f"generating {args.customers:,} customers (seed {args.seed})")
    data = datagen.generate(args.customers, args.seed)
    progress(f"generated {len(data.contacts):,} contacts, {len(data.follow_ups):,} follow-ups")
    results: dict[str, Any] = {
        "environment": environment,
        "config": {
            "customers": args.customers,
            "seed": args.seed,
            "quick": args.quick,
            "skip_load": args.skip_load,
            "indexers": args.indexers,
            "latency_seconds": args.seconds,
            "warmup_seconds": args.warmup,
            "refresh_interval": s_settings.search_refresh_interval,
            "indexer_prefetch": s_settings.search_indexer_prefetch,
            "indexer_batch_size": s_settings.search_indexer_batch_size,
            "indexer_flush_ms": s_settings.search_indexer_flush_ms,
            "indexer_max_in_flight": s_settings.search_indexer_max_in_flight,
        },
        "data": {
            "customers": len(data.customers),
            "contacts": len(data.contacts),
            "follow_ups": len(data.follow_ups),
            "events": data.event_count,
        },
        "bulk": None,
        "pg_load": None,
    }

    with ExitStack() as stack:
        stack.callback(close_quietly, broker)
        if args.skip_load:
            have = bulkload.searchable_count(es, settings.bench_alias)
            if have < data.event_count or not pgbaseline.loaded_matches(dsn, data):
                raise SystemExit(
                    f"bench: --skip-load, but the loaded data is not this dataset ({have:,} documents in "
                    f"{settings.bench_alias}, need {data.event_count:,}); run without --skip-load"
                )
            progress("--skip-load: reusing the loaded index and tables")
        else:
            progress("serializing envelopes")
            messages = bulkload.serialize(data.events())
            bulkload.reset_queue(broker, settings.bench_queue)
            index = bulkload.reset_index(es, s_settings)
            progress(f"fresh index {index} behind {settings.bench_alias}")
            if not args.live_load:
                drained = bulkload.drain_load(
                    es=es,
                    connection=broker,
                    alias=settings.bench_alias,
                    queue=settings.bench_queue,
                    messages=messages,
                    indexer_env=procs.indexer_env(settings),
                    indexers=args.indexers,
                    progress=progress,
                )
                del messages
                # The drain only polled Elasticsearch: a long one outlives the idle connection's heartbeats.
                close_quietly(broker)
                broker = connect_broker(settings)
                stack.callback(close_quietly, broker)
                results["bulk"] = {
                    "mode": "drain",
                    "events": drained.events,
                    "indexers": drained.indexers,
                    "load_seconds": drained.drain_seconds,
                    "load_rate": drained.drain_rate,
                    "indexer_cpu_ms_per_event": drained.cpu_ms_per_event,
                    "es_ms_per_event": drained.es_ms_per_event,
                }
                progress(
                    f"bulk drain: {drained.drain_rate:,.0f} events/s, indexer CPU "
                    f"{drained.cpu_ms_per_event:.3f} ms/event, ES {drained.es_ms_per_event:.3f} ms/event"
                )
        progress(f"starting {args.indexers} indexer(s)")
        indexers = stack.enter_context(
            procs.running(procs.INDEXER, procs.indexer_env(settings), "indexer", args.indexers)
        )
        bulkload.wait_for_consumers(broker, settings.bench_queue, indexers)
        if not args.skip_load and args.live_load:
            bulk = bulkload.bulk_load(
                es=es,
                connection=broker,
                alias=settings.bench_alias,
                messages=messages,
                indexers=indexers,
                progress=progress,
            )
            del messages
            results["bulk"] = {
                "mode": "live",
                "events": bulk.events,
                "indexers": bulk.indexers,
                "publish_seconds": bulk.publish_seconds,
                "publish_rate": bulk.publish_rate,
                "load_seconds": bulk.load_seconds,
                "load_rate": bulk.load_rate,
            }
            progress(f"bulk load: {bulk.load_rate:,.0f} events/s (publish {bulk.publish_rate:,.0f}/s)")
        if not args.skip_load:
            close_quietly(broker)  # idle from here on: do not let its heartbeats lapse mid-run
            progress("loading the PostgreSQL baseline tables (COPY)")
            pg_load = pgbaseline.load(dsn, data, progress)
            results["pg_load"] = {
                "rows": pg_load.rows,
                "copy_seconds": pg_load.copy_seconds,
                "copy_rate": pg_load.copy_rate,
                "index_seconds": pg_load.index_seconds,
            }

        close_quietly(broker)
        results["index"] = bulkload.wait_for_merges(es, settings.bench_alias, progress)
        progress(f"search latency: 3 engines × (1, 16) clients × {args.seconds:g}s")
        results["latency"], single = latency(engine, dsn, args.seconds, args.warmup)
        results["per_query"], results["plans"] = per_query(engine, dsn, single)

        progress(f"freshness: preparing {settings.bench_customers_database} and starting the customers relay")
        hub = freshness.prepare_hub(
            dsn, settings.bench_customers_database, settings.customers_database_url, data.users
        )
        relay = stack.enter_context(procs.running(procs.RELAY, procs.relay_env(settings), "relay"))
        measured = freshness.measure(
            hub,
            engine,
            data.users[1],
            args.freshness_samples,
            progress,
            phase_jitter=freshness.interval_seconds(s_settings.search_refresh_interval),
            seed=args.seed,
        )
        procs.require_alive(relay + indexers, "relay/indexer")
        results["freshness"] = freshness_stats(measured, args.freshness_samples)
        if not args.skip_gateway:
            progress("gateway: starting customers, search and gateway on the bench servers")
            with gateway.running_gateway(settings, progress) as front_door:
                results["gateway"] = gateway.measure(
                    front_door, args.seconds, (1, 16), progress, warmup=args.warmup
                )
        progress("stopping relay and indexer(s)")

    results["environment"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    results["targets"] = report.targets(results)
    text = report.write(results, args.output)
    print(text)
    progress(f"wrote {args.output / 'latest.md'} and latest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
