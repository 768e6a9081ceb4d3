"""``python -m bench.indexer_tuning``: bulk size × bulk requests in flight → events/s, by doubling.

Rally-style: for each number of bulk requests in flight (1, 2, 4 …) the batch size is doubled
until the drain rate stops growing by more than ``--plateau`` (default 5 %); the in-flight count is
doubled until the best rate of a row stops growing likewise. Each cell is one ``drain_load`` of the
bench dataset (queue pre-filled, then one fresh ``search.indexer`` started with that
configuration, timed from its consumer registration to the last document searchable), so the
number is the indexer's own throughput, not the publisher's. Prefetch is sized to hold every batch
in flight plus the one being filled (the settings' rule). ``--indexers 2`` runs the best cell with
several copies to show scale-out.

The machine is shared: every cell prints the load average next to its rate, and the indexer's own
CPU per event (its /proc time, start-up included) which the load does not inflate as much.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass

from elasticsearch import Elasticsearch
from search.es import make_client

from bench import bulkload, datagen, procs
from bench.run import connect_broker, search_settings
from bench.settings import BenchSettings


@dataclass(frozen=True)
class Cell:
    batch_size: int
    in_flight: int
    indexers: int
    rate: float
    cpu_ms_per_event: float
    es_ms_per_event: float
    load: float


def _ints(text: str) -> list[int]:
    values = [int(v) for v in text.split(",") if v.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("a comma-separated list of positive integers")
    return values


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.indexer_tuning", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--customers", type=int, default=5000, help="dataset size (default 5000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-sizes", type=_ints, default=[125, 250, 500, 1000, 2000])
    parser.add_argument("--in-flight", type=_ints, default=[1, 2, 4, 8])
    parser.add_argument("--plateau", type=float, default=0.05, help="growth below this ends a doubling")
    parser.add_argument("--indexers", type=int, default=1, help="also run the best cell with N copies")
    parser.add_argument("--flush-ms", type=int, default=50)
    return parser.parse_args(argv)


def measure(
    es: Elasticsearch,
    settings: BenchSettings,
    messages: list[bulkload.Message],
    *,
    batch_size: int,
    in_flight: int,
    indexers: int,
    flush_ms: int,
) -> Cell:
    s_settings = search_settings(settings)
    broker = connect_broker(settings)
    try:
        bulkload.reset_queue(broker, settings.bench_queue)
        bulkload.reset_index(es, s_settings)
        env = {
            **procs.indexer_env(settings),
            "PANORAMA_SEARCH_INDEXER_BATCH_SIZE": str(batch_size),
            "PANORAMA_SEARCH_INDEXER_MAX_IN_FLIGHT": str(in_flight),
            "PANORAMA_SEARCH_INDEXER_PREFETCH": str(min(65535, max(2, batch_size * (in_flight + 1)))),
            "PANORAMA_SEARCH_INDEXER_FLUSH_MS": str(flush_ms),
        }
        result = bulkload.drain_load(
            es=es,
            connection=broker,
            alias=settings.bench_alias,
            queue=settings.bench_queue,
            messages=messages,
            indexer_env=env,
            indexers=indexers,
            progress=lambda _: None,
        )
    finally:
        if broker.is_open:
            broker.close()
    rates = (result.drain_rate, result.cpu_ms_per_event, result.es_ms_per_event)
    cell = Cell(batch_size, in_flight, indexers, *rates, os.getloadavg()[0])
    print(
        f"  batch {batch_size:>5} × in flight {in_flight} × {indexers} indexer(s): "
        f"{cell.rate:8,.0f} events/s, indexer CPU {cell.cpu_ms_per_event:.3f} ms/event, "
        f"ES index+refresh {cell.es_ms_per_event:.3f} ms/event, load {cell.load:.1f}",
        file=sys.stderr,
        flush=True,
    )
    return cell


def plateaued(series: list[Cell], plateau: float) -> bool:
    """The last two cells each failed to beat everything before them by ``plateau``."""
    if len(series) < 3:
        return False
    return all(
        series[i].rate < max(c.rate for c in series[:i]) * (1 + plateau)
        for i in (len(series) - 2, len(series) - 1)
    )


def table(cells: list[Cell]) -> str:
    rows = [
        "| batch size | in flight | indexers | events/s | indexer CPU ms/event "
        "| ES index+refresh ms/event | load avg |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in cells:
        rows.append(
            f"| {c.batch_size} | {c.in_flight} | {c.indexers} | {c.rate:,.0f} | "
            f"{c.cpu_ms_per_event:.3f} | {c.es_ms_per_event:.3f} | {c.load:.1f} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    settings = BenchSettings()
    settings.require_loopback()
    settings.clear_stale_queues()
    es = make_client(search_settings(settings), connections=4)
    data = datagen.generate(args.customers, args.seed)
    messages = bulkload.serialize(data.events())
    print(
        f"{len(messages):,} events ({args.customers:,} customers); load {os.getloadavg()[0]:.1f}",
        file=sys.stderr,
    )
    started = time.monotonic()
    cells: list[Cell] = []
    # Doubling stops at a plateau: two doublings in a row that beat the best so far by less than
    # ``--plateau`` (one alone is within the noise of a shared machine).
    row_bests: list[Cell] = []
    for in_flight in args.in_flight:
        row: list[Cell] = []
        for batch_size in args.batch_sizes:
            cell = measure(
                es, settings, messages, batch_size=batch_size, in_flight=in_flight, indexers=1,
                flush_ms=args.flush_ms,
            )  # fmt: skip
            cells.append(cell)
            row.append(cell)
            if plateaued(row, args.plateau):
                break
        row_bests.append(max(row, key=lambda c: c.rate))
        if plateaued(row_bests, args.plateau):
            break
    best = max(cells, key=lambda c: c.rate)
    if args.indexers > 1:
        cells.append(
            measure(
                es,
                settings,
                messages,
                batch_size=best.batch_size,
                in_flight=best.in_flight,
                indexers=args.indexers,
                flush_ms=args.flush_ms,
            )
        )
    print(table(cells))
    print(
        f"\nbest with 1 indexer: batch {best.batch_size} × {best.in_flight} in flight, "
        f"{best.rate:,.0f} events/s ({len(messages):,} events, {time.monotonic() - started:.0f} s in all)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
