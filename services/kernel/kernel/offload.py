"""CPU-bound work off the eventlet hub, in a nameko service.

A nameko service runs every worker as a greenlet on one OS thread: a call that computes for a
second (a quote's PDF: ~0.5 s for five lines, ~3 s for 200 on this machine) holds every other
request of that process for that second, and on a busy box pushes the RPCs queued behind it past
the gateway's deadline. ``off_hub`` runs it in eventlet's pool of real threads instead: the hub's
thread keeps running the other greenlets, taking turns with the render at the interpreter's
switch interval (5 ms), so a short RPC waits milliseconds, not the whole render.

Outside a monkey-patched process (unit tests, benches, CLIs) the call simply runs in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def off_hub(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        from eventlet import patcher, tpool
    except ImportError:  # pragma: no cover - eventlet comes with nameko
        return work(*args, **kwargs)
    if not patcher.is_monkey_patched("thread"):
        return work(*args, **kwargs)
    result: T = tpool.execute(work, *args, **kwargs)
    return result
