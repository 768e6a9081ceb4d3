import threading

from bench import loadgen


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
