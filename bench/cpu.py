"""CPU seconds spent by each part of the system during a run: where a request's cost goes.

Read from /proc (Linux): user + system time of the bench's own child processes (grouped by the
``python -m`` module they run; ``kernel.run customers relay`` counts as "customers.relay"), of
the loopback servers (grouped by program), and of the bench process itself (the load-generating
clients). PostgreSQL backends that exit during a run take
their time with them, so its figure is a lower bound; the pools keep backends alive, so in practice
it is close.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
SERVERS = {
    "rabbitmq": b"beam.smp",
    "elasticsearch": b"org.elasticsearch.bootstrap",
    "postgresql": b"postgres",
}
TICKS = os.sysconf("SC_CLK_TCK")
BENCH_CLIENTS = "bench clients"  # the load generator: not part of the system it measures


def _stat(pid: str) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process; None when it is gone."""
    try:
        fields = (PROC / pid / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def _group(pid: str, parent: int, me: int) -> str | None:
    if int(pid) == me:
        return BENCH_CLIENTS
    try:
        argv = (PROC / pid / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    if parent == me and len(argv) > 2 and argv[1] == b"-m":
        if argv[2] == b"kernel.run" and len(argv) > 3:  # kernel.run <service> [mode]: "customers.relay"
            mode = argv[4] if len(argv) > 4 and argv[4] and argv[4] != b"service" else b""
            return (argv[3] + (b"." + mode if mode else b"")).decode(errors="replace")
        return argv[2].decode(errors="replace")
    joined = b" ".join(argv)
    for name, marker in SERVERS.items():
        if marker in joined:
            return name
    return None


def snapshot() -> dict[str, float]:
    """CPU seconds so far, by group."""
    me = os.getpid()
    totals: dict[str, float] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        stat = _stat(entry.name)
        if stat is None:
            continue
        group = _group(entry.name, stat[0], me)
        if group is not None:
            totals[group] = totals.get(group, 0.0) + stat[1]
    return totals


def per_request(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, float]:
    """CPU milliseconds per request, by group, largest first; groups that did not run are left out."""
    if requests <= 0:
        return {}
    spent = {group: after[group] - before.get(group, 0.0) for group in after}
    ordered = sorted(spent.items(), key=lambda item: -item[1])
    return {group: round(1000.0 * seconds / requests, 2) for group, seconds in ordered if seconds > 0.005}


def system_seconds(before: dict[str, float], after: dict[str, float]) -> float:
    """CPU seconds spent between two snapshots by every group but the bench's own clients."""
    return sum(after[group] - before.get(group, 0.0) for group in after if group != BENCH_CLIENTS)
