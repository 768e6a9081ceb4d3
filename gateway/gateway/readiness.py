"""Reading ``/readyz`` from outside: is the whole stack up, not only the gateway?

``/readyz`` answers 200 once the gateway itself can serve (its database, the broker), whatever the
services do - right for a load balancer, too early for scripts that start everything and then load
data or run tests. They wait for this instead.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any


def stack_ready(status_code: int, body: Any, needed: Collection[str] | None = None) -> bool:
    """The gateway is ready and every service it pings answered (or, with ``needed``, those: a
    partial stack — the bench runs only what it measures — waits for what it started)."""
    if status_code != 200 or not isinstance(body, dict):
        return False
    services = body.get("services")
    if not isinstance(services, dict):
        return False
    wanted = services if needed is None else {name: services.get(name) for name in needed}
    return all(state == "ok" for state in wanted.values())
