"""Funnel analytics over a million opportunities: what one ``funnel`` RPC costs.

    python -m bench.sales_funnel [--opportunities 1000000] [--runs 20] [--skip-load]

The sales schema is migrated into its own PostgreSQL schema (``bench_sales``) of the bench
database (``PANORAMA_BENCH_DATABASE_URL``), so nothing of the tests or ``make run`` is touched.
A seeded generator writes opportunities of 20 teams × 10 sellers over two years, each with the
stage history the opportunity use cases would have written (creation, forward moves with the odd
skip, a few steps back, won / lost with a reason), about three history rows per opportunity, and
COPYs them in (indexes and the foreign key are set aside during the load and rebuilt after it,
then VACUUM ANALYZE, as autovacuum would have by then).

Then the ``funnel`` handler runs in process exactly as the RPC entrypoint runs it (``SalesApp``:
unit of work, policy filter, SQL, arithmetic) for an admin (everything, and one quarter), a team
manager (their team) and a seller (own + shared, and ``owner=me``): p50 / p95 / max over
``--runs`` runs after two warm-up runs. Progress on stderr, the Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from kernel.db import make_engine, make_sessionmaker
from kernel.identity import Caller
from sales.app import SalesApp
from sales.handlers.analytics import funnel

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

SCHEMA = "bench_sales"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
TEAMS, SELLERS_PER_TEAM = 20, 10
STEPS = ("qualification", "demo", "proposal", "trial", "negotiation", "won")
REASONS = ("price", "competitor", "no_budget", "no_decision", "timing", "product_fit", "other")
CHUNK = 50_000
LOADED_TABLES = ("opportunities", "opportunity_stage_changes")
OPP_COLUMNS = (
    "id, customer_id, customer_owner_id, title, owner_id, team_id, amount_minor, currency,"
    " expected_close_date, stage, stage_changed_at, lost_reason, closed_at, created_by, created_at,"
    " updated_at, version"
)
MOVE_COLUMNS = "id, opportunity_id, from_stage, to_stage, at, actor_id, amount_minor"


log = logger("sales_funnel")


# ---------------------------------------------------------------------------------- generation
Move = tuple[str | None, str, datetime]  # from_stage, to_stage, at


def history(rng: random.Random, created: datetime) -> tuple[list[Move], str | None]:
    """The moves of one opportunity (first: NULL → qualification at creation), and its lost reason."""
    moves: list[Move] = [(None, "qualification", created)]
    position, at = 0, created
    while True:
        at = at + timedelta(days=rng.randint(1, 25), seconds=rng.randint(0, 86_399))
        if at >= NOW:
            return moves, None
        r = rng.random()
        current = STEPS[position]
        if r < 0.20:
            return moves, None  # still open where it is
        if r < 0.32:
            moves.append((current, "lost", at))
            return moves, rng.choice(REASONS)
        if r < 0.35 and position > 0:
            position -= 1  # a step back (the customer wants another demo)
        else:
            skip = 2 if rng.random() < 0.08 and position < 3 else 1
            position = min(position + skip, 5)
        moves.append((current, STEPS[position], at))
        if position == 5:
            return moves, None


def generate(n: int, seed: int) -> Iterator[tuple[list[list[Any]], list[list[Any]]]]:
    """Chunks of (opportunity rows, stage-change rows) for COPY."""
    rng = random.Random(seed)
    span = 730 * 86_400
    opps: list[list[Any]] = []
    moves_out: list[list[Any]] = []
    for i in range(n):
        t, s = rng.randrange(TEAMS), rng.randrange(SELLERS_PER_TEAM)
        owner = seller_id(t, s)
        # about one in twenty sits on a customer another seller of the team owns (shared)
        customer_owner = seller_id(t, rng.randrange(SELLERS_PER_TEAM)) if rng.random() < 0.05 else owner
        created = NOW - timedelta(seconds=rng.randrange(span))
        moves, reason = history(rng, created)
        stage, last = moves[-1][1], moves[-1][2]
        amount = rng.randrange(10_000, 5_000_000) * 100
        closed = stage in ("won", "lost")
        expected: date | None = None
        if not closed and (stage != "qualification" or rng.random() < 0.7):
            expected = (NOW + timedelta(days=rng.randint(-30, 365))).date()
        opp_id = f"bo-{i:09d}"
        opps.append(
            [
                opp_id,
                f"bc-{rng.randrange(200_000):06d}",
                customer_owner,
                f"商机 {i}",
                owner,
                team_id(t),
                amount,
                "USD" if rng.random() < 0.05 else "CNY",
                expected.isoformat() if expected else None,
                stage,
                last.isoformat(),
                reason,
                last.isoformat() if closed else None,
                owner,
                created.isoformat(),
                last.isoformat(),
                len(moves),
            ]
        )
        for k, (before, after, at) in enumerate(moves):
            moves_out.append([f"{opp_id}-{k}", opp_id, before, after, at.isoformat(), owner, amount])
        if len(opps) >= CHUNK:
            yield opps, moves_out
            opps, moves_out = [], []
    if opps:
        yield opps, moves_out


# ---------------------------------------------------------------------------------- loading
def bench_schema(settings: BenchSettings) -> BenchSchema:
    return BenchSchema(settings, SCHEMA, "sales")


def load(settings: BenchSettings, n: int, seed: int) -> dict[str, float]:
    schema = bench_schema(settings)
    schema.recreate()
    conn = schema.connect()
    started = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'opportunity_stage_changes'::regclass AND contype = 'f'"
        )
        foreign_keys = cur.fetchall()
        for name, _ in foreign_keys:
            cur.execute(f"ALTER TABLE opportunity_stage_changes DROP CONSTRAINT {name}")
    indexes = schema.drop_secondary_indexes(conn, LOADED_TABLES)
    schema.add_users(
        conn,
        sales_org(TEAMS, SELLERS_PER_TEAM),
    )
    total_moves = 0
    for i, (opps, moves) in enumerate(generate(n, seed)):
        schema.copy(conn, "opportunities", OPP_COLUMNS, opps)
        schema.copy(conn, "opportunity_stage_changes", MOVE_COLUMNS, moves)
        total_moves += len(moves)
        if i % 4 == 3:
            log(f"  {min((i + 1) * CHUNK, n):,} opportunities, {total_moves:,} stage changes")
    copied = time.perf_counter()
    schema.restore_indexes(conn, indexes)
    with conn.cursor() as cur:
        for name, definition in foreign_keys:
            cur.execute(f"ALTER TABLE opportunity_stage_changes ADD CONSTRAINT {name} {definition}")
        indexed = time.perf_counter()
        cur.execute("VACUUM (ANALYZE) opportunities")
        cur.execute("VACUUM (ANALYZE) opportunity_stage_changes")
    conn.close()
    done = time.perf_counter()
    return {
        "opportunities": n,
        "stage_changes": total_moves,
        "generate_copy_s": copied - started,
        "index_s": indexed - copied,
        "vacuum_s": done - indexed,
    }


# ---------------------------------------------------------------------------------- timing
@dataclass(frozen=True)
class Scenario:
    name: str
    caller: Caller
    kwargs: dict[str, Any]


def scenarios() -> list[Scenario]:
    admin = Caller("bench-admin", ("admin",), None)
    manager = Caller(manager_id(0), ("manager",), team_id(0))
    seller = Caller(seller_id(0, 0), ("sales",), team_id(0))
    quarter = {"date_from": "2026-09-01", "date_to": "2026-11-30"}
    return [
        Scenario("admin, everything", admin, {}),
        Scenario("admin, one quarter", admin, quarter),
        Scenario("manager, own team", manager, {}),
        Scenario("manager, own team, one quarter", manager, quarter),
        Scenario("sales, own + shared", seller, {}),
        Scenario("sales, owner=me", seller, {"owner_id": seller.user_id}),
    ]


def measure(settings: BenchSettings, runs: int) -> list[dict[str, Any]]:
    engine = make_engine(bench_schema(settings).url, pool_size=2)
    app = SalesApp(make_sessionmaker(engine), NoCustomers("the funnel"))
    rows = []
    for scenario in scenarios():

        def call(s: Scenario = scenario) -> dict[str, Any]:
            result: dict[str, Any] = app.run(s.caller, funnel, **s.kwargs)
            return result

        timings, result = time_runs(call, runs)
        rows.append(
            {
                "scenario": scenario.name,
                "opportunities": sum(s["count"] for s in result["stages"]),
                "closed": result["won"] + result["lost"],
                "p50_ms": percentile(timings, 50),
                "p95_ms": percentile(timings, 95),
                "max_ms": timings[-1],
            }
        )
        log(f"  {scenario.name}: p50 {rows[-1]['p50_ms']:.0f} ms, p95 {rows[-1]['p95_ms']:.0f} ms")
    engine.dispose()
    return rows


def table(load_info: dict[str, float] | None, n: int, runs: int, rows: list[dict[str, Any]]) -> str:
    # The machine may be shared: say how busy it was, or the milliseconds mean little.
    busy = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"### `funnel` RPC handler over {n:,} opportunities ({runs} runs each, in process)",
        "",
        f"{os.cpu_count()} CPUs, load average at the end {busy}.",
        "",
    ]
    if load_info:
        lines.append(
            f"Loaded {int(load_info['opportunities']):,} opportunities and"
            f" {int(load_info['stage_changes']):,} stage changes: generate + COPY"
            f" {load_info['generate_copy_s']:.0f} s, indexes {load_info['index_s']:.0f} s,"
            f" VACUUM ANALYZE {load_info['vacuum_s']:.0f} s."
        )
        lines.append("")
    lines += [
        "| scenario | opportunities in scope (CNY) | closed | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['scenario']} | {r['opportunities']:,} | {r['closed']:,} | {r['p50_ms']:.0f}"
            f" | {r['p95_ms']:.0f} | {r['max_ms']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--skip-load", action="store_true", help="reuse the opportunities a previous run loaded"
    )
    args = parser.parse_args(argv)
    settings = BenchSettings()
    settings.require_loopback()
    load_info = None
    n = args.opportunities
    loaded = bench_schema(settings).count("opportunities")
    if args.skip_load and loaded:
        n = loaded
        log(f"reusing {n:,} opportunities in schema {SCHEMA}")
    else:
        log(f"loading {n:,} opportunities into schema {SCHEMA}")
        load_info = load(settings, n, args.seed)
        log(
            f"loaded in {load_info['generate_copy_s'] + load_info['index_s'] + load_info['vacuum_s']:.0f} s"
            f" ({int(load_info['stage_changes']):,} stage changes)"
        )
    rows = measure(settings, args.runs)
    print(table(load_info, n, args.runs, rows))


if __name__ == "__main__":
    main()
