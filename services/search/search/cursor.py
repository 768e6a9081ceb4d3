"""Opaque paging cursors: the ``search_after`` sort values of the last hit, bound to the query.

The binding (a short hash of the query, its filters and the caller) turns a cursor replayed
against a different query into a clear validation error instead of a silently odd page.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from kernel.errors import ValidationError


def query_fingerprint(*parts: Any) -> str:
    raw = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:12]


def encode_cursor(sort_values: list[Any], fingerprint: str) -> str:
    raw = json.dumps({"after": sort_values, "q": fingerprint}, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, fingerprint: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        after = payload["after"]
        bound = payload["q"]
    except (ValueError, KeyError, TypeError, UnicodeError) as exc:
        raise ValidationError.for_field("cursor", "is not a cursor returned by this search") from exc
    if not isinstance(after, list) or not after or not all(isinstance(v, str | int | float) for v in after):
        raise ValidationError.for_field("cursor", "is not a cursor returned by this search")
    if bound != fingerprint:
        raise ValidationError.for_field("cursor", "belongs to a different query")
    return after
