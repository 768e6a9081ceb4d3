"""What a create costs before it does any work: the CPU floor of each hop on the create path.

Issue 11 asks for ≤ 7 ms of CPU per ``POST /api/v1/customers``, every process summed. This bench
measures, on the same servers and at the same 16 clients, what the hops cost with (almost) nothing
to do, so a create's figure can be read as floor + work:

- a loopback TCP round trip between two processes (this machine's price of one message and the
  wake-up of its receiver; a create passes ~25 messages between processes);
- ``customers.ping`` over nameko RPC from the gateway's pika client (broker + nameko worker);
- ``GET /healthz`` (uvicorn, FastAPI routing and the gateway's middleware);
- ``GET /api/v1/me`` (the same plus bearer-token checks and the caller's directory entry);
- ``POST /api/v1/customers`` without the relay and the indexer (the request path alone), then with
  them (the whole create, as ``bench.gateway`` measures it).

    python -m bench.floor [--seconds 10] [--clients 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack

import httpx
import pika
import psycopg2
from gateway.rpc import PikaRpcClient
from sqlalchemy.engine import make_url

from bench import cpu, freshness, loadgen, procs
from bench.gateway import WRITE_LABEL, Gateway, _client, running_gateway, write_factory
from bench.settings import BenchSettings

PING_ROUNDS = 20_000
Row = tuple[str, int, dict[str, float]]  # (what, requests, CPU ms per request by process)


def loopback_round_trip(rounds: int = PING_ROUNDS) -> float:
    """CPU µs (both processes, user + system) of one 64-byte TCP round trip on loopback."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    before_self = resource.getrusage(resource.RUSAGE_SELF)
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = os.fork()
    if child == 0:  # the echoing peer
        peer = socket.create_connection(("127.0.0.1", port))
        peer.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(rounds):
            peer.sendall(peer.recv(64))
        os._exit(0)
    conn, _ = server.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    payload = b"x" * 64
    for _ in range(rounds):
        conn.sendall(payload)
        conn.recv(64)
    os.waitpid(child, 0)
    conn.close()
    server.close()
    after_self = resource.getrusage(resource.RUSAGE_SELF)
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent = sum(
        getattr(after, field) - getattr(before, field)
        for after, before in ((after_self, before_self), (after_children, before_children))
        for field in ("ru_utime", "ru_stime")
    )
    return spent / rounds * 1e6


WARMUP_SECONDS = 3.0
Step = Callable[[float], int]  # run for that many seconds -> requests answered


def measured(label: str, run: Step, seconds: float) -> Row:
    """``run`` once unmeasured (connections, caches and first calls out of the way), then measured."""
    run(WARMUP_SECONDS)
    before = cpu.snapshot()
    requests = run(seconds)
    return label, requests, cpu.per_request(before, cpu.snapshot(), requests)


def rpc_pings(settings: BenchSettings, clients: int, seconds: float) -> int:
    client = PikaRpcClient(settings.rabbitmq_url, client_name="bench-floor")
    client.start()
    try:
        if not client.wait_connected(10):
            raise RuntimeError("bench.floor: the RPC client could not connect")

        async def pings() -> int:
            done = 0
            deadline = time.monotonic() + seconds

            async def loop() -> None:
                nonlocal done
                while time.monotonic() < deadline:
                    await client.call("customers", "ping", {})
                    done += 1

            await asyncio.gather(*(loop() for _ in range(clients)))
            return done

        return asyncio.run(pings())
    finally:
        client.stop()


def http_gets(gateway: Gateway, path: str, clients: int, seconds: float, bearer: str | None) -> int:
    def factory() -> tuple[Callable[[str], int], Callable[[], None]]:
        client = _client(gateway.base_url, bearer) if bearer else httpx.Client(base_url=gateway.base_url)

        def get(_: str) -> int:
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path}: HTTP {response.status_code}")
            return 1

        return get, client.close

    run = loadgen.run_clients(factory, (path,), clients=clients, seconds=seconds, warmup_rounds=0)
    return run.stats.count


def creates(gateway: Gateway, clients: int, seconds: float) -> int:
    run = loadgen.run_clients(
        write_factory(gateway), (WRITE_LABEL,), clients=clients, seconds=seconds, warmup_rounds=0
    )
    if run.stats.errors:
        raise RuntimeError(f"bench.floor: {run.stats.errors} creates failed: {run.error_samples[:1]}")
    return run.stats.count


def drained(settings: BenchSettings, progress: Callable[[str], None], timeout: float = 300.0) -> None:
    """Until the outbox has nothing unpublished and the indexer's queue is empty."""
    deadline = time.monotonic() + timeout
    dsn = make_url(settings.customers_database_url).set(drivername="postgresql")
    connection = psycopg2.connect(dsn.render_as_string(hide_password=False))
    connection.autocommit = True
    broker = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    try:
        while time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                unpublished = cursor.fetchone()[0]
            queued = procs.message_count(broker, settings.bench_queue)  # None until the indexer declares it
            if unpublished == 0 and queued == 0:
                return
            progress(f"draining: {unpublished} events unpublished, {queued} waiting for the indexer")
            time.sleep(1.0)
        raise RuntimeError("bench.floor: the relay and the indexer did not drain the backlog in time")
    finally:
        broker.close()
        connection.close()


def table(round_trip_us: float, rows: list[Row], clients: int) -> list[str]:
    groups = sorted({g for _, _, cost in rows for g in cost if g != cpu.BENCH_CLIENTS})
    lines = [
        f"Loopback TCP round trip between two processes: {round_trip_us:.0f} µs of CPU "
        "(both sides, mostly the kernel's).",
        "",
        f"CPU ms per request at {clients} clients, by process (the bench's own client threads left out):",
        "",
        "| Request | Requests | " + " | ".join(groups) + " | **total** |",
        "|---|---:|" + "---:|" * len(groups) + "---:|",
    ]
    for label, requests, cost in rows:
        cells = [f"{cost.get(g, 0.0):.2f}" for g in groups]
        total = sum(v for g, v in cost.items() if g != cpu.BENCH_CLIENTS)
        lines.append(f"| {label} | {requests:,} | " + " | ".join(cells) + f" | **{total:.2f}** |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args(argv)
    settings = BenchSettings()
    settings.require_loopback()
    settings.clear_stale_queues()

    def progress(message: str) -> None:
        print(f"[bench.floor] {message}", file=sys.stderr, flush=True)

    round_trip_us = loopback_round_trip()
    rows: list[Row] = []
    clients = args.clients
    with ExitStack() as stack:
        freshness.prepare_hub(
            settings.bench_dsn, settings.bench_customers_database, settings.customers_database_url, []
        )
        gateway = stack.enter_context(running_gateway(settings, progress))
        token = gateway.writer_token
        steps: list[tuple[str, Step]] = [
            (
                "nameko RPC `customers.ping` (gateway's pika client)",
                lambda s: rpc_pings(settings, clients, s),
            ),
            ("`GET /healthz`", lambda s: http_gets(gateway, "/healthz", clients, s, None)),
            (
                "`GET /api/v1/me` (bearer token)",
                lambda s: http_gets(gateway, "/api/v1/me", clients, s, token),
            ),
            ("`POST /api/v1/customers`, request path only", lambda s: creates(gateway, clients, s)),
        ]
        for label, run in steps:
            progress(f"measuring {label}")
            rows.append(measured(label, run, args.seconds))
        stack.enter_context(procs.running(procs.INDEXER, procs.indexer_env(settings), "indexer"))
        stack.enter_context(procs.running(procs.RELAY, procs.relay_env(settings), "relay"))
        drained(settings, progress)  # what the request-path rows left in the outbox
        label = "`POST /api/v1/customers` + relay + indexer (the whole create)"
        progress(f"measuring {label}")
        rows.append(measured(label, lambda s: creates(gateway, clients, s), args.seconds))
    print("\n".join(table(round_trip_us, rows, clients)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
