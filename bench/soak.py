"""Load held: N simulated users mixing search, reads and writes against the whole stack for M minutes.

    python -m bench.soak [--users 200] [--minutes 10] [--quick] [--customers 3000] [--think 2,8]

Starts every Panorama process (``bench.soak_stack``: private soak databases, the bench vhost, a
soak search alias), seeds the demo data and a generated book of business (``bench.soak_seed``),
then runs the users (``bench.soak_scenario``: asyncio + httpx, one connection each, logins spread
over the ramp-up) while ``bench.soak_stats`` samples every process's memory and CPU. Prints a
Markdown table per route (count, errors, p50/p95/p99 ms, req/s), the processes' RSS at start, peak
and end, their CPU seconds, the load average and the verdict; writes it and the raw numbers to
bench/results/soak-latest.{md,json}. Exit status 1 when there was any error.

``--quick``: 50 users, 2 minutes, 1,000 customers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from search.es import make_client

from bench import soak_scenario as scenario
from bench import soak_seed, soak_stack
from bench.settings import BenchSettings
from bench.soak_stats import ProcessSampler, Recorder, markdown

RESULTS = Path(__file__).resolve().parent / "results"
SAMPLE_SECONDS = 5.0
RAMP_SECONDS_PER_USER = 1.2


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=None, help="simulated users (default 200; --quick 50)")
    parser.add_argument(
        "--minutes", type=float, default=None, help="measured minutes (default 10; --quick 2)"
    )
    parser.add_argument(
        "--customers", type=int, default=None, help="generated book (default 3000; --quick 1000)"
    )
    parser.add_argument(
        "--think", default="2,8", help="think time between actions, min,max seconds (default 2,8)"
    )
    parser.add_argument(
        "--ramp",
        type=float,
        default=None,
        help="seconds over which users log in (default 1.2 s per user, at least 30)",
    )
    parser.add_argument("--quick", action="store_true", help="50 users, 2 minutes, 1,000 customers")
    parser.add_argument("--output", default="soak-latest", help="bench/results/<name>.{md,json}")
    args = parser.parse_args(argv)
    args.users = args.users or (50 if args.quick else 200)
    args.minutes = args.minutes or (2.0 if args.quick else 10.0)
    args.customers = args.customers or (1000 if args.quick else 3000)
    low, _, high = args.think.partition(",")
    args.think = (float(low), float(high or low))
    if args.ramp is None:
        # Logins are argon2id verifications (tens of ms of CPU and 64 MiB each, two at a time in
        # the gateway): people arriving over minutes, not all in the same 30 s, as in an office.
        args.ramp = max(min(30.0, args.minutes * 60 / 4), RAMP_SECONDS_PER_USER * args.users)
    if args.users < 1 or args.minutes <= 0 or args.customers < 1 or not 0 <= args.think[0] <= args.think[1]:
        parser.error("--users, --minutes, --customers must be positive; --think min,max with 0 ≤ min ≤ max")
    return args


def address(index: int) -> str:
    return f"10.77.{index // 250}.{index % 250 + 1}"


async def run_users(
    base_url: str, book: scenario.Book, args: argparse.Namespace, recorder: Recorder
) -> tuple[float, set[str]]:
    """Every user logs in during the ramp-up, then works until the end; (measured seconds, roles)."""
    roles = scenario.assign_roles(args.users)
    started = time.monotonic()
    until = started + args.ramp + args.minutes * 60
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    timeout = httpx.Timeout(scenario.REQUEST_TIMEOUT)
    # Each user from an address of its own, as behind the reverse proxy (the login throttle and the
    # logs see people, not the load generator).
    clients = [
        httpx.AsyncClient(
            base_url=base_url, limits=limits, timeout=timeout, headers={"X-Forwarded-For": address(index)}
        )
        for index in range(len(roles))
    ]
    password = soak_stack.demo_password()

    async def one(index: int, role: str, username: str, client: httpx.AsyncClient) -> None:
        await asyncio.sleep(args.ramp * index / max(len(roles), 1))
        user = scenario.User(index, username, role, client, recorder, book, random.Random(index))
        await scenario.run_user(user, password, until, args.think)

    try:
        await asyncio.gather(
            *(one(i, role, name, c) for i, ((role, name), c) in enumerate(zip(roles, clients, strict=True)))
        )
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return time.monotonic() - started, {role for role, _ in roles}


def soak(args: argparse.Namespace, progress: Callable[[str], None]) -> dict[str, Any]:
    settings = BenchSettings()
    settings.require_loopback()
    settings.clear_stale_queues()
    with soak_stack.running_stack(settings, progress) as stack:
        admin = stack.token("admin")
        demo = soak_seed.directory(stack.base_url, admin)
        teams = sorted({str(user["team_id"]) for user in demo.values() if user["team_id"]})
        progress(f"creating {args.users} accounts (one per user) over teams {', '.join(teams)}")
        users = soak_seed.create_accounts(stack.base_url, admin, scenario.assign_roles(args.users), teams)
        progress(f"loading a book of {args.customers:,} customers over the seller accounts")
        book, records = soak_seed.load_book(settings, users, args.customers, progress)
        es = make_client(soak_stack.search_settings(settings))
        try:
            documents = soak_seed.wait_indexed(es, settings.soak_alias, records, progress)
        finally:
            es.close()
        progress(f"book written ({records:,} records), index holds {documents:,} documents")
        stack.require_alive()
        sampler = ProcessSampler({name: p.pid for name, p in stack.processes.items()}, SAMPLE_SECONDS)
        recorder = Recorder()
        progress(
            f"{args.users} users, think {args.think[0]:g}–{args.think[1]:g} s, "
            f"ramp {args.ramp:.0f} s, then {args.minutes:g} min"
        )
        sampler.start()
        try:
            seconds, roles = asyncio.run(run_users(stack.base_url, book, args, recorder))
        finally:
            sampler.stop()
        stack.require_alive()
    return {
        "run": {
            "users": args.users,
            "minutes": args.minutes,
            "ramp_seconds": args.ramp,
            "measured_seconds": seconds,
            "think": f"{args.think[0]:g}–{args.think[1]:g} s uniform",
            "book": f"{args.customers:,} generated customers, {records:,} records written, "
            f"{documents:,} documents indexed (demo data included)",
            "roles": ", ".join(
                f"{role} {sum(1 for r, _ in scenario.assign_roles(args.users) if r == role)}"
                for role in scenario.ROLE_ORDER
            ),
            "roles_run": sorted(roles),
        },
        "routes": recorder.summary(seconds),
        "mix_routes": sorted(scenario.mix_routes(roles)),
        "processes": sampler.as_dict(),
        "errors": {
            "total": recorder.errors,
            "by_kind": dict(recorder.errors_by_kind),
            "samples": recorder.error_samples,
        },
    }


def write(result: dict[str, Any], name: str) -> str:
    text = "\n".join(markdown(result)) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.md").write_text(text, encoding="utf-8")
    (RESULTS / f"{name}.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False, default=str), "utf-8"
    )
    return text


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def progress(message: str) -> None:
        print(f"[bench.soak] {message}", file=sys.stderr, flush=True)

    result = soak(args, progress)
    print(write(result, args.output))
    return 0 if result["errors"]["total"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
