"""The same searches the way a team without Elasticsearch would run them, on PostgreSQL.

The generated data is COPYed into plain tables; one prepared statement searches customer names
and contact names, phones and e-mails with ``ILIKE '%q%'`` and returns the 20 most recently
updated hits (a result list has an order; that means finding every match first, as the
Elasticsearch query does). Two ways to run it over the same tables:

* ``seqscan`` — index scans are switched off for the session, so every search scans the tables;
* ``trgm`` — ``pg_trgm`` GIN indexes (``gin_trgm_ops``) on the four searched columns, with
  ``plan_cache_mode = force_custom_plan`` so the prepared statement is planned for each pattern
  (a generic plan cannot know whether the pattern has trigrams to look up).
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg2
from kernel.db import driver_arguments
from psycopg2.extensions import connection as PgConnection

from bench.datagen import Dataset

MODES = ("seqscan", "trgm")
SCHEMA = """
DROP TABLE IF EXISTS bench_follow_ups, bench_contacts, bench_customers, bench_meta;
CREATE TABLE bench_customers (
    id text PRIMARY KEY, name text NOT NULL, short_name text, tax_id text, industry text,
    region text, address text, status text, owner_id text NOT NULL, team_id text,
    created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL
);
CREATE TABLE bench_contacts (
    id text PRIMARY KEY, customer_id text NOT NULL, customer_name text NOT NULL, name text NOT NULL,
    title text, phones text, emails text, owner_id text NOT NULL, team_id text,
    updated_at timestamptz NOT NULL
);
CREATE TABLE bench_follow_ups (
    id text PRIMARY KEY, customer_id text NOT NULL, contact_id text, channel text NOT NULL,
    occurred_at timestamptz NOT NULL, author_id text NOT NULL, content text NOT NULL,
    owner_id text NOT NULL, team_id text
);
CREATE TABLE bench_meta (customers integer NOT NULL, seed bigint NOT NULL, rows integer NOT NULL);
"""
TRGM_INDEXES = (
    ("bench_customers", "name"),
    ("bench_contacts", "name"),
    ("bench_contacts", "phones"),
    ("bench_contacts", "emails"),
)
MATCHES = """
    SELECT 'customer' AS kind, id, name, updated_at FROM bench_customers WHERE name ILIKE $1
    UNION ALL
    SELECT 'contact', id, name, updated_at FROM bench_contacts
     WHERE name ILIKE $1 OR phones ILIKE $1 OR emails ILIKE $1
"""
PAGE = 20
PREPARE_SEARCH = (
    f"PREPARE bench_search(text) AS SELECT kind, id, name FROM ({MATCHES}) AS hits"
    f" ORDER BY updated_at DESC LIMIT {PAGE}"
)
PREPARE_COUNT = f"PREPARE bench_count(text) AS SELECT count(*) FROM ({MATCHES}) AS hits"
SESSION = {
    "seqscan": (
        "SET plan_cache_mode = force_custom_plan",
        "SET enable_indexscan = off",
        "SET enable_bitmapscan = off",
        "SET enable_indexonlyscan = off",
    ),
    "trgm": ("SET plan_cache_mode = force_custom_plan",),
}


def like_pattern(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def connect(dsn: str, mode: str) -> PgConnection:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    # The same connection rule as Panorama's own (kernel.db): no TLS on loopback, so neither side
    # pays for encryption the other does not.
    conn = psycopg2.connect(dsn, **driver_arguments(dsn))
    conn.autocommit = True
    with conn.cursor() as cur:
        for statement in (*SESSION[mode], PREPARE_SEARCH, PREPARE_COUNT):
            cur.execute(statement)
    return conn


# ------------------------------------------------------------------------------------ loading
@dataclass(frozen=True)
class LoadResult:
    rows: int
    copy_seconds: float
    index_seconds: float

    @property
    def copy_rate(self) -> float:
        return self.rows / self.copy_seconds


def _csv(rows: Iterable[Sequence[Any]]) -> io.StringIO:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    buffer.seek(0)
    return buffer


def _copy(conn: PgConnection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with conn.cursor() as cur:
        cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", _csv(rows))


def load(dsn: str, data: Dataset, progress: Callable[[str], None]) -> LoadResult:
    """(Re)create the tables, COPY the dataset in, then build the trigram indexes."""
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cur.execute(SCHEMA)
        started = time.perf_counter()
        with conn:
            _copy(
                conn,
                "bench_customers",
                ("id", "name", "short_name", "tax_id", "industry", "region", "address", "status",
                 "owner_id", "team_id", "created_at", "updated_at"),
                ((r["id"], r["name"], r["short_name"], r["tax_id"], r["industry"], r["region"],
                  r["address"], r["status"], r["owner_id"], r["team_id"], r["created_at"],
                  r["updated_at"]) for r in data.customers),
            )  # fmt: skip
            _copy(
                conn,
                "bench_contacts",
                ("id", "customer_id", "customer_name", "name", "title", "phones", "emails", "owner_id",
                 "team_id", "updated_at"),
                ((r["id"], r["customer_id"], r["customer_name"], r["name"], r["title"],
                  " ".join(r["phones"]) or None, " ".join(r["emails"]) or None, r["owner_id"],
                  r["team_id"], r["updated_at"]) for r in data.contacts),
            )  # fmt: skip
            _copy(
                conn,
                "bench_follow_ups",
                ("id", "customer_id", "contact_id", "channel", "occurred_at", "author_id", "content",
                 "owner_id", "team_id"),
                ((r["id"], r["customer_id"], r["contact_id"], r["channel"], r["occurred_at"],
                  r["author_id"], r["content"], r["owner_id"], r["team_id"]) for r in data.follow_ups),
            )  # fmt: skip
            with conn.cursor() as cur:
                cur.execute(
                    "INSERT INTO bench_meta VALUES (%s, %s, %s)",
                    (len(data.customers), data.seed, data.event_count),
                )
        copy_seconds = time.perf_counter() - started
        progress(f"COPY {data.event_count:,} rows in {copy_seconds:.1f}s; building pg_trgm GIN indexes")
        started = time.perf_counter()
        with conn, conn.cursor() as cur:
            cur.execute("SET maintenance_work_mem = '256MB'")
            for table, column in TRGM_INDEXES:
                cur.execute(
                    f"CREATE INDEX {table}_{column}_trgm ON {table} USING gin ({column} gin_trgm_ops)"
                )
        index_seconds = time.perf_counter() - started
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE bench_customers, bench_contacts, bench_follow_ups")
        return LoadResult(data.event_count, copy_seconds, index_seconds)
    finally:
        conn.close()


def loaded_matches(dsn: str, data: Dataset) -> bool:
    """Whether the tables hold exactly this dataset (for ``--skip-load``)."""
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT to_regclass('bench_meta') IS NOT NULL")
            row = cur.fetchone()
            if not row or not row[0]:
                return False
            cur.execute("SELECT customers, seed, rows FROM bench_meta")
            return cur.fetchone() == (len(data.customers), data.seed, data.event_count)
    finally:
        conn.close()


# ------------------------------------------------------------------------------------ queries
def client_factory(dsn: str, mode: str) -> Callable[[], tuple[Callable[[str], int], Callable[[], None]]]:
    """For ``loadgen.run_clients``: each client thread gets its own connection."""

    def factory() -> tuple[Callable[[str], int], Callable[[], None]]:
        conn = connect(dsn, mode)
        cur = conn.cursor()

        def search(q: str) -> int:
            cur.execute("EXECUTE bench_search(%s)", (like_pattern(q),))
            return len(cur.fetchall())

        def close() -> None:
            cur.close()
            conn.close()

        return search, close

    return factory


@dataclass(frozen=True)
class Plan:
    node_types: tuple[str, ...]
    indexes: tuple[str, ...]

    @property
    def uses_index(self) -> bool:
        return bool(self.indexes)

    def describe(self) -> str:
        scans = sorted({t for t in self.node_types if "Scan" in t and t != "Bitmap Heap Scan"})
        if self.indexes:
            return f"{' + '.join(scans)} on {len(set(self.indexes))} trigram index(es)"
        return "no index: " + " + ".join(scans)


def _walk(node: dict[str, Any], types: list[str], indexes: list[str]) -> None:
    types.append(node["Node Type"])
    if "Index Name" in node:
        indexes.append(node["Index Name"])
    for child in node.get("Plans", ()):
        _walk(child, types, indexes)


def explain(conn: PgConnection, q: str) -> Plan:
    with conn.cursor() as cur:
        cur.execute("EXPLAIN (FORMAT JSON) EXECUTE bench_search(%s)", (like_pattern(q),))
        row = cur.fetchone()
    assert row is not None
    document = row[0]
    types: list[str] = []
    indexes: list[str] = []
    _walk(document[0]["Plan"], types, indexes)
    return Plan(tuple(types), tuple(indexes))


def hit_count(conn: PgConnection, q: str) -> int:
    with conn.cursor() as cur:
        cur.execute("EXECUTE bench_count(%s)", (like_pattern(q),))
        row = cur.fetchone()
    return int(row[0]) if row else 0


def server_settings(conn: PgConnection) -> dict[str, str]:
    names = ("server_version", "shared_buffers", "work_mem", "max_parallel_workers_per_gather")
    out: dict[str, str] = {}
    with conn.cursor() as cur:
        for name in names:
            cur.execute(f"SHOW {name}")
            row = cur.fetchone()
            out[name] = str(row[0]) if row else ""
    return out
