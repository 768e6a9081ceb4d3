"""Closed-loop load generation with N client threads, and the latency statistics of a run.

Each client thread owns its own search function (its own database connection, say) and cycles
through the query set from a different starting point; all threads start together and stop at
the same deadline. Latency is measured around the call only.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench import cpu

MAX_ERRORS = 1000  # a client gives up after this many failures (the run reports them)
SearchFn = Callable[[str], int]  # query -> number of hits (ignored by the timing)
ClientFactory = Callable[[], tuple[SearchFn, Callable[[], None]]]  # (search, close)


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); ``sorted_values`` ascending."""
    if not sorted_values:
        return math.nan
    rank = (len(sorted_values) - 1) * p / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return sorted_values[low]
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return percentile(sorted(values), 50)


@dataclass(frozen=True)
class Stats:
    count: int
    errors: int
    seconds: float
    p50: float
    p95: float
    p99: float
    mean: float
    max: float

    @property
    def throughput(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "count": self.count,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "p50_ms": round(self.p50, 3),
            "p95_ms": round(self.p95, 3),
            "p99_ms": round(self.p99, 3),
            "mean_ms": round(self.mean, 3),
            "max_ms": round(self.max, 3),
            "throughput_per_s": round(self.throughput, 1),
        }


def summarize(latencies_ms: Sequence[float], seconds: float, errors: int = 0) -> Stats:
    values = sorted(latencies_ms)
    return Stats(
        count=len(values),
        errors=errors,
        seconds=seconds,
        p50=percentile(values, 50),
        p95=percentile(values, 95),
        p99=percentile(values, 99),
        mean=sum(values) / len(values) if values else math.nan,
        max=values[-1] if values else math.nan,
    )


@dataclass
class RunResult:
    stats: Stats
    per_query_ms: dict[str, list[float]] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)


def closing_later(factory: ClientFactory) -> tuple[ClientFactory, Callable[[], None]]:
    """``factory`` whose clients are closed only when the returned function is called: lets a
    caller read the servers' counters while every client's connection is still open."""
    closers: list[Callable[[], None]] = []
    lock = threading.Lock()

    def held() -> tuple[SearchFn, Callable[[], None]]:
        search, close = factory()
        with lock:
            closers.append(close)
        return search, lambda: None

    def close_all() -> None:
        with lock:
            pending, closers[:] = list(closers), []
        for close in pending:
            close()

    return held, close_all


WARMUP_CLIENTS = 4


# The floor before the slices. Elasticsearch's JIT on this 2-vCPU VM is far from done at 10 s:
# after a restart, 10 s then 5 s slices stopped at 3.4-4.0 ms of CPU per search (16 clients: 1.96 ms,
# 761 searches/s); 60 s then slices reached 1.37 ms (16 clients: 1.39 ms, 831/s). The drop came
# between 35 and 65 s, after slices that looked level, so no slice rule can wait for it: the floor
# has to cover it. PostgreSQL is level after the first slice.
DEFAULT_WARMUP_SECONDS = 60.0
WARMUP_SLICE_SECONDS = 5.0
WARMUP_PLATEAU = 1.05  # a slice less than 5 % better than the one before: warm
WARMUP_MAX_SECONDS = 120.0


def warm_up(factory: ClientFactory, queries: Sequence[str], seconds: float) -> list[float]:
    """Unmeasured load before the measured rows: a freshly started JVM (Elasticsearch) runs its
    code interpreted until the JIT has compiled it, and caches start cold (Rally and JMH warm up
    the same way). ``seconds`` first, then slices of up to 5 s until one costs less than 5 % less
    CPU per request than the one before (every process but the bench's own), for at most
    8 × ``seconds`` (120 s) in all. Every engine and route gets the same rule; returns each
    slice's CPU ms per request.

    CPU per request, not requests/s: on freshly started servers Elasticsearch's rate levelled off
    (127 → 213 → 230 → 230 searches/s) while its compiler threads were still busy, at 5.5 ms of
    CPU per search against 2–3 ms a few minutes later; a write route's rate even falls as the
    index it fills grows and merges, while the JVM still compiles its indexing path (3 ms of a
    12 ms create)."""

    def run_slice(span: float) -> float:
        # Connections stay open until the CPU is read: a PostgreSQL backend that exits takes its
        # CPU time with it.
        held, close_held = closing_later(factory)
        before = cpu.snapshot()
        try:
            run = run_clients(held, queries, clients=WARMUP_CLIENTS, seconds=span, warmup_rounds=0)
            spent = cpu.system_seconds(before, cpu.snapshot())
        finally:
            close_held()
        return run.stats.count / spent if spent > 0 else math.inf  # requests per CPU second

    return [1000.0 / score if score else math.inf for score in until_plateau(run_slice, seconds)]


def warm_up_progress(slices: list[float]) -> str:
    return "CPU ms per request per slice: " + " → ".join(f"{ms:.2f}" for ms in slices)


def until_plateau(run_slice: Callable[[float], float], seconds: float) -> list[float]:
    """The warm-up's stopping rule: ``run_slice(span)`` runs load for ``span`` seconds and gives
    its score (higher is better: ``warm_up``'s requests per CPU second); returns the scores of the
    slices run."""
    if seconds <= 0:
        return []
    step = min(WARMUP_SLICE_SECONDS, seconds)
    limit = min(WARMUP_MAX_SECONDS, 8 * seconds)
    rates = [run_slice(seconds)]
    spent = seconds
    while spent + step <= limit:
        rates.append(run_slice(step))
        spent += step
        if rates[-1] < rates[-2] * WARMUP_PLATEAU:
            break
    return rates


def run_clients(
    factory: ClientFactory,
    queries: Sequence[str],
    *,
    clients: int,
    seconds: float,
    min_rounds: int = 1,
    warmup_rounds: int = 1,
) -> RunResult:
    """``clients`` threads search back to back for ``seconds`` (and at least ``min_rounds`` passes
    over the query set each); returns the latency statistics of everything after warm-up."""
    per_thread: list[list[tuple[str, float]]] = [[] for _ in range(clients)]
    errors: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    clock = {"started": 0.0, "deadline": 0.0}

    def start_clock() -> None:  # run once, by the last thread to arrive, before any is released
        clock["started"] = time.perf_counter()
        clock["deadline"] = clock["started"] + seconds

    ready = threading.Barrier(clients, action=start_clock)

    def client(index: int) -> None:
        try:
            search, close = factory()
        except BaseException as exc:
            failures.append(exc)
            ready.abort()
            return
        try:
            for q in list(queries) * warmup_rounds:
                search(q)
            ready.wait()
            samples = per_thread[index]
            i, needed = index, len(queries) * min_rounds
            while time.perf_counter() < clock["deadline"] or len(samples) < needed:
                q = queries[i % len(queries)]
                i += 1
                started = time.perf_counter()
                try:
                    search(q)
                except Exception as exc:  # counted and reported, never hidden
                    with lock:
                        errors.append(f"{q!r}: {exc!r}"[:300])
                        if len(errors) > MAX_ERRORS:
                            return
                    continue
                samples.append((q, (time.perf_counter() - started) * 1000.0))
        except threading.BrokenBarrierError:
            pass
        except BaseException as exc:
            failures.append(exc)
            ready.abort()
        finally:
            close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"a search client failed: {failures[0]!r}") from failures[0]
    elapsed = time.perf_counter() - clock["started"]
    per_query: dict[str, list[float]] = {q: [] for q in queries}
    latencies: list[float] = []
    for samples in per_thread:
        for q, ms in samples:
            per_query[q].append(ms)
            latencies.append(ms)
    return RunResult(summarize(latencies, elapsed, len(errors)), per_query, errors[:5])
