"""CPU seconds spent by each part of the system during a run: where a request's cost goes.

Read from /proc (Linux): user + system time of the bench's own child processes (grouped by the
``python -m`` module they run; ``kernel.run customers relay`` counts as "customers.relay"), of
the loopback servers (grouped by program), and of the bench process itself (the load-generating
clients). A snapshot keys each figure by process: a process that exits between two snapshots
takes its time with it and only that (its figure is a lower bound; the pools keep backends alive,
so in practice it is close). Summed by group before subtracting, one exiting during a run took its
whole past with it: a PostgreSQL autovacuum worker that had vacuumed the 100k tables before a
create run and finished during it made PostgreSQL's CPU per create read 0.36 ms instead of ~1.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
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


Key = tuple[str, int]  # (group, pid)
Snapshot = Mapping[Key, float]


def snapshot() -> dict[Key, float]:
    """CPU seconds so far, by process: ``(group, pid)``."""
    me = os.getpid()
    seconds: dict[Key, float] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        stat = _stat(entry.name)
        if stat is None:
            continue
        group = _group(entry.name, stat[0], me)
        if group is not None:
            seconds[(group, int(entry.name))] = stat[1]
    return seconds


def by_group(seconds: Snapshot) -> dict[str, float]:
    totals: dict[str, float] = {}
    for (group, _pid), value in seconds.items():
        totals[group] = totals.get(group, 0.0) + value
    return totals


def spent(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """CPU seconds by group between two snapshots: each process's own difference (all of it for a
    process that started since ``before``; nothing for one that has exited)."""
    return by_group({key: value - before.get(key, 0.0) for key, value in after.items()})


def per_request(before: Snapshot, after: Snapshot, requests: int) -> dict[str, float]:
    """CPU milliseconds per request, by group, largest first; groups that did not run are left out."""
    if requests <= 0:
        return {}
    ordered = sorted(spent(before, after).items(), key=lambda item: -item[1])
    return {group: round(1000.0 * seconds / requests, 2) for group, seconds in ordered if seconds > 0.005}


def system_seconds(before: Snapshot, after: Snapshot) -> float:
    """CPU seconds spent between two snapshots by every group but the bench's own clients."""
    return sum(seconds for group, seconds in spent(before, after).items() if group != BENCH_CLIENTS)
