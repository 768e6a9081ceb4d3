"""CPU-bound work off the eventlet hub, in a nameko service.

A nameko service runs every worker as a greenlet on one OS thread: a call that computes for a
second (a quote's PDF: ~0.5 s for five lines, ~3 s for 200 on this machine) holds every other
request of that process for that second, and on a busy box pushes the RPCs queued behind it past
the gateway's deadline. ``off_hub`` runs it in eventlet's pool of real threads instead: the hub's
thread keeps running the other greenlets, taking turns with the render at the interpreter's
switch interval (5 ms), so a short RPC waits milliseconds, not the whole render.

Outside a monkey-patched process (unit tests, benches, CLIs) the call simply runs in place.

Work in a real thread must not wait on a green lock: eventlet then tries to switch a greenlet
across threads ("greenlet.error: Cannot switch to a different thread") and the hub's timer dies,
stalling the service. Logging is what such work reaches for (fontTools logs each font subset), and
its locks, made after monkey-patching, are green; before the first hand-off they are swapped for
real ones. A greenlet holding one never waits (greenlets share the OS thread, and the lock is
reentrant for it); the render's thread waits for the length of one log line at most.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_logging_locks_real = False


def off_hub(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        from eventlet import patcher, tpool
    except ImportError:  # pragma: no cover - eventlet comes with nameko
        return work(*args, **kwargs)
    if not patcher.is_monkey_patched("thread"):
        return work(*args, **kwargs)
    _real_logging_locks(patcher.original("threading"))
    result: T = tpool.execute(work, *args, **kwargs)
    return result


def _real_logging_locks(threading: Any) -> None:
    """The logging module's lock and every handler's, as OS locks (once: handlers are configured
    at start-up, before any work is handed off)."""
    global _logging_locks_real
    if _logging_locks_real:
        return
    logging._lock = threading.RLock()  # type: ignore[attr-defined]
    for ref in list(logging._handlerList):  # type: ignore[attr-defined]
        handler = ref()
        if handler is not None:
            handler.lock = threading.RLock()
    _logging_locks_real = True
