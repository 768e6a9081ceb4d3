"""A tiny nameko service the RPC client integration tests talk to over the real broker.

Run as ``python rpc_probe_service.py <service-name> <amqp-url>``; the name is unique per test run so
parallel runs and the real services never share a queue.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import sys  # noqa: E402
from typing import Any  # noqa: E402

from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError  # noqa: E402
from kernel.nameko_ext import run_service  # noqa: E402
from nameko.extensions import DependencyProvider  # noqa: E402
from nameko.rpc import rpc  # noqa: E402

EXPECTED = (ValidationError, NotFound, PermissionDenied, Conflict)


class ContextData(DependencyProvider):
    def get_dependency(self, worker_ctx: Any) -> dict[str, Any]:
        return dict(worker_ctx.context_data)


def build(name: str) -> type:
    class ProbeService:
        context = ContextData()

        @rpc
        def ping(self) -> str:
            return "pong"

        @rpc
        def echo(self, value: Any) -> Any:
            return value

        @rpc
        def context_of_call(self) -> dict[str, Any]:
            return {
                "correlation_id": self.context.get("correlation_id"),
                "stack": self.context.get("call_id_stack"),
            }

        @rpc(expected_exceptions=EXPECTED)
        def fail(self, kind: str) -> None:
            if kind == "validation":
                raise ValidationError(
                    "name: must not be empty", [{"field": "name", "message": "must not be empty"}]
                )
            if kind == "not_found":
                raise NotFound("customer x not found")
            if kind == "permission":
                raise PermissionDenied("not yours")
            if kind == "conflict":
                raise Conflict("version 1 is stale", [{"field": "version", "message": "current is 2"}])
            raise RuntimeError("boom: internal detail that must not reach the client")

        @rpc
        def slow(self, seconds: float, value: Any) -> Any:
            eventlet.sleep(seconds)
            return value

    ProbeService.name = name  # type: ignore[attr-defined]
    return ProbeService


if __name__ == "__main__":
    service_name, amqp_url = sys.argv[1], sys.argv[2]
    run_service(build(service_name), {"AMQP_URI": amqp_url, "max_workers": 20})
