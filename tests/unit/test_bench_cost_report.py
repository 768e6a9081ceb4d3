"""Issue 11's cost-per-operation table: goals judged against pg_trgm of the same run, sizes kept apart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import loadgen, report


def _latency(p95: float, rate: float, cpu_ms: dict[str, float] | None = None) -> dict[str, Any]:
    return {"p50_ms": p95 / 3, "p95_ms": p95, "throughput_per_s": rate, "cpu_ms_per_search": cpu_ms or {}}


def _results(customers: int, *, es_p95: float = 10.0, es_rate: float = 600.0) -> dict[str, Any]:
    return {
        "environment": {"date": "2026-12-02T12:00:00Z", "load_average_1m": 0.5},
        "data": {"customers": customers, "events": customers * 4},
        "latency": {
            "elasticsearch": {
                "1": _latency(es_p95, 100),
                "16": _latency(30, es_rate, {"elasticsearch": 1.5, "bench clients": 1.2}),
            },
            "pg_trgm": {"1": _latency(18, 500), "16": _latency(40, 300, {"postgresql": 2.5})},
        },
        "gateway": {
            "create_customer": {
                "16": {"cpu_ms_per_request": {"bench clients": 2.0, "gateway": 1.5, "customers": 2.0}}
            }
        },
        "bulk": {"indexers": 1, "load_rate": 5200.0},
        "pg_load": {"copy_rate": 70_000.0},
        "freshness": {"p99_s": 0.8, "timeouts": 0},
    }


def _met(rows: list[tuple[str, str, str, str, bool | None]]) -> dict[str, bool | None]:
    return {name.split(",")[0].split(" (")[0]: met for name, _, _, _, met in rows}


def test_every_goal_is_met_when_the_run_beats_them():
    met = _met(report.cost_rows(_results(5_000)))
    assert all(met.values()), met


def test_throughput_goal_is_one_and_a_half_times_pg_trgm_and_p95_goal_is_pg_trgms():
    met = _met(report.cost_rows(_results(5_000, es_p95=18.5, es_rate=449.0)))
    assert met["searches/s"] is False  # 449 < 1.5 × 300
    assert met["search p50 / p95"] is False  # 18.5 ms > pg_trgm's 18 ms


def test_cpu_per_create_leaves_out_the_load_generator():
    rows = report.cost_rows(_results(5_000))
    ((ours, met),) = [(r[1], r[4]) for r in rows if r[0].startswith("CPU per")]
    assert ours == "3.5 ms (customers 2.00, gateway 1.50)"  # not the clients' 2.0; largest first
    assert "bench clients" not in ours
    assert met is True


def test_a_stored_run_of_another_size_is_shown_after_this_one(tmp_path: Path):
    (tmp_path / "customers-100000.json").write_text(json.dumps(_results(100_000, es_rate=200.0)))
    (tmp_path / "customers-5000.json").write_text(json.dumps(_results(5_000, es_rate=1.0)))  # older run
    runs = report.sized_results(tmp_path, _results(5_000))
    assert [r["data"]["customers"] for r in runs] == [5_000, 100_000]
    assert runs[0]["latency"]["elasticsearch"]["16"]["throughput_per_s"] == 600.0  # this run, not the file
    text = "\n".join(report.cost_tables(runs))
    assert text.index("at 5,000 customers") < text.index("at 100,000 customers")
    assert (
        "| searches/s, 16 clients | 200 (p95 30.0 ms) | 300 (p95 40.0 ms) | ≥ 1.5 × pg_trgm's | **no** |"
        in text
    )


def test_closing_later_keeps_every_client_open_until_asked():
    closed: list[int] = []
    made = iter(range(100))

    def factory() -> tuple[loadgen.SearchFn, Any]:
        n = next(made)
        return (lambda q: 1), (lambda: closed.append(n))

    held, close_all = loadgen.closing_later(factory)
    run = loadgen.run_clients(held, ("a", "b"), clients=3, seconds=0.01)
    assert run.stats.count >= 6 and closed == []
    close_all()
    assert sorted(closed) == [0, 1, 2]
