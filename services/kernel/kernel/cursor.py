"""Opaque cursors for keyset pagination: a small JSON position, HMAC-signed.

The signature (a key derived from the identity key, see ``kernel.signing``) means a cursor is
either one this system handed out or a 422 naming ``cursor``: a forged or edited position can
never reach a query as a value of the wrong type or shape.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from kernel.errors import ValidationError
from kernel.signing import SigningKeys, signing_keys

MAX_CURSOR_LENGTH = 2048
_TAG_BYTES = 16  # 128-bit tag: unforgeable, and keeps cursors short in URLs
_NOT_OURS = "is not a cursor returned by this API"


class Position(dict[str, Any]):
    """A decoded position; a key it lacks (a cursor from another list) is the client's error."""

    field = "cursor"

    def __missing__(self, key: str) -> Any:
        raise ValidationError.for_field(self.field, "belongs to a different list")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))


def _tag(key: bytes, body: str) -> bytes:
    return hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()[:_TAG_BYTES]


def encode_cursor(position: dict[str, Any], *, keys: SigningKeys | None = None) -> str:
    raw = json.dumps(position, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    body = _b64(raw)
    return f"{body}.{_b64(_tag((keys or signing_keys()).cursor, body))}"


def decode_cursor(cursor: Any, field: str = "cursor") -> Position | None:
    if cursor is None or cursor == "":
        return None
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_LENGTH or cursor.count(".") != 1:
        raise ValidationError.for_field(field, _NOT_OURS)
    body, tag = cursor.split(".")
    try:
        if not body.isascii() or not hmac.compare_digest(_unb64(tag), _tag(signing_keys().cursor, body)):
            raise ValidationError.for_field(field, _NOT_OURS)
        value = json.loads(_unb64(body))
    except (binascii.Error, ValueError, UnicodeError):
        raise ValidationError.for_field(field, _NOT_OURS) from None
    if not isinstance(value, dict):
        raise ValidationError.for_field(field, _NOT_OURS)
    position = Position(value)
    position.field = field
    return position


def page_limit(limit: Any, *, default: int = 50, maximum: int = 200, field: str = "limit") -> int:
    if limit is None:
        return default
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= maximum:
        raise ValidationError.for_field(field, f"must be an integer from 1 to {maximum}")
    return limit
