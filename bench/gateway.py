"""Through the front door: create-customer and search over HTTP, via the gateway, at 1 and 16 clients.

Every request takes the path a user's does: HTTP (keep-alive, one connection per client thread)
→ FastAPI (bearer JWT, validation) → the gateway's pika RPC client → RabbitMQ → the nameko
``customers`` / ``search`` service → PostgreSQL / Elasticsearch, and back. The stack runs as the
real processes on the bench virtual host, the bench customers database, a bench gateway database
and the bench search alias (so searches run over the bulk-loaded book of business).

Writes are ``POST /api/v1/customers`` by a salesperson (a unique company name each, so the
duplicate guard is exercised but never fires); searches are ``GET /api/v1/search`` by an
administrator (no ACL narrowing, like the direct Elasticsearch rows) over the same query set.

    python -m bench.gateway [--seconds 10] [--clients 1,16]     # alone, after a `bench.run` load
    python -m bench.gateway --copies 2                          # scale-out on one box

``--copies N`` runs N copies of every process here (customers, search, the relay, the indexer and
the gateway, each gateway copy on its own port); client thread k talks to gateway copy k mod N,
as a round-robin load balancer would spread keep-alive connections. The default is one copy.
"""

from __future__ import annotations

import argparse
import itertools
import os
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg2
from gateway.readiness import stack_ready
from sqlalchemy.engine import make_url

from bench import cpu, freshness, loadgen, procs, queries, report
from bench.settings import BenchSettings

READY_TIMEOUT = 120.0
# name -> what follows ``python -m``; the relay and the indexer are started by the caller.
STACK: dict[str, procs.Target] = {
    "customers": ("kernel.run", "customers"),
    "search": ("kernel.run", "search"),
    "gateway": "gateway",
}
SERVICES = tuple(name for name in STACK if name != "gateway")
WRITE_LABEL = "POST /api/v1/customers"
WARMUP_ROUNDS = 2
ROUTES = ("create_customer", "search")
# A create's CPU includes Elasticsearch's indexing, whose segment merges come in bursts: in a 3 s
# row one merge more or less inside the window moved the total by ~2 ms. Longer rows average them.
CREATE_ROW_MIN_SECONDS = 10.0


@dataclass(frozen=True)
class Gateway:
    base_url: str
    writer_token: str
    reader_token: str
    # Every gateway copy's URL, the first being ``base_url``; clients are spread over them.
    base_urls: tuple[str, ...] = ()

    def url_for(self, client: int) -> str:
        """The gateway copy client thread ``client`` talks to (round robin)."""
        return self.base_urls[client % len(self.base_urls)] if self.base_urls else self.base_url


def stack_env(settings: BenchSettings, port: int) -> dict[str, str]:
    gateway_db = make_url(settings.bench_database_url).set(database=settings.bench_gateway_database)
    return {
        **procs.indexer_env(settings),
        **procs.relay_env(settings),
        "PANORAMA_ENVIRONMENT": "test",
        "PANORAMA_GATEWAY_DATABASE_URL": gateway_db.render_as_string(hide_password=False),
        "PANORAMA_PORT": str(port),
        "PANORAMA_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }


def reset_gateway_database(settings: BenchSettings) -> None:
    """A clean directory every run: the gateway migrates it on start, seed-demo fills it."""
    freshness.ensure_database(settings.bench_dsn, settings.bench_gateway_database)
    dsn = (
        make_url(settings.bench_dsn)
        .set(database=settings.bench_gateway_database)
        .render_as_string(hide_password=False)
    )
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(
    base_url: str,
    processes: list[Any],
    timeout: float = READY_TIMEOUT,
    needed: tuple[str, ...] | None = SERVICES,
) -> None:
    """Until /readyz reports the ``needed`` services (None: every registered one) ready."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        procs.require_alive(processes, "gateway stack")
        try:
            response = httpx.get(f"{base_url}/readyz", timeout=3)
            # the services this stack runs (not every registered one: sales is not measured here)
            if stack_ready(response.status_code, response.json(), needed=needed):
                return
            last = response.text
        except (httpx.HTTPError, ValueError) as exc:
            last = repr(exc)
        time.sleep(0.5)
    raise RuntimeError(f"gateway stack not ready within {timeout:.0f}s: {last[:300]}")


def token(base_url: str, username: str, password: str) -> str:
    response = httpx.post(
        f"{base_url}/api/v1/auth/token", data={"username": username, "password": password}, timeout=10
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


@contextmanager
def running_gateway(
    settings: BenchSettings, progress: Callable[[str], None], copies: int = 1
) -> Iterator[Gateway]:
    """customers + search + gateway on the bench servers, demo users seeded; yields their tokens.
    ``copies``: that many copies of each process, every gateway copy on a port of its own."""
    reset_gateway_database(settings)
    ports = [free_port() for _ in range(copies)]
    envs = [stack_env(settings, port) for port in ports]
    env = envs[0]
    base_urls = tuple(f"http://127.0.0.1:{port}" for port in ports)
    base_url = base_urls[0]
    with ExitStack() as stack:
        processes = [
            process
            for name, target in STACK.items()
            if name != "gateway"
            for process in stack.enter_context(procs.running(target, env, name, count=copies))
        ]
        for copy, copy_env in enumerate(envs):  # one at a time: each needs its own port
            name = "gateway" if copy == 0 else f"gateway-copy{copy + 1}"
            processes += stack.enter_context(procs.running(STACK["gateway"], copy_env, name))
        for url in base_urls:
            wait_ready(url, processes)
        progress(f"gateway stack ready at {', '.join(base_urls)}; seeding the demo directory")
        procs.run_module("gateway.cli", ["seed-demo"], env)
        password = os.environ.get("PANORAMA_DEMO_PASSWORD", "panorama")  # what seed-demo used
        yield Gateway(
            base_url, token(base_url, "sales1", password), token(base_url, "admin", password), base_urls
        )
        procs.require_alive(processes, "gateway stack")


def _client(base_url: str, bearer: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=30.0,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )


def write_factory(gateway: Gateway) -> loadgen.ClientFactory:
    run = uuid.uuid4().hex[:6]
    threads = itertools.count()

    def factory() -> tuple[Callable[[str], int], Callable[[], None]]:
        thread = next(threads)
        client = _client(gateway.url_for(thread), gateway.writer_token)
        prefix = f"压测{run}{thread:02d}"
        serial = itertools.count()

        def create(_: str) -> int:
            name = f"{prefix}{next(serial):06d}号商贸有限公司"
            body = {"name": name, "status": "active", "tags": ["bench"]}
            response = client.post("/api/v1/customers", json=body)
            if response.status_code != 201:
                raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
            return 1

        return create, client.close

    return factory


def search_factory(gateway: Gateway) -> loadgen.ClientFactory:
    threads = itertools.count()

    def factory() -> tuple[Callable[[str], int], Callable[[], None]]:
        client = _client(gateway.url_for(next(threads)), gateway.reader_token)

        def search(q: str) -> int:
            response = client.get("/api/v1/search", params={"q": q, "limit": queries.PAGE})
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
            return int(response.json()["total"])

        return search, client.close

    return factory


def measure(
    gateway: Gateway,
    seconds: float,
    clients: tuple[int, ...],
    progress: Callable[[str], None],
    *,
    warmup: float = 0.0,
    routes: tuple[str, ...] = ROUTES,
) -> dict[str, dict[str, Any]]:
    """{"create_customer" | "search": {clients: stats}}, every row a closed-loop run of ``seconds``,
    each route warmed up (unmeasured) for ``warmup`` seconds first."""
    runs = {
        "create_customer": (write_factory(gateway), (WRITE_LABEL,)),
        "search": (search_factory(gateway), queries.QUERIES),
    }
    results: dict[str, dict[str, Any]] = {}
    for name, (factory, inputs) in runs.items():
        if name not in routes:
            continue
        results[name] = {}
        slices = loadgen.warm_up(factory, inputs, warmup)
        progress(f"gateway {name} warm-up, {loadgen.warm_up_progress(slices)}")
        row_seconds = max(seconds, CREATE_ROW_MIN_SECONDS) if name == "create_customer" else seconds
        for count in clients:
            before = cpu.snapshot()
            run = loadgen.run_clients(
                factory, inputs, clients=count, seconds=row_seconds, warmup_rounds=WARMUP_ROUNDS
            )
            # The warm-up requests ran inside the measured window too: count them.
            requests = run.stats.count + run.stats.errors + WARMUP_ROUNDS * len(inputs) * count
            cpu_ms = cpu.per_request(before, cpu.snapshot(), requests)
            s = run.stats
            progress(
                f"gateway {name} × {count}: p50 {s.p50:.1f} ms, p95 {s.p95:.1f} ms, p99 {s.p99:.1f} ms, "
                f"{s.throughput:,.0f}/s, {s.errors} errors {run.error_samples[:1] or ''}"
            )
            results[name][str(count)] = {
                **s.as_dict(),
                "error_samples": run.error_samples[:3],
                "cpu_ms_per_request": cpu_ms,
            }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", default="1,16", help="comma-separated client counts (default 1,16)")
    parser.add_argument(
        "--warmup",
        type=float,
        default=loadgen.DEFAULT_WARMUP_SECONDS,
        help="unmeasured seconds before each route (default %(default)s), then slices until level",
    )
    parser.add_argument(
        "--copies", type=int, default=1, help="copies of every process, gateway included (default 1)"
    )
    parser.add_argument(
        "--routes", default=",".join(ROUTES), help=f"comma-separated, of {', '.join(ROUTES)} (default both)"
    )
    args = parser.parse_args(argv)
    routes = tuple(args.routes.split(","))
    if not set(routes) <= set(ROUTES):
        parser.error(f"--routes: choose from {', '.join(ROUTES)}")
    if args.copies < 1:
        parser.error("--copies must be at least 1")
    clients = tuple(int(c) for c in args.clients.split(","))
    settings = BenchSettings()
    settings.require_loopback()
    settings.clear_stale_queues()

    def progress(message: str) -> None:
        print(f"[bench.gateway] {message}", file=sys.stderr, flush=True)

    with ExitStack() as stack:
        copies = args.copies
        stack.enter_context(procs.running(procs.INDEXER, procs.indexer_env(settings), "indexer", copies))
        stack.enter_context(procs.running(procs.RELAY, procs.relay_env(settings), "relay", copies))
        freshness.prepare_hub(
            settings.bench_dsn, settings.bench_customers_database, settings.customers_database_url, []
        )
        gateway = stack.enter_context(running_gateway(settings, progress, copies))
        results = measure(gateway, args.seconds, clients, progress, warmup=args.warmup, routes=routes)
    if args.copies > 1:
        print(f"{args.copies} copies of customers, search, the relay, the indexer and the gateway:\n")
    print("\n".join(report.gateway_table(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
