"""``off_hub`` outside a monkey-patched process: the call runs in place, on the caller's thread
(the eventlet path is proven on the real sales process: sales' test_quotes)."""

from __future__ import annotations

import threading

from kernel.offload import off_hub


def test_outside_eventlet_the_work_runs_in_place_with_its_arguments() -> None:
    def work(a: int, *, b: int) -> tuple[int, str]:
        return a + b, threading.current_thread().name

    assert off_hub(work, 2, b=3) == (5, threading.current_thread().name)
