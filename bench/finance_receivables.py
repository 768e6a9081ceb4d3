"""Reading receivables over a large ledger: what a ``list_receivables`` page (with the aging
bucket and other filters) and a ``receivables_summary`` (the list page's bucket chips, the
customer page's finance tab) cost.

    python -m bench.finance_receivables [--receivables 1000000] [--runs 20] [--skip-load]

The finance schema is migrated into its own PostgreSQL schema (``bench_finance_receivables``) of
the bench database (``PANORAMA_BENCH_DATABASE_URL``), so nothing of the tests or ``make run`` is
touched. A seeded generator writes orders of 20 teams × 10 sellers over 100,000 customers, 1–6
instalments each, due from 400 days ago to a year ahead (most past-due ones paid, some partly,
some not), COPYs them in with the indexes set aside and rebuilt after, then VACUUM ANALYZE.

The handlers run in process exactly as the RPC entrypoints run them (``FinanceApp``: unit of
work, read policy in SQL), as of a fixed business day, for finance (everything), a team manager
and a seller: p50 / p95 / max over ``--runs`` runs after two warm-ups. Progress on stderr, the
Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from finance.app import FinanceApp
from finance.handlers.receivable_reads import receivables_on, summary_on
from kernel.db import make_engine, make_sessionmaker
from kernel.identity import Caller

from bench.inprocess import BenchSchema, NoCustomers, logger, seller_id, team_id
from bench.loadgen import percentile
from bench.settings import BenchSettings

SCHEMA = "bench_finance_receivables"
TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)
TEAMS, SELLERS_PER_TEAM, CUSTOMERS = 20, 10, 100_000
CHUNK = 50_000
COLUMNS = (
    "id, order_id, order_number, seq, customer_id, customer_name, customer_owner_id, owner_id, team_id,"
    " due_date, currency, amount_minor, paid_minor, written_off_minor, status, overdue_bucket,"
    " overdue_since, order_version, cancelled_at, version, created_at, updated_at"
)


log = logger("finance_receivables")


def customer_id(c: int) -> str:
    return f"bench-customer-{c:06d}"


def customer_owner(c: int) -> tuple[int, int]:
    return c % TEAMS, (c // TEAMS) % SELLERS_PER_TEAM


# ---------------------------------------------------------------------------------- generation
def generate(n: int, seed: int) -> Iterator[list[list[Any]]]:
    """Chunks of receivable rows for COPY: whole orders until ``n`` instalments."""
    rng = random.Random(seed)
    rows: list[list[Any]] = []
    made, order = 0, 0
    while made < n:
        order += 1
        c = rng.randrange(CUSTOMERS)
        t, s = customer_owner(c)
        seller = seller_id(t, rng.randrange(SELLERS_PER_TEAM)) if rng.random() < 0.05 else seller_id(t, s)
        first_due = TODAY + timedelta(days=rng.randint(-400, 300))
        currency = "USD" if rng.random() < 0.05 else "CNY"
        for seq in range(1, min(rng.randint(1, 6), n - made) + 1):
            due = first_due + timedelta(days=30 * (seq - 1))
            amount = rng.randrange(1_000, 500_000) * 100
            paid, status = 0, "open"
            if due < TODAY:
                r = rng.random()
                if r < 0.70:
                    paid, status = amount, "paid"
                elif r < 0.80:
                    paid, status = amount // 2, "partially_paid"
            made += 1
            rows.append(
                [
                    f"br-{made:010d}",
                    f"bo-{order:09d}",
                    f"SO-2026-{order:06d}",
                    seq,
                    customer_id(c),
                    f"客户{c:06d}有限公司",
                    seller_id(t, s),
                    seller,
                    team_id(t),
                    due.isoformat(),
                    currency,
                    amount,
                    paid,
                    0,
                    status,
                    None,
                    None,
                    1,
                    None,
                    2 if paid else 1,
                    NOW.isoformat(),
                    NOW.isoformat(),
                ]
            )
            if len(rows) >= CHUNK:
                yield rows
                rows = []
    if rows:
        yield rows


# ---------------------------------------------------------------------------------- loading
def bench_schema(settings: BenchSettings) -> BenchSchema:
    return BenchSchema(settings, SCHEMA, "finance")


def load(settings: BenchSettings, n: int, seed: int) -> dict[str, float]:
    schema = bench_schema(settings)
    schema.recreate()
    conn = schema.connect()
    started = time.perf_counter()
    indexes = schema.drop_secondary_indexes(conn, ("receivables",))
    for i, rows in enumerate(generate(n, seed)):
        schema.copy(conn, "receivables", COLUMNS, rows)
        if i % 4 == 3:
            log(f"  {min((i + 1) * CHUNK, n):,} receivables")
    copied = time.perf_counter()
    schema.restore_indexes(conn, indexes)
    with conn.cursor() as cur:
        indexed = time.perf_counter()
        cur.execute("VACUUM (ANALYZE) receivables")
    conn.close()
    done = time.perf_counter()
    return {"generate_copy_s": copied - started, "index_s": indexed - copied, "vacuum_s": done - indexed}


# ---------------------------------------------------------------------------------- timing
@dataclass(frozen=True)
class Scenario:
    name: str
    caller: Caller
    call: Callable[[Any], dict[str, Any]]


def _page(**filters: str) -> Callable[[Any], dict[str, Any]]:
    return lambda unit: receivables_on(unit, TODAY, filters or None, None, 50)


def _summary(customer: str | None) -> Callable[[Any], dict[str, Any]]:
    return lambda unit: summary_on(unit, customer, TODAY)


def scenarios() -> list[Scenario]:
    finance = Caller("bench-finance", ("finance",), None)
    t, s = customer_owner(42)
    seller = Caller(seller_id(t, s), ("sales",), team_id(t))
    manager = Caller("bench-manager-00", ("manager",), team_id(0))
    one = customer_id(42)
    return [
        Scenario("finance: list, first page", finance, _page()),
        Scenario("finance: list, bucket 1-30", finance, _page(bucket="1-30")),
        Scenario("finance: list, bucket 90+", finance, _page(bucket="90+")),
        Scenario("finance: list, status open", finance, _page(status="open")),
        Scenario("finance: list, one customer", finance, _page(customer_id=one)),
        Scenario("finance: list, customer name part", finance, _page(customer_name="042有限")),
        Scenario("finance: summary, everything (bucket chips)", finance, _summary(None)),
        Scenario("finance: summary, one customer (finance tab)", finance, _summary(one)),
        Scenario("manager: list, own team", manager, _page()),
        Scenario("manager: summary, own team", manager, _summary(None)),
        Scenario("sales: list, own + shared", seller, _page()),
        Scenario("sales: list, bucket 31-60", seller, _page(bucket="31-60")),
        Scenario("sales: summary, own + shared", seller, _summary(None)),
    ]


def measure(settings: BenchSettings, runs: int) -> list[dict[str, Any]]:
    engine = make_engine(bench_schema(settings).url, pool_size=2)
    app = FinanceApp(make_sessionmaker(engine), NoCustomers("the receivables reads"))
    rows = []
    for scenario in scenarios():
        for _ in range(2):  # warm-up: plans cached, pages in shared buffers
            result = app.run(scenario.caller, scenario.call)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            result = app.run(scenario.caller, scenario.call)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        found = len(result["items"]) if "items" in result else result["open_count"]
        rows.append(
            {
                "scenario": scenario.name,
                "found": found,
                "p50_ms": percentile(timings, 50),
                "p95_ms": percentile(timings, 95),
                "max_ms": timings[-1],
            }
        )
        log(f"  {scenario.name}: p50 {rows[-1]['p50_ms']:.1f} ms, p95 {rows[-1]['p95_ms']:.1f} ms")
    engine.dispose()
    return rows


def table(load_info: dict[str, float] | None, n: int, runs: int, rows: list[dict[str, Any]]) -> str:
    busy = ", ".join(f"{x:.1f}" for x in os.getloadavg())  # the machine may be shared
    lines = [
        f"### Receivable reads over {n:,} instalments ({runs} runs each, in process, as of {TODAY})",
        "",
        f"{os.cpu_count()} CPUs, load average at the end {busy}.",
        "",
    ]
    if load_info:
        lines += [
            f"Loaded: generate + COPY {load_info['generate_copy_s']:.0f} s, indexes"
            f" {load_info['index_s']:.0f} s, VACUUM ANALYZE {load_info['vacuum_s']:.0f} s.",
            "",
        ]
    lines += [
        "| scenario | items on the page / open instalments | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        timing = f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['max_ms']:.1f}"
        lines.append(f"| {r['scenario']} | {r['found']:,} | {timing} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--receivables", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--skip-load", action="store_true", help="reuse what a previous run loaded")
    args = parser.parse_args(argv)
    settings = BenchSettings()
    settings.require_loopback()
    load_info = None
    n = args.receivables
    if args.skip_load and bench_schema(settings).count("receivables"):
        n = bench_schema(settings).count("receivables")
        log(f"reusing {n:,} receivables in schema {SCHEMA}")
    else:
        log(f"loading {n:,} receivables into schema {SCHEMA}")
        load_info = load(settings, n, args.seed)
    rows = measure(settings, args.runs)
    print(table(load_info, n, args.runs, rows))


if __name__ == "__main__":
    main()
