"""ASGI middleware: request observability (correlation id, RED metrics, access log) and body limits."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.context import accept_or_generate, reset_correlation_id, set_correlation_id
from gateway.metrics import HTTP_DURATION, HTTP_REQUESTS
from gateway.problems import PROBLEM_MEDIA_TYPE, problem_body
from gateway.route_table import template_for

log = logging.getLogger("gateway.access")
error_log = logging.getLogger("gateway.errors")

UNMATCHED_ROUTE = "<unmatched>"


def _route_template(scope: Scope) -> str:
    # Starlette's router records the matched route in the scope; label by its template, never
    # by the raw path, or every customer id would become its own time series.
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str) and path:
        return path
    return UNMATCHED_ROUTE


async def _send_problem(
    send: Send, status: int, detail: str, path: str, headers: list[tuple[bytes, bytes]]
) -> None:
    body = json.dumps(problem_body(status, detail=detail, instance=path), ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class ObservabilityMiddleware:
    """Outermost layer: every response - even one for an unexpected crash - gets the correlation id,
    is counted per route template, and is logged as one JSON line."""

    def __init__(self, app: ASGIApp, routes_app: Any = None) -> None:
        self.app = app
        self.routes_app = routes_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        correlation_id = accept_or_generate(request_headers.get("x-request-id"))
        token = set_correlation_id(correlation_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = correlation_id
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            error_log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not response_started:
                status = 500
                await _send_problem(
                    send,
                    500,
                    "unexpected error; quote the correlation id when reporting",
                    scope.get("path", ""),
                    [(b"x-request-id", correlation_id.encode())],
                )
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            if route == UNMATCHED_ROUTE and self.routes_app is not None:
                route = self._match(scope)
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_DURATION.labels(method, route).observe(elapsed)
            log.info(
                "%s %s %s %.1fms",
                method,
                scope.get("path"),
                status,
                elapsed * 1000,
                extra={"route": route, "status": status, "duration_ms": round(elapsed * 1000, 2)},
            )
            reset_correlation_id(token)

    def _match(self, scope: Scope) -> str:
        # A request rejected before routing (413, crash) still deserves its route label.
        return template_for(self.routes_app, scope.get("path", "")) or UNMATCHED_ROUTE


class BodyTooLarge(HTTPException):
    """An HTTPException so FastAPI re-raises it from body parsing instead of calling it a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds {limit} bytes")


class BodyLimitMiddleware:
    """Refuse bodies over ``max_bytes``: at once when Content-Length says so, else while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                await _send_problem(send, 400, "invalid Content-Length header", scope.get("path", ""), [])
                return
            if too_big:
                await _send_problem(
                    send, 413, f"request body exceeds {self.max_bytes} bytes", scope.get("path", ""), []
                )
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)
