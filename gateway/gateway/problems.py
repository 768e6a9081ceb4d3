"""RFC 9457 problem details: the one error format of the REST API."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from gateway.context import get_correlation_id

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldProblem(BaseModel):
    field: str = Field(description="Dotted path of the offending input, e.g. `name` or `phones.0`")
    message: str


class Problem(BaseModel):
    type: str = Field(
        description="URI identifying the problem type", examples=["urn:panorama:problem:validation"]
    )
    title: str
    status: int
    detail: str | None = None
    instance: str | None = Field(default=None, description="The request path")
    correlation_id: str | None = Field(default=None, description="Also in the X-Request-ID response header")
    errors: list[FieldProblem] = Field(default_factory=list)


_SLUGS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "permission-denied",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "content-too-large",
    415: "unsupported-media-type",
    422: "validation",
    428: "precondition-required",
    429: "too-many-requests",
    500: "internal",
    502: "service-error",
    503: "service-unavailable",
    504: "service-timeout",
}


def problem_type(status: int) -> str:
    return f"urn:panorama:problem:{_SLUGS.get(status, str(status))}"


def status_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_body(
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    instance: str | None = None,
) -> dict[str, Any]:
    return {
        "type": problem_type(status),
        "title": title or status_title(status),
        "status": status,
        "detail": detail,
        "instance": instance,
        "correlation_id": get_correlation_id(),
        "errors": errors or [],
    }


def problem_response(
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, title=title, detail=detail, errors=errors, instance=instance),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _doc(status: int, description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {PROBLEM_MEDIA_TYPE: {}}}


# Error responses every authenticated API route can produce (for the OpenAPI document).
COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _doc(400, "Malformed request (e.g. invalid JSON)"),
    401: _doc(401, "Missing, invalid or expired bearer token"),
    403: _doc(403, "Your role does not allow this"),
    413: _doc(413, "Request body too large"),
    422: _doc(422, "Invalid input; `errors` names each field"),
    500: _doc(500, "Unexpected gateway error"),
    502: _doc(502, "A backing service failed"),
    503: _doc(503, "A backing service or the message broker is unavailable"),
    504: _doc(504, "A backing service did not answer in time"),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _doc(404, "No such record, or not visible to you")}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: _doc(409, "Stale version (If-Match) or a clash with existing data")
}
TOO_MANY: dict[int | str, dict[str, Any]] = {
    429: _doc(429, "Too many failed logins; see Retry-After"),
    503: _doc(503, "Too many logins at once; see Retry-After"),
}
