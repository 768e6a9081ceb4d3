"""Opaque cursors for keyset pagination (base64 of a small JSON object)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from kernel.errors import ValidationError


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None, field: str = "cursor") -> dict[str, Any] | None:
    if cursor is None or cursor == "":
        return None
    if not isinstance(cursor, str) or len(cursor) > 2048:
        raise ValidationError.for_field(field, "is not a cursor returned by this API")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeError):
        raise ValidationError.for_field(field, "is not a cursor returned by this API") from None
    if not isinstance(value, dict):
        raise ValidationError.for_field(field, "is not a cursor returned by this API")
    return value


def page_limit(limit: Any, *, default: int = 50, maximum: int = 200, field: str = "limit") -> int:
    if limit is None:
        return default
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= maximum:
        raise ValidationError.for_field(field, f"must be an integer from 1 to {maximum}")
    return limit
