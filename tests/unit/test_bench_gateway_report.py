"""The gateway rows of the bench report and the CPU accounting behind them."""

from __future__ import annotations

import pytest

from bench import cpu, report


def _stats(p95: float, rate: float, cpu_ms: dict[str, float] | None = None) -> dict[str, object]:
    return {
        "count": 100,
        "errors": 0,
        "seconds": 10.0,
        "p50_ms": p95 / 2,
        "p95_ms": p95,
        "p99_ms": p95 * 1.2,
        "mean_ms": p95 / 2,
        "max_ms": p95 * 2,
        "throughput_per_s": rate,
        "cpu_ms_per_request": cpu_ms or {},
    }


def test_per_request_divides_by_requests_and_orders_largest_first():
    before = {("gateway", 1): 1.0, ("customers", 2): 2.0}
    after = {("gateway", 1): 3.0, ("customers", 2): 2.5, ("postgresql", 3): 0.001, ("search", 4): 1.0}
    assert cpu.per_request(before, after, 500) == {"gateway": 4.0, "search": 2.0, "customers": 1.0}
    assert cpu.per_request(before, after, 0) == {}


def test_snapshot_counts_this_process_as_the_bench_clients():
    sum(i * i for i in range(300_000))  # burn a little CPU so the figure is above one tick
    assert cpu.by_group(cpu.snapshot())["bench clients"] > 0


def test_a_process_that_exits_during_a_run_takes_only_its_own_time_with_it():
    # pid 7 (an autovacuum worker with 40 s behind it) exits; pid 9 starts during the run.
    before = {("postgresql", 5): 10.0, ("postgresql", 7): 40.0, ("gateway", 6): 1.0}
    after = {("postgresql", 5): 10.5, ("postgresql", 9): 0.25, ("gateway", 6): 2.0}
    assert cpu.per_request(before, after, 250) == {"gateway": 4.0, "postgresql": 3.0}
    assert cpu.system_seconds(before, after) == pytest.approx(1.75)


def test_gateway_table_marks_the_16_client_targets():
    gateway = {
        "create_customer": {
            "1": _stats(20, 50),
            "16": _stats(200, 520, {"customers": 4.0, "gateway": 3.5}),
        },
        "search": {"1": _stats(25, 40), "16": _stats(180, 90, {"elasticsearch": 9.0, "gateway": 3.0})},
    }
    lines = report.gateway_table(gateway)
    rows = [line for line in lines if line.startswith("| `")]
    assert len(rows) == 4
    assert rows[1].endswith("| ≥ 500 writes/s | yes |")  # 520 writes/s at 16 clients
    assert rows[3].endswith("| p95 ≤ 50 ms | **no** |")  # p95 180 ms at 16 clients
    assert rows[0].endswith("| – | – |")  # 1 client: no target
    cpu_rows = {line.split(" | ")[0]: line for line in lines if line.startswith("| ") and "ms" not in line}
    assert cpu_rows["| gateway"] == "| gateway | 3.50 | 3.00 |"
    assert cpu_rows["| elasticsearch"] == "| elasticsearch | – | 9.00 |"
    assert "| **total** | **7.5** | **12.0** |" in lines
    goals = report.gateway_goals(gateway)
    assert [g["met"] for g in goals] == [True, False]
