import threading

import pytest

from bench import cpu, loadgen


def counting_factory():
    made, searched, lock = [], [], threading.Lock()

    def factory():
        made.append(1)

        def search(q: str) -> int:
            with lock:
                searched.append(q)
            return 1

        return search, lambda: None

    return factory, made, searched


def test_warm_up_loads_every_query_with_several_clients_and_zero_seconds_does_nothing():
    factory, made, searched = counting_factory()
    loadgen.warm_up(factory, ["a", "b"], 0)
    assert made == [] and searched == []
    loadgen.warm_up(factory, ["a", "b"], 0.05)
    assert len(made) >= loadgen.WARMUP_CLIENTS and len(made) % loadgen.WARMUP_CLIENTS == 0  # per slice
    assert {"a", "b"} <= set(searched)


def scripted(rates: list[float]):
    spans: list[float] = []

    def run_slice(span: float) -> float:
        spans.append(span)
        return rates[len(spans) - 1]

    return run_slice, spans


def test_warm_up_goes_on_while_the_rate_still_climbs_and_stops_at_the_plateau():
    run_slice, spans = scripted([100, 150, 200, 204, 500])
    assert loadgen.until_plateau(run_slice, 10) == [100, 150, 200, 204]  # 204 < 200 * 1.05
    assert spans == [10, 5, 5, 5]


def test_a_warm_engine_stops_after_one_slice_and_a_climbing_one_at_the_cap():
    run_slice, spans = scripted([300, 301])
    assert loadgen.until_plateau(run_slice, 15) == [300, 301]
    climbing = [2.0**n for n in range(40)]
    run_slice, spans = scripted(climbing)
    rates = loadgen.until_plateau(run_slice, 10)
    assert sum(spans) <= 80 and len(rates) == 15  # 10 s, then fourteen 5 s slices: 8 × 10 s


def test_a_write_route_warms_up_until_its_cpu_per_request_stops_falling(monkeypatch: pytest.MonkeyPatch):
    # Each slice's requests cost the system this many CPU seconds apiece; the fourth slice is
    # less than 5 % cheaper than the third, so the warm-up ends there.
    prices = [0.004, 0.003, 0.002, 0.00196, 0.001]
    snapshots, spent, lock = [0], [0.0], threading.Lock()

    def snapshot() -> dict[cpu.Key, float]:
        snapshots[0] += 1  # before and after each slice: slice i runs after snapshot 2i + 1
        return {("customers", 2): spent[0], (cpu.BENCH_CLIENTS, 1): 99.0 * snapshots[0]}

    def factory():
        def create(_: str) -> int:
            with lock:
                spent[0] += prices[snapshots[0] // 2]
            return 1

        return create, lambda: None

    monkeypatch.setattr(cpu, "snapshot", snapshot)
    assert loadgen.warm_up(factory, ["a"], 0.05) == pytest.approx([4.0, 3.0, 2.0, 1.96])


def test_system_seconds_leave_the_bench_clients_out():
    before = {("customers", 2): 1.0, (cpu.BENCH_CLIENTS, 1): 5.0}
    after = {("customers", 2): 1.5, ("rabbitmq", 3): 0.25, (cpu.BENCH_CLIENTS, 1): 9.0}
    assert cpu.system_seconds(before, after) == pytest.approx(0.75)


def test_warm_up_reads_the_cpu_before_its_clients_close(monkeypatch: pytest.MonkeyPatch):
    # A PostgreSQL backend that exits takes its CPU time with it: the slice's clients stay
    # connected until the CPU after the slice has been read.
    closed: list[int] = []
    closed_at_snapshot: list[int] = []

    def snapshot() -> dict[cpu.Key, float]:
        closed_at_snapshot.append(len(closed))
        return {("postgresql", 3): float(len(closed_at_snapshot))}

    def factory():
        return (lambda _: 1), lambda: closed.append(1)

    monkeypatch.setattr(cpu, "snapshot", snapshot)
    loadgen.warm_up(factory, ["a"], 0.05)
    assert closed_at_snapshot[:2] == [0, 0]
    assert len(closed) == loadgen.WARMUP_CLIENTS * (len(closed_at_snapshot) // 2)  # all closed in the end
