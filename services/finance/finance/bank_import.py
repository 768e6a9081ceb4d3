"""Import a bank statement from the command line, with a progress bar and a per-row CSV report.

    python -m finance.bank_import STATEMENT.csv|.xlsx [--as USERNAME] [--report OUT.csv]

Runs the import use case in process against the finance database (``PANORAMA_FINANCE_DATABASE_URL``),
in the same unit of work, batches, matching and audit as the ``import_bank_statement`` RPC. In
process rather than through the gateway because this is the tool for the files the web upload
is not for: a year's statement of 100k+ rows is larger than the gateway's request body limit and
takes longer than an RPC deadline, and only in process can the progress bar follow the batches
as they commit. Interrupted (Ctrl-C, a lost connection), it is simply run again: the import
resumes after the last committed batch; a finished file again changes nothing.

``--as`` names the finance user the payments are recorded by (from the finance service's copy of
the user directory; the audit log names them); without it, the system identity.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from kernel.errors import PanoramaError
from kernel.identity import SYSTEM, Caller
from sqlalchemy import select

from finance.storage.models import directory_users

REPORT_COLUMNS = (
    "line_no",
    "status",
    "booked_on",
    "payer",
    "amount",
    "currency",
    "reference",
    "customer_id",
    "payment_id",
    "message",
)


class LazyCustomers:
    """The customers port over RPC, connected only if a use case asks (matching reads the local
    customer replica; the RPC is for a customer the replica has not heard of yet)."""

    def __init__(self, rabbitmq_url: str, timeout: float) -> None:
        self.rabbitmq_url = rabbitmq_url
        self.timeout = timeout
        self._proxy: Any = None
        self._port: Any = None

    def _customers(self) -> Any:
        if self._port is None:
            from kernel.customers_rpc import RpcCustomers
            from nameko.standalone.rpc import ClusterRpcProxy

            self._proxy = ClusterRpcProxy({"AMQP_URI": self.rabbitmq_url}, timeout=self.timeout)
            self._port = RpcCustomers(self._proxy.start().customers)
        return self._port

    def get_customer(self, caller: Caller, customer_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._customers().get_customer(caller, customer_id)
        return result

    def call(self, caller: Caller, method: str, **kwargs: Any) -> Any:
        return self._customers().call(caller, method, **kwargs)

    def close(self) -> None:
        if self._proxy is not None:
            self._proxy.stop()


def caller_named(sessions: Any, username: str | None) -> Caller:
    if not username:
        return SYSTEM
    with sessions() as session:
        row = session.execute(
            select(directory_users).where(directory_users.c.username == username, directory_users.c.active)
        ).first()
    if row is None:
        raise SystemExit(f"no active user {username!r} in the finance service's user directory")
    return Caller(row.id, tuple(row.roles or ()), row.team_id)


def amount_text(amount_minor: Any) -> str:
    if not isinstance(amount_minor, int):
        return ""
    sign = "-" if amount_minor < 0 else ""
    whole, cents = divmod(abs(amount_minor), 100)
    return f"{sign}{whole}.{cents:02d}"


def write_report(report: dict[str, Any], out: TextIO) -> None:
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    for line in report["lines"]:
        writer.writerow(
            [
                line.get("line_no"),
                line.get("status"),
                line.get("booked_on") or "",
                line.get("payer") or "",
                amount_text(line.get("amount_minor")),
                line.get("currency") or "",
                line.get("reference") or "",
                line.get("customer_id") or "",
                line.get("payment_id") or "",
                line.get("message") or "",
            ]
        )


def summary(report: dict[str, Any]) -> str:
    keys = ("rows", "matched", "unmatched", "ambiguous", "duplicates", "errors", "ignored")
    counts = "  ".join(f"{key} {report[key]}" for key in keys)
    again = " (this file was imported before: nothing changed)" if report["duplicate_file"] else ""
    return f"import {report['import_id']}{again}\n{counts}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m finance.bank_import", description=__doc__.splitlines()[0]
    )
    parser.add_argument("statement", type=Path, help="the statement: CSV (UTF-8 or GBK) or .xlsx")
    parser.add_argument("--as", dest="username", help="the finance user recording the payments")
    parser.add_argument(
        "--report", help="where the per-row CSV report goes (default STATEMENT.report.csv; - = stdout)"
    )
    parser.add_argument("--batch-size", type=int, default=None, help="lines per committed batch")
    args = parser.parse_args(argv)

    # Imported here: --help needs neither the database driver nor tqdm.
    from kernel.db import make_engine, make_sessionmaker
    from tqdm import tqdm

    from finance.app import FinanceApp
    from finance.handlers.bank_import import run_import
    from finance.settings import finance_settings

    settings = finance_settings()
    content = args.statement.read_bytes()
    engine = make_engine(settings.database_url, pool_size=1)
    sessions = make_sessionmaker(engine)
    customers = LazyCustomers(settings.rabbitmq_url, settings.customers_rpc_timeout_seconds)
    caller = caller_named(sessions, args.username)
    bar = tqdm(total=0, unit="row", desc=args.statement.name, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        report = FinanceApp(sessions, customers).run(
            caller, run_import, args.statement.name, content, progress=progress, batch_size=args.batch_size
        )
    except PanoramaError as exc:
        bar.close()
        print(f"refused: {exc.detail}", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error.get('field')}: {error.get('message')}", file=sys.stderr)
        return 2
    finally:
        customers.close()
        engine.dispose()
    bar.close()
    target = args.report or f"{args.statement}.report.csv"
    if target == "-":
        write_report(report, sys.stdout)
    else:
        with open(target, "w", newline="", encoding="utf-8-sig") as out:  # BOM: Excel opens it right
            write_report(report, out)
    print(summary(report), file=sys.stderr)
    if target != "-":
        print(f"per-row report: {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
