"""Errors only the gateway raises (the shared ones are in kernel.errors)."""

from __future__ import annotations

from typing import Any

from kernel.errors import PanoramaError


class Unauthenticated(PanoramaError):
    status = 401
    title = "Authentication required"

    def __init__(
        self, detail: str = "a valid bearer token is required", errors: list[dict[str, Any]] | None = None
    ):
        super().__init__(detail, errors)
        self.headers = {"WWW-Authenticate": 'Bearer realm="panorama"'}


class RetryLater(PanoramaError):
    """Refused for now; ``Retry-After`` says in how many seconds to try again."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class TooManyRequests(RetryLater):
    status = 429
    title = "Too many requests"


class ServiceBusy(RetryLater):
    status = 503
    title = "Busy"


class BadRequest(PanoramaError):
    status = 400
    title = "Bad request"


class CsrfFailed(PanoramaError):
    status = 403
    title = "Form expired"
