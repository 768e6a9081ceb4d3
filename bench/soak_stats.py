"""What the soak measures: latency and errors per route, and each Panorama process's memory and CPU.

Routes are labelled ``METHOD /path/{template}`` (the gateway's own templates), so a route's
numbers add up over every customer, ticket, … it was called with. An error is anything the
scenario did not expect (a non-2xx it did not ask for, a timeout, a refused connection): each
is counted on its route and the first ``MAX_SAMPLES`` are kept verbatim, never hidden.

Memory is the resident set (``VmRSS`` in /proc/<pid>/status) of every process the soak started,
sampled every few seconds by a thread: at start, the peak and at the end, with the CPU seconds
(user + system) the process spent during the run.
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import cpu, loadgen

MAX_SAMPLES = 50
PROC = Path("/proc")


@dataclass
class RouteRecord:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0


@dataclass
class Recorder:
    """Filled by the simulated users (one event loop: no locking needed)."""

    routes: dict[str, RouteRecord] = field(default_factory=lambda: defaultdict(RouteRecord))
    error_samples: list[dict[str, Any]] = field(default_factory=list)
    errors_by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def ok(self, route: str, ms: float) -> None:
        self.routes[route].latencies_ms.append(ms)

    def error(self, route: str, ms: float, kind: str, detail: str) -> None:
        self.routes[route].errors += 1
        self.errors_by_kind[kind] += 1
        if len(self.error_samples) < MAX_SAMPLES:
            self.error_samples.append(
                {"route": route, "kind": kind, "ms": round(ms, 1), "detail": detail[:400]}
            )

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.routes.values())

    def summary(self, seconds: float) -> dict[str, dict[str, Any]]:
        """Per route (sorted), then ``TOTAL``: count (successes), errors, p50/p95/p99, requests/s."""
        rows: dict[str, dict[str, Any]] = {}
        every: list[float] = []
        for route in sorted(self.routes, key=_route_order):
            record = self.routes[route]
            every += record.latencies_ms
            rows[route] = loadgen.summarize(record.latencies_ms, seconds, record.errors).as_dict()
        rows["TOTAL"] = loadgen.summarize(every, seconds, self.errors).as_dict()
        return rows


def _route_order(route: str) -> tuple[str, str]:
    method, _, path = route.partition(" ")
    return path, method


# -- processes ------------------------------------------------------------------------------
def rss_mb(pid: int) -> float | None:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / cpu.TICKS
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class ProcessRecord:
    pid: int
    rss_start_mb: float = 0.0
    rss_peak_mb: float = 0.0
    rss_end_mb: float = 0.0
    cpu_start_s: float = 0.0
    cpu_end_s: float = 0.0
    samples: int = 0

    def sample(self) -> None:
        rss, spent = rss_mb(self.pid), cpu_seconds(self.pid)
        if rss is None or spent is None:
            return  # gone: the last sample stands (the stack's liveness check reports it)
        if self.samples == 0:
            self.rss_start_mb, self.cpu_start_s = rss, spent
        self.rss_peak_mb = max(self.rss_peak_mb, rss)
        self.rss_end_mb, self.cpu_end_s = rss, spent
        self.samples += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "rss_start_mb": round(self.rss_start_mb, 1),
            "rss_peak_mb": round(self.rss_peak_mb, 1),
            "rss_end_mb": round(self.rss_end_mb, 1),
            "cpu_seconds": round(self.cpu_end_s - self.cpu_start_s, 2),
            "samples": self.samples,
        }


class ProcessSampler:
    """Samples every process every ``interval`` seconds on a thread, from ``start()`` to ``stop()``."""

    def __init__(self, pids: dict[str, int], interval: float = 5.0) -> None:
        self.records = {name: ProcessRecord(pid) for name, pid in pids.items()}
        self.interval = interval
        self.load_start = os.getloadavg()
        self.load_end = self.load_start
        self.load_peak_1m = self.load_start[0]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-sampler", daemon=True)

    def start(self) -> None:
        self.load_start = os.getloadavg()
        self._sample()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)
        self._sample()
        self.load_end = os.getloadavg()

    def _sample(self) -> None:
        for record in self.records.values():
            record.sample()
        self.load_peak_1m = max(self.load_peak_1m, os.getloadavg()[0])

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def as_dict(self) -> dict[str, Any]:
        return {
            "processes": {name: record.as_dict() for name, record in self.records.items()},
            "load_average_start": [round(x, 2) for x in self.load_start],
            "load_average_end": [round(x, 2) for x in self.load_end],
            "load_average_peak_1m": round(self.load_peak_1m, 2),
        }


# -- report ---------------------------------------------------------------------------------
def _ms(value: float) -> str:
    return "–" if value != value else f"{value:,.1f}"  # NaN: no successful request


def markdown(result: dict[str, Any]) -> list[str]:
    """The soak's tables: routes, processes, load, verdict."""
    run = result["run"]
    lines = [
        f"### Soak: {run['users']} users × {run['minutes']:g} min "
        f"({run['measured_seconds']:.0f} s measured), think time {run['think']}",
        "",
        f"Book: {run['book']}. Mix and roles: {run['roles']}.",
        "",
        "| Route | Requests | Errors | p50 ms | p95 ms | p99 ms | req/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for route, row in result["routes"].items():
        name = f"**{route}**" if route == "TOTAL" else f"`{route}`"
        lines.append(
            f"| {name} | {row['count'] + row['errors']:,} | {row['errors']:,} | {_ms(row['p50_ms'])} | "
            f"{_ms(row['p95_ms'])} | {_ms(row['p99_ms'])} | {row['throughput_per_s']:,.1f} |"
        )
    procs = result["processes"]
    lines += [
        "",
        "| Process | RSS start MB | RSS peak MB | RSS end MB | CPU s |",
        "|---|---:|---:|---:|---:|",
    ]
    total_cpu = 0.0
    for name, row in procs["processes"].items():
        total_cpu += row["cpu_seconds"]
        lines.append(
            f"| {name} | {row['rss_start_mb']:,.1f} | {row['rss_peak_mb']:,.1f} | "
            f"{row['rss_end_mb']:,.1f} | {row['cpu_seconds']:,.1f} |"
        )
    lines.append(f"| **all Panorama processes** | | | | {total_cpu:,.1f} |")
    load_start = " / ".join(f"{x:.2f}" for x in procs["load_average_start"])
    load_end = " / ".join(f"{x:.2f}" for x in procs["load_average_end"])
    lines += [
        "",
        f"Load average (1/5/15 min) at start {load_start}, at end {load_end}, 1-min peak "
        f"{procs['load_average_peak_1m']:.2f}, on {os.cpu_count()} CPUs (shared machine).",
    ]
    errors = result["errors"]
    if errors["total"] == 0:
        lines += ["", "**Verdict: 0 errors.**"]
    else:
        kinds = ", ".join(f"{kind} {count}" for kind, count in errors["by_kind"].items())
        lines += ["", f"**Verdict: {errors['total']:,} errors ({kinds}).** First samples:", ""]
        lines += [
            f"- `{s['route']}` {s['kind']} after {s['ms']} ms: {s['detail']}" for s in errors["samples"][:10]
        ]
    return lines
