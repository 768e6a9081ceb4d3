"""The aging report over a million instalments: what one ``aging_report`` RPC costs.

    python -m bench.finance_aging [--instalments 1000000] [--runs 20] [--skip-load] [--quick]

The finance schema is migrated into its own PostgreSQL schema (``bench_finance``) of the bench
database (``PANORAMA_BENCH_DATABASE_URL``), so nothing of the tests or ``make run`` is touched.
A seeded generator writes instalments of orders sold by 20 teams × 10 sellers to 50,000
customers, due over three years around today (about 40 % still unsettled, some part-paid, 5 %
USD), and COPYs them in (indexes set aside during the load and rebuilt after it, then VACUUM
ANALYZE, as autovacuum would have by then).

Then ``aging_report`` runs in process exactly as the RPC entrypoint runs it (``FinanceApp``: unit
of work, read policy in SQL, one grouped query, names) for finance (everything, by owner, team and
customer), a team manager (their team) and a seller (own + their customers'), the
``collections_forecast`` for finance and one overdue-timer tick with nothing new to announce:
p50 / p95 / max over ``--runs`` runs after two warm-up runs. Progress on stderr, the Markdown
table on stdout. ``--quick``: 100,000 instalments, 5 runs.
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
from finance.handlers.aging import aging_report, collections_forecast
from finance.handlers.overdue import scan_overdue
from kernel.db import make_engine, make_sessionmaker
from kernel.identity import SYSTEM, Caller

from bench.inprocess import (
    BenchSchema,
    NoCustomers,
    logger,
    manager_id,
    sales_org,
    seller_id,
    team_id,
    time_runs,
)
from bench.loadgen import percentile
from bench.settings import BenchSettings

SCHEMA = "bench_finance"
TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 4, tzinfo=UTC)
TEAMS, SELLERS_PER_TEAM, CUSTOMERS = 20, 10, 50_000
CHUNK = 50_000
COLUMNS = (
    "id, order_id, order_number, seq, customer_id, customer_name, customer_owner_id, owner_id, team_id,"
    " due_date, currency, amount_minor, paid_minor, written_off_minor, status, overdue_bucket,"
    " order_version, version, created_at, updated_at"
)


log = logger("finance_aging")


# ---------------------------------------------------------------------------------- generation
def generate(n: int, seed: int) -> Iterator[list[list[Any]]]:
    """Chunks of receivable rows for COPY: orders of 1–6 instalments a month apart."""
    rng = random.Random(seed)
    rows: list[list[Any]] = []
    made, order = 0, 0
    stamp = NOW.isoformat()
    while made < n:
        order += 1
        t, s = rng.randrange(TEAMS), rng.randrange(SELLERS_PER_TEAM)
        owner = seller_id(t, s)
        c = rng.randrange(CUSTOMERS)
        # a customer mostly belongs to the seller of its orders; one in twenty to a teammate
        customer_owner = seller_id(t, rng.randrange(SELLERS_PER_TEAM)) if rng.random() < 0.05 else owner
        currency = "USD" if rng.random() < 0.05 else "CNY"
        first_due = TODAY + timedelta(days=rng.randint(-720, 360))
        for seq in range(1, min(rng.randint(1, 6), n - made) + 1):
            due = first_due + timedelta(days=30 * (seq - 1))
            amount = rng.randrange(1_000, 500_000) * 100
            past = due < TODAY
            r = rng.random()
            if (past and r < 0.75) or (not past and r < 0.10):
                paid, status = amount, "paid"
            elif r < 0.85:
                paid, status = 0, "open"
            else:
                paid, status = amount // rng.randint(2, 5), "partially_paid"
            days = (TODAY - due).days
            bucket = None
            if status != "paid" and days > 0:
                bucket = "1-30" if days <= 30 else "31-60" if days <= 60 else "61-90" if days <= 90 else "90+"
            rows.append(
                [
                    f"br-{made:09d}",
                    f"bo-{order:09d}",
                    f"SO-BENCH-{order:09d}",
                    seq,
                    f"bc-{c:06d}",
                    f"客户 {c}",
                    customer_owner,
                    owner,
                    team_id(t),
                    due.isoformat(),
                    currency,
                    amount,
                    paid,
                    0,
                    status,
                    bucket,
                    1,
                    1,
                    stamp,
                    stamp,
                ]
            )
            made += 1
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
    schema.add_users(
        conn,
        sales_org(TEAMS, SELLERS_PER_TEAM),
    )
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO customer_refs"
            " (id, name, name_folded, owner_id, team_id, deleted, version, updated_at)"
            " SELECT 'bc-' || lpad(i::text, 6, '0'), '客户 ' || i, '客户 ' || i, 'bench-sales-00-00',"
            " 'bench-team-00', false, 1, now() FROM generate_series(0, %s) AS i",
            (CUSTOMERS - 1,),
        )
    for i, rows in enumerate(generate(n, seed)):
        schema.copy(conn, "receivables", COLUMNS, rows)
        if i % 4 == 3:
            log(f"  {min((i + 1) * CHUNK, n):,} instalments")
    copied = time.perf_counter()
    schema.restore_indexes(conn, indexes)
    with conn.cursor() as cur:
        indexed = time.perf_counter()
        cur.execute("VACUUM (ANALYZE) receivables")
        cur.execute("VACUUM (ANALYZE) customer_refs")
    conn.close()
    done = time.perf_counter()
    return {
        "instalments": n,
        "generate_copy_s": copied - started,
        "index_s": indexed - copied,
        "vacuum_s": done - indexed,
    }


def unsettled(settings: BenchSettings) -> int:
    conn = bench_schema(settings).connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM receivables WHERE status IN ('open', 'partially_paid')")
            row = cur.fetchone()
            return int(row[0]) if row else 0
    finally:
        conn.close()


# ---------------------------------------------------------------------------------- timing
@dataclass(frozen=True)
class Scenario:
    name: str
    caller: Caller
    handler: Callable[..., dict[str, Any]]
    kwargs: dict[str, Any]


def overdue_tick(unit: Any, today: date) -> dict[str, Any]:
    """One overdue-timer tick on a book whose buckets are up to date: the steady-state cost."""
    handled = scan_overdue(unit, today)
    if handled:
        raise AssertionError(f"the generated buckets are stale: the tick announced {handled}")
    return {"items": []}


def scenarios() -> list[Scenario]:
    finance = Caller("bench-finance", ("finance",), None)
    manager = Caller(manager_id(0), ("manager",), team_id(0))
    seller = Caller(seller_id(0, 0), ("sales",), team_id(0))
    day = TODAY.isoformat()
    return [
        Scenario("finance, all, by owner", finance, aging_report, {"group_by": "owner", "as_of": day}),
        Scenario("finance, all, by team", finance, aging_report, {"group_by": "team", "as_of": day}),
        Scenario("finance, all, by customer", finance, aging_report, {"group_by": "customer", "as_of": day}),
        Scenario("finance, one team", finance, aging_report, {"team": team_id(3), "as_of": day}),
        Scenario("manager, own team", manager, aging_report, {"group_by": "owner", "as_of": day}),
        Scenario("sales, own + customers'", seller, aging_report, {"group_by": "customer", "as_of": day}),
        Scenario("finance, forecast 12 months", finance, collections_forecast, {"months": 12, "as_of": day}),
        Scenario("overdue timer tick, nothing new", SYSTEM, overdue_tick, {"today": TODAY}),
    ]


def measure(settings: BenchSettings, runs: int) -> list[dict[str, Any]]:
    engine = make_engine(bench_schema(settings).url, pool_size=2)
    app = FinanceApp(make_sessionmaker(engine), NoCustomers("the aging report"))
    rows = []
    for scenario in scenarios():

        def call(s: Scenario = scenario) -> dict[str, Any]:
            result: dict[str, Any] = app.run(s.caller, s.handler, **s.kwargs)
            return result

        timings, result = time_runs(call, runs)
        count = sum(r["count"] for r in result["totals"]) if "totals" in result else len(result["items"])
        rows.append(
            {
                "scenario": scenario.name,
                "rows": len(result.get("rows", result.get("items", []))),
                "instalments": count if "totals" in result else None,
                "p50_ms": percentile(timings, 50),
                "p95_ms": percentile(timings, 95),
                "max_ms": timings[-1],
            }
        )
        log(f"  {scenario.name}: p50 {rows[-1]['p50_ms']:.0f} ms, p95 {rows[-1]['p95_ms']:.0f} ms")
    engine.dispose()
    return rows


def table(
    load_info: dict[str, float] | None, n: int, open_n: int, runs: int, rows: list[dict[str, Any]]
) -> str:
    busy = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"### `aging_report` RPC handler over {n:,} instalments"
        f" ({open_n:,} unsettled; {runs} runs each, in process)",
        "",
        f"{os.cpu_count()} CPUs, load average at the end {busy}.",
        "",
    ]
    if load_info:
        lines.append(
            f"Loaded {int(load_info['instalments']):,} instalments: generate + COPY"
            f" {load_info['generate_copy_s']:.0f} s, indexes {load_info['index_s']:.0f} s,"
            f" VACUUM ANALYZE {load_info['vacuum_s']:.0f} s."
        )
        lines.append("")
    lines += [
        "| scenario | result rows | unsettled instalments in scope | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        scope = "—" if r["instalments"] is None else f"{r['instalments']:,}"
        lines.append(
            f"| {r['scenario']} | {r['rows']:,} | {scope} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f}"
            f" | {r['max_ms']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instalments", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="100,000 instalments, 5 runs")
    parser.add_argument(
        "--skip-load", action="store_true", help="reuse the instalments a previous run loaded"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.instalments, args.runs = 100_000, 5
    settings = BenchSettings()
    settings.require_loopback()
    load_info = None
    n = args.instalments
    if args.skip_load and bench_schema(settings).count("receivables"):
        n = bench_schema(settings).count("receivables")
        log(f"reusing {n:,} instalments in schema {SCHEMA}")
    else:
        log(f"loading {n:,} instalments into schema {SCHEMA}")
        load_info = load(settings, n, args.seed)
        log(f"loaded in {load_info['generate_copy_s'] + load_info['index_s'] + load_info['vacuum_s']:.0f} s")
    rows = measure(settings, args.runs)
    print(table(load_info, n, unsettled(settings), args.runs, rows))


if __name__ == "__main__":
    main()
