"""Reading ``/readyz`` from outside: is the whole stack up, not only the gateway?

``/readyz`` answers 200 once the gateway itself can serve (its database, the broker), whatever the
services do - right for a load balancer, too early for scripts that start everything and then load
data or run tests. They wait for this instead.
"""

from __future__ import annotations

from typing import Any


def stack_ready(status_code: int, body: Any) -> bool:
    """The gateway is ready and every service it pings answered."""
    if status_code != 200 or not isinstance(body, dict):
        return False
    services = body.get("services")
    return isinstance(services, dict) and all(state == "ok" for state in services.values())
