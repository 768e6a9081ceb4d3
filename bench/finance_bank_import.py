"""Bank-statement import of 100k rows: what ``import_bank_statement`` costs, rows/s and memory.

    python -m bench.finance_bank_import [--rows 100000] [--batch-size 50] [--quick]

The finance schema is migrated into its own PostgreSQL schema (``bench_finance_bank``) of the
bench database (``PANORAMA_BENCH_DATABASE_URL``), so nothing of the tests or ``make run`` is
touched. A seeded generator COPYs in customers (the finance service's customer replica, names
folded as the replica folds them) and one open receivable per statement line to come, then
writes a CSV statement of ``--rows`` lines, the mix a real month has:

    60 %  the order number in the reference (摘要: "货款 SO-2026-000123")  → matched by reference
    30 %  the customer's name as payer and the instalment's exact amount   → matched by amount+payer
     5 %  unknown payers                                                  → unmatched (review list)
     3 %  two customers of one folded name owing the same amount          → ambiguous (review list)
     1 %  outflows, 1 % unreadable dates                                  → ignored / error

Then the import runs in process exactly as the RPC entrypoint runs it (``FinanceApp``: the unit
of work, parse, match, ``record_payment`` per matched line with its allocation, events to the
outbox, audit, committed in batches), and once more with the same file (the no-op path). Memory
is the process's peak RSS (``ru_maxrss``) before and after the import (tracemalloc would slow the
import several-fold). Progress on stderr, the Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import resource
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from finance.app import FinanceApp
from finance.handlers.bank_import import run_import
from kernel.db import make_engine, make_sessionmaker
from kernel.identity import Caller
from kernel.ids import new_id
from kernel.replicas import folded_company_name

from bench.inprocess import BenchSchema, NoCustomers, logger
from bench.settings import BenchSettings

SCHEMA = "bench_finance_bank"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
FINANCE = Caller("bench-finance", ("finance",), None)
CITIES = ("北京", "上海", "深圳", "杭州", "成都", "武汉", "南京", "苏州", "西安", "重庆")
TRADES = ("科技", "贸易", "网络", "信息", "电子", "物流", "医药", "咨询", "制造", "传媒")
RECEIVABLE_COLUMNS = (
    "id, order_id, order_number, seq, customer_id, customer_name, customer_owner_id, owner_id, team_id,"
    " due_date, currency, amount_minor, paid_minor, written_off_minor, status, order_version, version,"
    " created_at, updated_at"
)
REF_COLUMNS = "id, name, name_folded, owner_id, team_id, deleted, version, updated_at"


def yuan(amount_minor: int, grouped: bool = False) -> str:
    """分 → the text a bank writes ("12,345.67"), in integers (never a float)."""
    whole, cents = divmod(amount_minor, 100)
    return f"{whole:,}.{cents:02d}" if grouped else f"{whole}.{cents:02d}"


log = logger("finance_bank_import")


@dataclass
class Books:
    refs: list[list[Any]]
    receivables: list[list[Any]]
    statement: bytes
    mix: dict[str, int]


def generate(rows: int, seed: int) -> Books:
    """Customers, their open receivables, and the statement paying them."""
    rng = random.Random(seed)
    refs: list[list[Any]] = []
    receivables: list[list[Any]] = []
    lines: list[list[str]] = []
    mix = {"reference": 0, "amount_payer": 0, "unmatched": 0, "ambiguous": 0, "outflow": 0, "bad_date": 0}

    def customer(name: str) -> str:
        cid = new_id()
        refs.append(
            [cid, name, folded_company_name(name), "bench-seller", "bench-team", "f", 1, NOW.isoformat()]
        )
        return cid

    def receivable(cid: str, name: str, number: int, amount: int) -> None:
        due = date(2026, 1, 1) + timedelta(days=rng.randrange(330))
        stamp = NOW.isoformat()
        receivables.append(
            [new_id(), new_id(), f"SO-2026-{number:06d}", 1, cid, name, "bench-seller", "bench-seller",
             "bench-team", due.isoformat(), "CNY", amount, 0, 0, "open", 1, 1, stamp, stamp]
        )  # fmt: skip

    twins: list[tuple[str, int]] = []
    for i in range(rows):
        name = f"{rng.choice(CITIES)}{i:06d}{rng.choice(TRADES)}有限公司"
        amount = rng.randrange(1_000, 5_000_000)
        booked = (date(2026, 11, 1) + timedelta(days=rng.randrange(30))).isoformat()
        roll = rng.random()
        if roll < 0.60:
            cid = customer(name)
            receivable(cid, name, i, amount)
            lines.append([booked, f"个人{i}", yuan(amount, grouped=True), f"货款 SO-2026-{i:06d}"])
            mix["reference"] += 1
        elif roll < 0.90:
            cid = customer(name)
            receivable(cid, name, i, amount)
            lines.append(
                [booked, name.replace("有限公司", ""), "¥" + yuan(amount, grouped=True), "十一月货款"]
            )
            mix["amount_payer"] += 1
        elif roll < 0.95:
            lines.append([booked, f"陌生{i}商行", yuan(amount), "转账"])
            mix["unmatched"] += 1
        elif roll < 0.98:
            twin = f"同名{i:06d}科技"
            for suffix in ("有限公司", "(北京)"):
                receivable(customer(twin + suffix), twin + suffix, i, amount)
            twins.append((twin, amount))
            lines.append([booked, twin, yuan(amount), ""])
            mix["ambiguous"] += 1
        elif roll < 0.99:
            lines.append([booked, name, "-" + yuan(amount), "退款"])
            mix["outflow"] += 1
        else:
            lines.append(["2026-11-31", name, yuan(amount), ""])
            mix["bad_date"] += 1
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["交易日期", "对方户名", "收入金额", "摘要"])
    writer.writerows(lines)
    return Books(refs, receivables, buffer.getvalue().encode("utf-8-sig"), mix)


def bench_schema(settings: BenchSettings) -> BenchSchema:
    return BenchSchema(settings, SCHEMA, "finance")


def load(settings: BenchSettings, books: Books) -> float:
    schema = bench_schema(settings)
    schema.recreate()
    started = time.perf_counter()
    conn = schema.connect()
    schema.copy(conn, "customer_refs", REF_COLUMNS, books.refs)
    schema.copy(conn, "receivables", RECEIVABLE_COLUMNS, books.receivables)
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE customer_refs")
        cur.execute("VACUUM ANALYZE receivables")
    conn.close()
    return time.perf_counter() - started


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def measure(settings: BenchSettings, books: Books, batch_size: int) -> dict[str, Any]:
    engine = make_engine(bench_schema(settings).url, pool_size=2)
    app = FinanceApp(make_sessionmaker(engine), NoCustomers("the bank import"))
    shown = [0]
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done - shown[0] >= max(total // 20, 1) or done == total:
            shown[0] = done
            elapsed = time.perf_counter() - started
            log(
                f"  {done:,}/{total:,} rows, {elapsed:.0f} s, {done / elapsed:.0f} rows/s,"
                f" load {os.getloadavg()[0]:.1f}"
            )

    rss_before = peak_rss_mb()
    started = time.perf_counter()
    report = app.run(
        FINANCE, run_import, "bench.csv", books.statement, progress=progress, batch_size=batch_size
    )
    seconds = time.perf_counter() - started
    rss_after = peak_rss_mb()
    started = time.perf_counter()
    again = app.run(FINANCE, run_import, "bench.csv", books.statement, batch_size=batch_size)
    again_seconds = time.perf_counter() - started
    engine.dispose()
    assert again["duplicate_file"] and again["matched"] == report["matched"]
    return {
        "report": report,
        "seconds": seconds,
        "again_seconds": again_seconds,
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_after,
    }


def table(rows: int, batch_size: int, books: Books, load_s: float, result: dict[str, Any]) -> str:
    report = result["report"]
    busy = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    size_mb = len(books.statement) / 1_048_576
    return "\n".join(
        [
            f"### Bank-statement import of {rows:,} rows"
            f" (CSV {size_mb:.1f} MB, batches of {batch_size}, in process)",
            "",
            f"{os.cpu_count()} CPUs, load average at the end {busy}. Loaded {len(books.refs):,} customers and"
            f" {len(books.receivables):,} open receivables in {load_s:.0f} s.",
            "",
            "| run | rows | matched | unmatched | ambiguous | ignored | errors | seconds | rows/s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| first import | {report['rows']:,} | {report['matched']:,} | {report['unmatched']:,}"
            f" | {report['ambiguous']:,} | {report['ignored']:,} | {report['errors']:,}"
            f" | {result['seconds']:.1f} | {report['rows'] / result['seconds']:,.0f} |",
            f"| same file again (no-op) | {report['rows']:,} | – | – | – | – | –"
            f" | {result['again_seconds']:.1f}"
            f" | {report['rows'] / result['again_seconds']:,.0f} |",
            "",
            f"Peak RSS of the process: {result['rss_before_mb']:.0f} MB before the import (generated data"
            f" held), {result['rss_after_mb']:.0f} MB after it.",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="5,000 rows: a sanity check")
    args = parser.parse_args(argv)
    rows = 5_000 if args.quick else args.rows
    settings = BenchSettings()
    settings.require_loopback()
    log(f"generating a {rows:,}-row statement and its receivables")
    books = generate(rows, args.seed)
    log(f"loading into schema {SCHEMA}: {books.mix}")
    load_s = load(settings, books)
    log("importing")
    result = measure(settings, books, args.batch_size)
    print(table(rows, args.batch_size, books, load_s, result))


if __name__ == "__main__":
    main()
