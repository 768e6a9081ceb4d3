"""Write → searchable freshness through the real path.

``CustomerHub.create_customer`` commits the customer and its outbox row in one transaction; the
outbox relay (``python -m kernel.run customers relay``, woken by NOTIFY) publishes it to ``customers.events``;
the indexer (``python -m search.indexer``) bulk-writes it; Elasticsearch makes it searchable at
its next refresh. The clock starts before the write call and stops when the ``search`` query layer
first returns the new record, polling every 10 ms. Samples are sequential; each starts after a
random pause of up to one refresh interval, so writes land at random phases of the refresh cycle
(back to back, every write would follow a refresh closely and wait almost a full interval).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import psycopg2
from customers.app import CustomerHub
from kernel.db import make_engine, make_sessionmaker
from kernel.identity import SYSTEM, Caller
from kernel.migrate import upgrade
from psycopg2 import sql
from search.query import SearchEngine

from bench.datagen import User
from bench.queries import ADMIN

POLL_SECONDS = 0.010
TIMEOUT_SECONDS = 10.0
WARMUP_SAMPLES = 3


@dataclass
class FreshnessResult:
    seconds: list[float] = field(default_factory=list)  # write call start → first found
    write_ms: list[float] = field(default_factory=list)  # the create_customer call alone
    polls: int = 0
    timeouts: int = 0


def ensure_database(admin_dsn: str, name: str) -> bool:
    """CREATE DATABASE ``name`` unless it exists (the panorama role has CREATEDB); True if created."""
    conn = psycopg2.connect(admin_dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone():
                return False
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        conn.close()


def prepare_hub(admin_dsn: str, database: str, url: str, users: list[User]) -> CustomerHub:
    """Database created if missing, migrated to head, directory users seeded; returns the hub."""
    ensure_database(admin_dsn, database)
    upgrade("customers", url)
    hub = CustomerHub(make_sessionmaker(make_engine(url, pool_size=2)))
    for user in users:
        hub.upsert_user(SYSTEM, user.payload())
    return hub


def interval_seconds(text: str) -> float:
    """An Elasticsearch time value ("500ms", "1s", "-1") in seconds; 0 for "-1"/unparseable."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m)", text.strip())
    if not match:
        return 0.0
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "ms" else value * (60 if unit == "m" else 1)


def writer_caller(user: User) -> Caller:
    return Caller(user_id=user.id, roles=user.roles, team_id=user.team_id)


def measure(
    hub: CustomerHub,
    engine: SearchEngine,
    writer: User,
    samples: int,
    progress: Callable[[str], None],
    *,
    phase_jitter: float,
    seed: int = 0,
) -> FreshnessResult:
    caller = writer_caller(writer)
    rng = random.Random(seed)
    tag = f"{datetime.now():%m%d%H%M%S}"
    result = FreshnessResult()
    next_report = time.monotonic() + 5.0
    for n in range(-WARMUP_SAMPLES, samples):
        time.sleep(rng.uniform(0.0, phase_jitter))
        name = f"鲜度{tag}{n + WARMUP_SAMPLES:04d}号科技有限公司"
        started = time.perf_counter()
        created = hub.create_customer(caller, {"name": name, "status": "active", "tags": ["bench"]})
        written = time.perf_counter()
        polls, found = 0, False
        while True:
            page = engine.search(ADMIN, name, kinds=["customer"], limit=5)
            polls += 1
            if any(item["id"] == created["id"] for item in page["items"]):
                found = True
                break
            if time.perf_counter() - started > TIMEOUT_SECONDS:
                break
            time.sleep(POLL_SECONDS)
        elapsed = time.perf_counter() - started
        if n < 0:
            continue
        result.polls += polls
        result.write_ms.append((written - started) * 1000.0)
        if found:
            result.seconds.append(elapsed)
        else:
            result.timeouts += 1
        if time.monotonic() >= next_report:
            progress(f"freshness sample {n + 1}/{samples}: {elapsed * 1000:.0f} ms")
            next_report = time.monotonic() + 5.0
    return result
