"""Which business services answer, as far as the gateway can tell - for /readyz's body and the
web UI's banner, never for the gateway's own readiness.

A service that is down must not take the gateway out of the load balancer: its routes already
answer 503 at once (the RPC client sees nobody consuming the queue) and everything else still
works. So the state here is advisory: refreshed by a background ping loop and by /readyz, and
marked down as soon as a call finds the service unavailable or timing out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterable
from typing import Any

from gateway.rpc import RpcClient
from gateway.rpc_errors import RpcTimeout, ServiceUnavailable

log = logging.getLogger(__name__)


class ServiceHealth:
    def __init__(self, services: Iterable[str]) -> None:
        # Presumed up until a ping or a call says otherwise: no banner flashes at start-up.
        self._up: dict[str, bool] = dict.fromkeys(services, True)
        self._lock = threading.Lock()

    @property
    def services(self) -> list[str]:
        with self._lock:
            return list(self._up)

    def mark(self, service: str, up: bool) -> None:
        with self._lock:
            was = self._up.get(service)
            self._up[service] = up
        if was is not None and was != up:
            log.warning("service %s is %s", service, "back" if up else "unavailable")

    def down(self) -> list[str]:
        with self._lock:
            return sorted(name for name, up in self._up.items() if not up)

    def states(self) -> dict[str, str]:
        with self._lock:
            return {name: "ok" if up else "down" for name, up in self._up.items()}

    async def probe(self, rpc: RpcClient, timeout: float) -> dict[str, str]:
        """Ping every service at once and record the answers."""
        services = self.services
        answers = await asyncio.gather(*(rpc.ping(service, timeout) for service in services))
        for service, up in zip(services, answers, strict=True):
            self.mark(service, bool(up))
        return self.states()


class HealthReportingRpc:
    """An RpcClient that tells ``health`` what every call found: unavailable or timing out marks
    the service down at once (the banner appears on the next page), any answer marks it up."""

    def __init__(self, inner: RpcClient, health: ServiceHealth) -> None:
        self.inner = inner
        self.health = health

    @property
    def connected(self) -> bool:
        return self.inner.connected

    async def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            result = await self.inner.call(service, method, *args, **kwargs)
        except (ServiceUnavailable, RpcTimeout):
            self.health.mark(service, up=False)
            raise
        except Exception:
            self.health.mark(service, up=True)  # it answered, if only with an error
            raise
        self.health.mark(service, up=True)
        return result

    async def ping(self, service: str, timeout: float = 1.0) -> bool:
        return await self.inner.ping(service, timeout)

    def __getattr__(self, name: str) -> Any:
        # Everything else (call_blocking, start/stop, ...) is the wrapped client's business.
        return getattr(self.inner, name)


class HealthMonitor:
    """Pings the services every ``interval`` seconds so the banner also goes away on its own."""

    def __init__(self, health: ServiceHealth, rpc: RpcClient, *, interval: float, timeout: float) -> None:
        self.health = health
        self.rpc = rpc
        self.interval = interval
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="service-health")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            try:
                await self.health.probe(self.rpc, self.timeout)
            except Exception:  # a probe that crashes must not end the loop
                log.warning("service health probe failed", exc_info=True)
            await asyncio.sleep(self.interval)
