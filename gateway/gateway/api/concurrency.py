"""Optimistic concurrency over HTTP: ETag carries the record version, If-Match the expected one."""

from __future__ import annotations

import re
from typing import Any

from fastapi.responses import JSONResponse
from kernel.errors import ValidationError

_ENTITY_TAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(value: str | None) -> int | None:
    """``"3"`` -> 3; absent or ``*`` -> None (no precondition)."""
    if value is None:
        return None
    value = value.strip()
    if value in {"", "*"}:
        return None
    match = _ENTITY_TAG.match(value)
    if match is None:
        raise ValidationError.for_field("If-Match", 'must be the ETag of the record, e.g. "3"')
    return int(match.group(1))


def expected_version(if_match: str | None, body_version: int | None) -> int | None:
    header_version = parse_if_match(if_match)
    if header_version is not None and body_version is not None and header_version != body_version:
        raise ValidationError.for_field("version", "disagrees with the If-Match header")
    return header_version if header_version is not None else body_version


def record_response(
    record: dict[str, Any], status_code: int = 200, location: str | None = None
) -> JSONResponse:
    headers = {}
    version = record.get("version")
    if isinstance(version, int):
        headers["ETag"] = etag(version)
    if location:
        headers["Location"] = location
    return JSONResponse(record, status_code=status_code, headers=headers)
