"""Turns every error into problem+json (API) or an error page (browser); never a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from kernel.errors import PanoramaError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from gateway.problems import problem_response
from gateway.route_table import allowed_methods
from gateway.rpc_errors import RpcError

log = logging.getLogger(__name__)

# The web UI registers one of these so browsers get HTML instead of JSON.
HtmlErrorRenderer = Callable[
    [Request, int, str, str | None, list[dict[str, Any]], dict[str, str]], Awaitable[Response]
]

_NON_HTML_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics", "/static/", "/openapi.json", "/docs")


def wants_html(request: Request) -> bool:
    """Pages answer errors with pages; the API (and clients that ask for JSON) with problem+json."""
    if request.url.path.startswith(_NON_HTML_PREFIXES):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept or request.headers.get("hx-request") == "true" or "json" not in accept


async def render_error(
    request: Request,
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    renderer: HtmlErrorRenderer | None = getattr(request.app.state, "html_error_renderer", None)
    if renderer is not None and wants_html(request):
        return await renderer(request, status, title or "", detail, errors or [], headers or {})
    return problem_response(
        status, title=title, detail=detail, errors=errors, instance=request.url.path, headers=headers
    )


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    # "body.name" reads worse than "name"; query/path/header parameters are named by themselves.
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_errors(exc: RequestValidationError) -> tuple[int, str, list[dict[str, Any]]]:
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        first = next(e for e in raw if e.get("type") == "json_invalid")
        reason = (first.get("ctx") or {}).get("error", "invalid JSON")
        return 400, f"Malformed JSON body: {reason}", [{"field": "body", "message": str(reason)}]
    errors = []
    for err in raw:
        message = str(err.get("msg", "invalid"))
        if err.get("type") == "extra_forbidden":
            message = "is not a known field"
        errors.append({"field": _field_name(err.get("loc", ())), "message": message})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return 422, detail, errors


def install_error_handlers(app: FastAPI) -> None:
    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        status, detail, errors = validation_errors(exc)
        title = "Malformed request" if status == 400 else "Validation failed"
        return await render_error(request, status, title=title, detail=detail, errors=errors)

    async def on_panorama(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PanoramaError)
        headers = getattr(exc, "headers", None) or {}
        return await render_error(
            request, exc.status, title=exc.title, detail=exc.detail, errors=exc.errors, headers=headers
        )

    async def on_rpc(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RpcError)
        log.warning("rpc %s.%s failed: %s", exc.service, exc.method, exc.detail)
        return await render_error(request, exc.status, title=exc.title, detail=exc.detail)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else None
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.url.path}"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
            headers["Allow"] = ", ".join(sorted(allowed_methods(request.app, request.url.path)))
        return await render_error(request, exc.status_code, detail=detail, headers=headers)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return await render_error(
            request,
            500,
            title="Internal error",
            detail="unexpected error; quote the correlation id when reporting",
        )

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(PanoramaError, on_panorama)
    app.add_exception_handler(RpcError, on_rpc)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
