"""The ticket queue at 100k open tickets: what one ``ticket_queue`` RPC costs.

    python -m bench.service_desk_queue [--tickets 100000] [--runs 30] [--skip-load] [--quick]

The service-desk schema is migrated into its own PostgreSQL schema (``bench_service_desk``) of the
bench database (``PANORAMA_BENCH_DATABASE_URL``), so nothing of the tests or ``make run`` is
touched. A seeded generator writes N open tickets (new / in progress / waiting on the customer,
about one in ten paused, half answered) plus half as many resolved and closed ones, for 20 support
agents in 2 teams and the customers of 200 sellers, with SLA due times computed by the service's
own business calendar; they are COPYed in, indexes rebuilt, VACUUM ANALYZE.

Then the ``ticket_queue`` handler runs in process exactly as the RPC entrypoint runs it
(``ServiceDeskApp``: unit of work, policy filter, the urgency-ordered keyset query, SLA states) for
support (the whole queue, its third page, P1 only, the team), a support member (``assignee=me``)
and a seller (their customers' tickets): p50 / p95 / max over ``--runs`` runs after two warm-ups,
and whether PostgreSQL read the queue index. ``list_tickets`` (newest first) is timed beside it.
Progress on stderr, the Markdown table on stdout. ``--quick``: 10k tickets, 10 runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kernel.db import make_engine, make_sessionmaker
from kernel.identity import Caller
from service_desk.app import ServiceDeskApp
from service_desk.domain.sla import DEFAULT_TARGETS, BusinessCalendar, add_business_time
from service_desk.handlers import ticket_reads

from bench.inprocess import BenchSchema, NoCustomers, logger, time_runs
from bench.loadgen import percentile
from bench.settings import BenchSettings

SCHEMA = "bench_service_desk"
NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # a Wednesday, 14:00 in Shanghai
TEAMS, AGENTS_PER_TEAM, SELLERS, CUSTOMERS = 2, 10, 200, 20_000
CHUNK = 20_000
CALENDAR = BusinessCalendar()
OPEN_WHERE = "WHERE status IN ('new', 'in_progress', 'waiting_on_customer')"
COLUMNS = (
    "id, number, customer_id, customer_name, customer_owner_id, customer_team_id, subject, description,"
    " channel, category, priority, status, assignee_id, team_id, created_by, first_response_due,"
    " resolution_due, first_responded_at, resolved_at, closed_at, paused_at, sla_alerts, reopened_count,"
    " version, created_at, updated_at"
)


log = logger("service_desk_queue")


def team_id(t: int) -> str:
    return f"bench-support-team-{t}"


def agent_id(t: int, a: int) -> str:
    return f"bench-agent-{t}-{a:02d}"


def seller_id(s: int) -> str:
    return f"bench-seller-{s:03d}"


def sales_team(s: int) -> str:
    return f"bench-sales-team-{s // 10:02d}"


# ---------------------------------------------------------------------------------- generation
def generate(n_open: int, seed: int) -> Iterator[list[list[Any]]]:
    """Chunks of ticket rows: ``n_open`` open ones, then half as many resolved or closed."""
    rng = random.Random(seed)
    total = n_open + n_open // 2
    rows: list[list[Any]] = []
    for i in range(total):
        is_open = i < n_open
        priority = rng.choices(("P1", "P2", "P3", "P4"), weights=(5, 20, 50, 25))[0]
        created = NOW - timedelta(seconds=rng.randrange(10 * 86_400 if is_open else 90 * 86_400))
        first, resolution = DEFAULT_TARGETS[priority]
        first_due = add_business_time(CALENDAR, created, first)
        resolution_due = add_business_time(CALENDAR, created, resolution)
        answered = (not is_open) or rng.random() < 0.5
        responded = min(created + timedelta(minutes=rng.randint(5, 600)), NOW) if answered else None
        if is_open:
            status = rng.choices(("new", "in_progress", "waiting_on_customer"), weights=(30, 60, 10))[0]
            resolved = closed = None
        else:
            status = "closed" if rng.random() < 0.7 else "resolved"
            resolved = min(created + timedelta(hours=rng.randint(1, 60)), NOW)
            closed = resolved + timedelta(days=7) if status == "closed" else None
        paused = NOW - timedelta(minutes=rng.randint(1, 3000)) if status == "waiting_on_customer" else None
        t = rng.randrange(TEAMS)
        assignee = (
            agent_id(t, rng.randrange(AGENTS_PER_TEAM)) if status != "new" or rng.random() < 0.3 else None
        )
        c = rng.randrange(CUSTOMERS)
        s = c % SELLERS
        rows.append(
            [
                f"bt-{i:09d}",
                f"T-2026-{i + 1:06d}",
                f"bc-{c:06d}",
                f"客户 {c}",
                seller_id(s),
                sales_team(s),
                f"工单 {i}",
                "客户反馈的问题",
                rng.choice(("phone", "email", "web", "wechat")),
                rng.choices(("consultation", "fault", "complaint", "request"), weights=(30, 40, 5, 25))[0],
                priority,
                status,
                assignee,
                team_id(t),
                agent_id(t, 0),
                first_due.isoformat(),
                resolution_due.isoformat(),
                responded.isoformat() if responded else None,
                resolved.isoformat() if resolved else None,
                closed.isoformat() if closed else None,
                paused.isoformat() if paused else None,
                "[]",
                0,
                3,
                created.isoformat(),
                created.isoformat(),
            ]
        )
        if len(rows) >= CHUNK:
            yield rows
            rows = []
    if rows:
        yield rows


# ---------------------------------------------------------------------------------- loading
def bench_schema(settings: BenchSettings) -> BenchSchema:
    return BenchSchema(settings, SCHEMA, "service_desk")


def load(settings: BenchSettings, n_open: int, seed: int) -> dict[str, float]:
    schema = bench_schema(settings)
    schema.recreate()
    conn = schema.connect()
    started = time.perf_counter()
    indexes = schema.drop_secondary_indexes(conn, ("tickets",))
    users = [(agent_id(t, a), team_id(t), "{support}") for t in range(TEAMS) for a in range(AGENTS_PER_TEAM)]
    users += [(seller_id(s), sales_team(s), "{sales}") for s in range(SELLERS)]
    schema.add_users(conn, users)
    loaded = 0
    for rows in generate(n_open, seed):
        schema.copy(conn, "tickets", COLUMNS, rows)
        loaded += len(rows)
        log(f"  {loaded:,} tickets")
    copied = time.perf_counter()
    schema.restore_indexes(conn, indexes)
    with conn.cursor() as cur:
        indexed = time.perf_counter()
        cur.execute("VACUUM (ANALYZE) tickets")
    conn.close()
    done = time.perf_counter()
    return {
        "tickets": loaded,
        "generate_copy_s": copied - started,
        "index_s": indexed - copied,
        "vacuum_s": done - indexed,
    }


# ---------------------------------------------------------------------------------- timing
@dataclass(frozen=True)
class Scenario:
    name: str
    caller: Caller
    handler: Callable[..., dict[str, Any]]
    filters: dict[str, Any]
    pages: int = 1  # follow the cursor to this page


def scenarios() -> list[Scenario]:
    lead = Caller("bench-lead", ("support", "manager"), team_id(0))
    member = Caller(agent_id(0, 3), ("support",), team_id(0))
    seller = Caller(seller_id(7), ("sales",), sales_team(7))
    queue, listed = ticket_reads.ticket_queue, ticket_reads.list_tickets
    return [
        Scenario("queue · support, all open", lead, queue, {}),
        Scenario("queue · support, all open, page 3", lead, queue, {}, pages=3),
        Scenario("queue · support, P1 only", lead, queue, {"priority": "P1"}),
        Scenario("queue · support, own team", lead, queue, {"team_id": team_id(0)}),
        Scenario("queue · support member, mine", member, queue, {"assignee": member.user_id}),
        Scenario("queue · seller, own customers", seller, queue, {}),
        Scenario("list · support, newest first", lead, listed, {}),
        Scenario("list · support, status=new", lead, listed, {"status": "new"}),
    ]


def cursor_of_page(app: ServiceDeskApp, s: Scenario) -> str | None:
    """The cursor that opens page ``s.pages`` (fetched once, outside the timing)."""
    cursor = None
    for _ in range(s.pages - 1):
        cursor = app.run(s.caller, s.handler, s.filters, cursor, 50).get("next_cursor")
    return cursor


def explain_uses_queue_index(settings: BenchSettings, assignee: str | None) -> str:
    """Which index the plan of the queue's first page reads (the SQL of ``queue_order``)."""
    urgency = (
        "CASE WHEN first_responded_at IS NULL THEN least(first_response_due, resolution_due)"
        " ELSE resolution_due END"
    )
    where = "status IN ('new', 'in_progress', 'waiting_on_customer')"
    if assignee:
        where += f" AND assignee_id = '{assignee}'"
    conn = bench_schema(settings).connect()
    try:
        with conn.cursor() as cur:
            cur.execute(
                f"EXPLAIN (FORMAT JSON) SELECT id FROM tickets WHERE {where}"
                f" ORDER BY paused_at IS NOT NULL, {urgency}, id LIMIT 51"
            )
            plan = json.dumps(cur.fetchone()[0])  # type: ignore[index]
    finally:
        conn.close()
    for name in ("ix_tickets_queue_assignee", "ix_tickets_queue"):
        if f'"Index Name": "{name}"' in plan:
            return name
    return "none (sort)"


def measure(settings: BenchSettings, runs: int) -> list[dict[str, Any]]:
    engine = make_engine(bench_schema(settings).url, pool_size=2)
    app = ServiceDeskApp(make_sessionmaker(engine), NoCustomers("the ticket queue"))
    rows = []
    for scenario in scenarios():
        cursor = cursor_of_page(app, scenario)

        def call(s: Scenario = scenario, c: str | None = cursor) -> dict[str, Any]:
            page: dict[str, Any] = app.run(s.caller, s.handler, s.filters, c, 50)
            return page

        timings, result = time_runs(call, runs)
        rows.append(
            {
                "scenario": scenario.name,
                "items": len(result["items"]),
                "p50_ms": percentile(timings, 50),
                "p95_ms": percentile(timings, 95),
                "max_ms": timings[-1],
            }
        )
        log(f"  {scenario.name}: p50 {rows[-1]['p50_ms']:.1f} ms, p95 {rows[-1]['p95_ms']:.1f} ms")
    engine.dispose()
    return rows


def table(
    load_info: dict[str, float] | None,
    n_open: int,
    runs: int,
    rows: list[dict[str, Any]],
    plans: dict[str, str],
) -> str:
    busy = ", ".join(f"{x:.1f}" for x in os.getloadavg())  # the machine may be shared
    lines = [
        f"### `ticket_queue` RPC handler at {n_open:,} open tickets"
        f" ({runs} runs each, in process, 50 a page)",
        "",
        f"{os.cpu_count()} CPUs, load average at the end {busy}.",
        f"Plan of the queue's first page: all → {plans['all']}; mine → {plans['mine']}.",
        "",
    ]
    if load_info:
        lines.append(
            f"Loaded {int(load_info['tickets']):,} tickets:"
            f" generate + COPY {load_info['generate_copy_s']:.0f} s,"
            f" indexes {load_info['index_s']:.0f} s, VACUUM ANALYZE {load_info['vacuum_s']:.0f} s."
        )
        lines.append("")
    lines += ["| scenario | items | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['scenario']} | {r['items']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['max_ms']:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=100_000, help="open tickets")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="10k open tickets, 10 runs")
    parser.add_argument("--skip-load", action="store_true", help="reuse the tickets a previous run loaded")
    args = parser.parse_args(argv)
    if args.quick:
        args.tickets, args.runs = 10_000, 10
    settings = BenchSettings()
    settings.require_loopback()
    load_info = None
    n_open = args.tickets
    loaded = bench_schema(settings).count("tickets", OPEN_WHERE)
    if args.skip_load and loaded:
        n_open = loaded
        log(f"reusing {n_open:,} open tickets in schema {SCHEMA}")
    else:
        log(f"loading {n_open:,} open tickets (and {n_open // 2:,} done) into schema {SCHEMA}")
        load_info = load(settings, n_open, args.seed)
    plans = {
        "all": explain_uses_queue_index(settings, None),
        "mine": explain_uses_queue_index(settings, agent_id(0, 3)),
    }
    rows = measure(settings, args.runs)
    print(table(load_info, n_open, args.runs, rows, plans))


if __name__ == "__main__":
    main()
