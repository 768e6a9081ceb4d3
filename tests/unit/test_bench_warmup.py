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
    assert len(made) == loadgen.WARMUP_CLIENTS
    assert {"a", "b"} <= set(searched)
