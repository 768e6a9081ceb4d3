"""What the in-process benches share (sales_funnel, finance_*, service_desk_queue, desk_sla_sweep):
a service's schema in the bench database (migrated by its own revisions into a schema of its
own, so runs never touch a service's real database), COPY loading, the timing loop, and a
customers port that fails loudly when a handler under test calls it.

    schema = BenchSchema(settings, "bench_sales", "sales")
    schema.recreate()
    with schema.connect() as conn: schema.copy(conn, "opportunities", COLUMNS, rows)
    timings, result = time_runs(lambda: app.run(caller, handler), runs)
"""

from __future__ import annotations

import csv
import io
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg2
from kernel.identity import Caller
from kernel.migrate import upgrade
from psycopg2.extensions import connection as PgConnection
from sqlalchemy.engine import make_url

from bench.settings import BenchSettings


def logger(name: str) -> Callable[[str], None]:
    def log(message: str) -> None:
        print(f"[{name}] {message}", file=sys.stderr, flush=True)

    return log


@dataclass(frozen=True)
class BenchSchema:
    settings: BenchSettings
    schema: str  # e.g. "bench_sales"
    service: str  # whose migrations build it

    @property
    def url(self) -> str:
        """The bench database with ``search_path`` set to the schema (for SQLAlchemy / alembic)."""
        url = make_url(self.settings.bench_database_url)
        return url.update_query_dict({"options": f"-csearch_path={self.schema}"}).render_as_string(
            hide_password=False
        )

    def connect(self) -> PgConnection:
        conn = psycopg2.connect(self.settings.bench_dsn)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"SET search_path TO {self.schema}")
        return conn

    def recreate(self) -> None:
        """Drop the schema and migrate the service's tables into it afresh."""
        conn = psycopg2.connect(self.settings.bench_dsn)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
                cur.execute(f"CREATE SCHEMA {self.schema}")
        finally:
            conn.close()
        upgrade(self.service, self.url)

    def count(self, table: str, where: str = "") -> int:
        """Rows of ``table`` (0 when the schema is not loaded yet)."""
        try:
            conn = self.connect()
        except psycopg2.Error:
            return 0
        try:
            with conn.cursor() as cur:
                cur.execute(f"SELECT count(*) FROM {table} {where}")
                row = cur.fetchone()
                return int(row[0]) if row else 0
        except psycopg2.Error:
            return 0
        finally:
            conn.close()

    def drop_secondary_indexes(self, conn: PgConnection, tables: Sequence[str]) -> list[tuple[str, str]]:
        """Drop the tables' indexes but primary keys and unique ones (a bulk COPY is much faster
        without them); returns (name, definition) to re-create them with ``restore_indexes``."""
        with conn.cursor() as cur:
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = ANY(%s)"
                r" AND indexname NOT LIKE 'pk\_%%' AND indexname NOT LIKE 'uq\_%%'",
                (self.schema, list(tables)),
            )
            indexes: list[tuple[str, str]] = cur.fetchall()
            for name, _ in indexes:
                cur.execute(f"DROP INDEX {name}")
        return indexes

    @staticmethod
    def restore_indexes(conn: PgConnection, indexes: Iterable[tuple[str, str]]) -> None:
        with conn.cursor() as cur:
            for _, definition in indexes:
                cur.execute(definition)

    @staticmethod
    def copy(conn: PgConnection, table: str, columns: str, rows: Iterable[Sequence[Any]]) -> None:
        """COPY ``rows`` into ``table`` (None → NULL)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])  # unquoted empty = NULL
        buffer.seek(0)
        with conn.cursor() as cur:
            cur.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)", buffer)

    @staticmethod
    def add_users(conn: PgConnection, users: Iterable[tuple[str, str | None, str]]) -> None:
        """The directory replica's users: (id, team, roles as a PostgreSQL array literal)."""
        with conn.cursor() as cur:
            for user_id, team, roles in users:
                cur.execute(
                    "INSERT INTO directory_users (id, username, team_id, roles, active, updated_at)"
                    " VALUES (%s, %s, %s, %s, true, now())",
                    (user_id, user_id, team, roles),
                )


def time_runs(call: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """``runs`` timed calls (ms, sorted) after two warm-ups (plans cached, pages in shared buffers),
    and the last result."""
    result = call()
    call()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        timings.append((time.perf_counter() - started) * 1000)
    return sorted(timings), result


class NoCustomers:
    """The customers port of a bench whose handlers must not call the customers service: any call
    is a bench bug (its replica was not loaded), so it fails loudly rather than timing RPCs."""

    def __init__(self, what: str) -> None:
        self.what = what

    def get_customer(self, caller: Caller, customer_id: str) -> dict[str, Any]:
        raise AssertionError(f"{self.what} read customer {customer_id}: load it into the bench replica")

    def create_customer(self, caller: Caller, data: dict[str, Any], force: bool = False) -> dict[str, Any]:
        raise AssertionError(f"{self.what} created a customer")

    def call(self, caller: Caller, method: str, **kwargs: Any) -> Any:
        raise AssertionError(f"{self.what} called customers.{method}")


# -- the generated sales organisation the finance and sales benches share ----------------------------
def team_id(t: int) -> str:
    return f"bench-team-{t:02d}"


def seller_id(t: int, s: int) -> str:
    return f"bench-sales-{t:02d}-{s:02d}"


def manager_id(t: int) -> str:
    return f"bench-manager-{t:02d}"


def sales_org(teams: int, sellers_per_team: int) -> list[tuple[str, str | None, str]]:
    """The directory users of ``teams`` teams: their sellers and one manager each (``add_users``)."""
    sellers = [
        (seller_id(t, s), team_id(t), "{sales}") for t in range(teams) for s in range(sellers_per_team)
    ]
    return [*sellers, *((manager_id(t), team_id(t), "{manager}") for t in range(teams))]
