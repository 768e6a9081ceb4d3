"""The SLA timer over many open tickets: what one full sweep (``check_sla`` batch after batch)
costs, the first time (alerts to send) and in the steady state (nothing new).

    python -m bench.desk_sla_sweep [--tickets 100000] [--seed 7]

The service-desk schema is migrated into its own PostgreSQL schema (``bench_desk``) of the bench
database (``PANORAMA_BENCH_DATABASE_URL``). A seeded generator COPYs N open tickets created over
the last ten business days (P1–P4, some unassigned, one in ten paused, one in three answered)
with their SLA targets computed by the business calendar exactly as the ticket use cases do.
Then the timer's loop runs in process (``ServiceDeskApp``: unit of work, ``FOR UPDATE SKIP
LOCKED`` batches, clocks, events to the outbox, timeline, notifications) at one moment, twice.
Progress on stderr, the Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from kernel.db import make_engine, make_sessionmaker
from kernel.identity import SYSTEM
from service_desk.app import ServiceDeskApp
from service_desk.domain.sla import DEFAULT_TARGETS, add_business_time
from service_desk.handlers import sla_watch
from service_desk.handlers.ticket_state import business_calendar

from bench.inprocess import BenchSchema, NoCustomers, logger
from bench.settings import BenchSettings

SCHEMA = "bench_desk"
NOW = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)  # a Friday, 15:00 in Shanghai
CHUNK = 20_000
COLUMNS = (
    "id, number, customer_id, customer_name, customer_owner_id, customer_team_id, subject, description,"
    " channel, category, priority, status, assignee_id, team_id, created_by, first_response_due,"
    " resolution_due, first_responded_at, paused_at, sla_alerts, reopened_count, version, created_at,"
    " updated_at"
)


log = logger("desk_sla_sweep")


def rows(n: int, seed: int) -> list[list[Any]]:
    rng = random.Random(seed)
    calendar = business_calendar()
    out = []
    for i in range(n):
        created = NOW - timedelta(seconds=rng.randrange(14 * 86_400))
        priority = rng.choice(("P1", "P2", "P3", "P3", "P4", "P4"))
        first, resolution = DEFAULT_TARGETS[priority]
        answered = rng.random() < 0.33
        paused = rng.random() < 0.10
        out.append(
            [
                f"bt-{i:09d}",
                f"T-2026-{i + 1:06d}",
                f"bc-{rng.randrange(20_000):06d}",
                f"客户 {i}",
                "bench-sales",
                "bench-team",
                f"工单 {i}",
                "-",
                "phone",
                "fault",
                priority,
                "waiting_on_customer" if paused else ("in_progress" if answered else "new"),
                None if rng.random() < 0.2 else f"bench-agent-{rng.randrange(30):02d}",
                "bench-support",
                "bench-agent-00",
                add_business_time(calendar, created, first).isoformat(),
                add_business_time(calendar, created, resolution).isoformat(),
                (created + timedelta(minutes=10)).isoformat() if answered else None,
                (created + timedelta(minutes=20)).isoformat() if paused else None,
                "[]",
                0,
                1,
                created.isoformat(),
                created.isoformat(),
            ]
        )
    return out


def bench_schema(settings: BenchSettings) -> BenchSchema:
    return BenchSchema(settings, SCHEMA, "service_desk")


def load(settings: BenchSettings, n: int, seed: int) -> None:
    schema = bench_schema(settings)
    schema.recreate()
    conn = schema.connect()
    schema.add_users(conn, [("bench-lead", "bench-support", "{support,manager}")])
    generated = rows(n, seed)
    for start in range(0, n, CHUNK):
        schema.copy(conn, "tickets", COLUMNS, generated[start : start + CHUNK])
    with conn.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) tickets")
    conn.close()


def sweep(app: ServiceDeskApp) -> dict[str, Any]:
    """The timer's loop (entrypoints.sla), timed."""
    started, after, checked, alerts, batches = time.perf_counter(), None, 0, 0, 0
    while True:
        result = app.run(SYSTEM, sla_watch.check_sla, NOW, sla_watch.BATCH, after)
        checked, alerts, batches = checked + result.checked, alerts + len(result.alerts), batches + 1
        if result.checked < sla_watch.BATCH:
            break
        after = result.last_id
    seconds = time.perf_counter() - started
    return {"checked": checked, "alerts": alerts, "batches": batches, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    settings = BenchSettings()
    log(f"loading {args.tickets:,} open tickets into schema {SCHEMA}")
    load(settings, args.tickets, args.seed)
    engine = make_engine(bench_schema(settings).url, pool_size=2)
    app = ServiceDeskApp(make_sessionmaker(engine), NoCustomers("the SLA timer"))
    first = sweep(app)
    log(f"  first sweep: {first}")
    steady = sweep(app)
    log(f"  steady sweep: {steady}")
    engine.dispose()
    busy = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"### SLA timer sweep over {args.tickets:,} open tickets (in process, batches of {sla_watch.BATCH})\n"
    )
    print(f"{os.cpu_count()} CPUs, load average at the end {busy}.\n")
    print("| Sweep | Tickets looked at | Alerts sent | Batches | Seconds | Tickets/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in (("first (alerts to send)", first), ("steady (nothing new)", steady)):
        rate = r["checked"] / r["seconds"] if r["seconds"] else 0
        cells = (
            name,
            f"{r['checked']:,}",
            f"{r['alerts']:,}",
            r["batches"],
            f"{r['seconds']:.1f}",
            f"{rate:,.0f}",
        )
        print("| " + " | ".join(str(c) for c in cells) + " |")


if __name__ == "__main__":
    main()
