"""Query, path and header parameters shared by the resource routes (Annotated, so every route gets
its own copy: FastAPI fills in names on the FieldInfo, and a shared instance would leak them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path, Query

RecordId = Annotated[str, Path(min_length=1, max_length=64, description="Record id")]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Cursor = Annotated[
    str | None, Query(min_length=1, max_length=2048, description="`next_cursor` of the previous page")
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=64,
        pattern=r'^(\*|(W/)?"[0-9]{1,18}")$',
        description='Expected version as an entity tag, e.g. "3" (the ETag); a stale one gives 409',
    ),
]


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        pattern=r"^[\x21-\x7e]{1,255}$",
        description=(
            "Any unique string (e.g. a UUID) of your choosing: a retry with the same key and the same "
            "request returns the first result (header `Idempotent-Replayed: true`) instead of writing "
            "again; the same key with a different request is 422, while the first is still running "
            "409. Keys are remembered for 24 hours, per user."
        ),
    ),
]


def me_or(user_id: str, value: str | None) -> str | None:
    """``me`` is a handy alias for the caller's own id in owner/assignee filters."""
    return user_id if value == "me" else value
