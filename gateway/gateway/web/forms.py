"""Reading the UI's HTML forms: CSRF check, plain strings, local times, readable field errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kernel.errors import PanoramaError
from pydantic import ValidationError as PydanticValidationError
from starlette.requests import Request

from gateway.web.csrf import CSRF_FIELD, verify_csrf

MAX_FIELD_CHARS = 20_000


async def read_form(request: Request) -> dict[str, str]:
    """The posted fields (first value each, uploads ignored) after the CSRF check."""
    form = await request.form(max_files=0, max_fields=100)
    verify_csrf(request, form.get(CSRF_FIELD))
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str) and key not in values and key != CSRF_FIELD:
            values[key] = value[:MAX_FIELD_CHARS]
    return values


def optional(values: dict[str, str], key: str) -> str | None:
    value = values.get(key, "").strip()
    return value or None


def split_list(value: str) -> list[str]:
    """ "a, b，c" (ASCII or full-width commas) -> ["a", "b", "c"]."""
    return [part.strip() for part in value.replace("，", ",").split(",") if part.strip()]


def local_to_utc(value: str | None, tz: str) -> str | None:
    """``2026-11-23T09:30`` typed in the user's zone -> aware ISO-8601; unparseable stays as is so the
    validator names the field."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.isoformat()


def form_errors(exc: Exception) -> list[dict[str, Any]]:
    """Field errors from our request models or from a service, in one shape."""
    if isinstance(exc, PydanticValidationError):
        return [
            {"field": ".".join(str(p) for p in err["loc"]), "message": str(err["msg"])}
            for err in exc.errors()
        ]
    if isinstance(exc, PanoramaError):
        return exc.errors or [{"field": "", "message": exc.detail}]
    return [{"field": "", "message": str(exc)}]
