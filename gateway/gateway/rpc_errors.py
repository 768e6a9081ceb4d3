"""Errors of the RPC transport, and the mapping of nameko error replies to kernel error types."""

from __future__ import annotations

import logging
from typing import Any

from kernel.errors import ERROR_TYPES, PanoramaError

log = logging.getLogger(__name__)


class RpcError(Exception):
    """The call did not produce a domain answer; ``status`` is what the HTTP client sees."""

    status = 502
    title = "Service error"

    def __init__(self, service: str, method: str, detail: str) -> None:
        self.service = service
        self.method = method
        self.detail = detail
        super().__init__(detail)


class ServiceUnavailable(RpcError):
    """Nobody consumes the service's queue, or the broker connection is down."""

    status = 503
    title = "Service unavailable"

    def __init__(self, service: str, method: str, detail: str | None = None) -> None:
        super().__init__(service, method, detail or f"{service} service unavailable")


class RpcTimeout(RpcError):
    status = 504
    title = "Service timeout"

    def __init__(self, service: str, method: str, timeout: float) -> None:
        self.timeout = timeout
        super().__init__(service, method, f"{service} service did not answer within {timeout:g} s")


class RemoteServiceError(RpcError):
    """The service crashed or rejected the call itself (unexpected exception, bad signature)."""

    status = 502
    title = "Service error"

    def __init__(self, service: str, method: str, exc_type: str | None = None) -> None:
        self.exc_type = exc_type
        super().__init__(service, method, f"{service} service failed to handle the request")


def _field_errors(raw: Any) -> list[dict[str, Any]]:
    """Keep only well-formed ``{field, message}`` items: the reply crossed a process boundary."""
    if not isinstance(raw, list):
        return []
    cleaned = []
    for item in raw:
        if (
            isinstance(item, dict)
            and isinstance(item.get("field"), str)
            and isinstance(item.get("message"), str)
        ):
            cleaned.append({"field": item["field"], "message": item["message"]})
    return cleaned


def error_from_reply(service: str, method: str, error: Any) -> Exception:
    """Rebuild the typed error a service raised; anything else becomes a 502 service error."""
    if not isinstance(error, dict):
        return RemoteServiceError(service, method, None)
    exc_type = error.get("exc_type")
    exc_path = error.get("exc_path")
    cls = ERROR_TYPES.get(exc_type) if isinstance(exc_type, str) else None
    # A same-named class from elsewhere (pydantic's ValidationError!) is a crash, not a domain answer.
    if cls is not None and (exc_path is None or exc_path == f"kernel.errors.{exc_type}"):
        args = error.get("exc_args") or []
        detail = args[0] if args and isinstance(args[0], str) else error.get("value") or cls.title
        errors = _field_errors(args[1]) if len(args) > 1 else []
        mapped: PanoramaError = cls(str(detail), errors)
        return mapped
    log.error(
        "rpc %s.%s failed remotely: %s (%s): %s",
        service,
        method,
        exc_type,
        exc_path,
        str(error.get("value"))[:500],
    )
    return RemoteServiceError(service, method, exc_type if isinstance(exc_type, str) else None)
