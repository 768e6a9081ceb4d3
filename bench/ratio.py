"""``python -m bench.ratio [--rounds 5] [--seconds 5] [--clients 16]``: Elasticsearch against pg_trgm at
N clients, in interleaved rounds, on whatever the last ``bench.run`` loaded (its size, its data).

One 3-second row per engine, as the quick bench measures, moves by ±25 % on a shared 2-vCPU VM, and
both engines' rates move with it: issue 11's "≥ 1.5 × pg_trgm's searches/s" read 1.20× to 1.88× over
three days of single runs. Alternating the engines round by round puts both under the same
conditions; the table gives each round's rates and ratio, and the median ratio.
"""

from __future__ import annotations

import argparse
from typing import Any

from search.es import make_client
from search.query import SearchEngine

from bench import loadgen, pgbaseline, queries
from bench.run import search_settings
from bench.settings import BenchSettings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ratio", description=__doc__.split("\n")[0] if __doc__ else ""
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per engine and round")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--warmup",
        type=float,
        default=loadgen.DEFAULT_WARMUP_SECONDS,
        help="unmeasured seconds per engine, once (default %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.seconds <= 0 or args.clients < 1:
        parser.error("--rounds, --seconds and --clients must be positive")
    return args


def rounds_table(rows: list[dict[str, Any]], clients: int) -> str:
    lines = [
        f"| round | Elasticsearch searches/s | pg_trgm searches/s | ratio ({clients} clients) |",
        "|---:|---:|---:|---:|",
    ]
    for n, row in enumerate(rows, 1):
        lines.append(f"| {n} | {row['elasticsearch']:,.0f} | {row['pg_trgm']:,.0f} | {row['ratio']:.2f}× |")
    ratios = [row["ratio"] for row in rows]
    lines.append(
        f"| median | | | **{loadgen.median(ratios):.2f}×** (min {min(ratios):.2f}, max {max(ratios):.2f}) |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = BenchSettings()
    settings.require_loopback()
    engine = SearchEngine(
        make_client(search_settings(settings), retries=1, connections=32), settings.bench_alias
    )
    factories = {
        "elasticsearch": queries.es_factory(engine),
        "pg_trgm": pgbaseline.client_factory(settings.bench_dsn, "trgm"),
    }
    for factory in factories.values():
        loadgen.warm_up(factory, queries.QUERIES, args.warmup)
    rows: list[dict[str, Any]] = []
    for n in range(args.rounds):
        # Alternate which engine goes first, so neither always follows the other's after-effects.
        order = list(factories) if n % 2 == 0 else list(reversed(factories))
        row: dict[str, Any] = {}
        for key in order:
            held, close_held = loadgen.closing_later(factories[key])
            try:
                run = loadgen.run_clients(held, queries.QUERIES, clients=args.clients, seconds=args.seconds)
            finally:
                close_held()
            row[key] = run.stats.throughput
        row["ratio"] = row["elasticsearch"] / row["pg_trgm"] if row["pg_trgm"] else float("inf")
        rows.append(row)
    print(rounds_table(rows, args.clients))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
