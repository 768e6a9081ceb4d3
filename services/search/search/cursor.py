"""Opaque paging cursors: the ``search_after`` sort values of the last hit, bound to the query.

Signed like every other cursor (``kernel.cursor``), so a forged one never reaches
Elasticsearch; the binding (a short hash of the query, its filters and the caller) turns a
cursor replayed against a different query into a clear validation error instead of a silently
odd page.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kernel.cursor import decode_cursor as decode_position
from kernel.cursor import encode_cursor as encode_position
from kernel.errors import ValidationError


def query_fingerprint(*parts: Any) -> str:
    raw = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:12]


def encode_cursor(sort_values: list[Any], fingerprint: str) -> str:
    return encode_position({"after": sort_values, "q": fingerprint})


def decode_cursor(cursor: str, fingerprint: str) -> list[Any]:
    position = decode_position(cursor)
    if position is None:
        raise ValidationError.for_field("cursor", "is not a cursor returned by this search")
    after = position.get("after")
    if not isinstance(after, list) or not after or not all(isinstance(v, str | int | float) for v in after):
        raise ValidationError.for_field("cursor", "is not a cursor returned by this search")
    if position.get("q") != fingerprint:
        raise ValidationError.for_field("cursor", "belongs to a different query")
    return after
