"""``off_hub`` outside a monkey-patched process: the call runs in place, on the caller's thread
(the eventlet path is proven on the real sales process: sales' test_quotes); inside one, work
handed off may log (in a subprocess, monkey-patched)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from kernel.offload import off_hub


def test_outside_eventlet_the_work_runs_in_place_with_its_arguments() -> None:
    def work(a: int, *, b: int) -> tuple[int, str]:
        return a + b, threading.current_thread().name

    assert off_hub(work, 2, b=3) == (5, threading.current_thread().name)


def test_work_off_the_hub_may_log_while_greenlets_log() -> None:
    # Logging's locks are green in a monkey-patched process; a real thread waiting on one killed
    # the hub's timer ("Cannot switch to a different thread") and stalled the sales service.
    probe = Path(__file__).with_name("offload_logging_probe.py")
    kernel = str(Path(__file__).resolve().parents[1])
    done = subprocess.run(
        [sys.executable, str(probe)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([kernel, os.environ.get("PYTHONPATH", "")])},
    )
    assert "Cannot switch" not in done.stderr
    assert done.stdout.startswith("OK ['done', 'done', 'done']"), done.stderr[-2000:]
