"""List RPCs the house way: validated filters, newest first, keyset cursor on the time-ordered
id, and only what the caller may read, decided in SQL from the kind's read policy."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from kernel.access import AccessPolicy
from kernel.access_sql import visible
from kernel.cursor import decode_cursor, encode_cursor, page_limit
from kernel.errors import FieldErrors, ValidationError
from kernel.identity import Caller


def read_filters(
    filters: Any, known: Sequence[str], choices: Mapping[str, Collection[str]]
) -> dict[str, str]:
    """A list call's filters: known keys, string values, choices where the value is a code."""
    if filters is None:
        return {}
    if not isinstance(filters, dict):
        raise ValidationError.for_field("filters", "must be an object")
    errors = FieldErrors()
    cleaned: dict[str, str] = {}
    for key, value in filters.items():
        if key not in known:
            errors.add(f"filters.{key}", "is not a known filter")
        elif value is None or value == "":
            continue
        elif not isinstance(value, str) or len(value) > 64:
            errors.add(f"filters.{key}", "must be a string of at most 64 characters")
        elif key in choices and value not in choices[key]:
            errors.add(f"filters.{key}", f"must be one of {', '.join(choices[key])}")
        else:
            cleaned[key] = value
    errors.raise_if_any()
    return cleaned


def paged(
    session: Session,
    caller: Caller,
    model: Any,
    policy: AccessPolicy,
    filters: Mapping[str, Any],
    cursor: Any,
    limit: Any,
    *,
    where: Sequence[ColumnElement[bool]] = (),
) -> tuple[list[Any], str | None]:
    """Newest first, keyset on the time-ordered id, only what the caller may read (in SQL).

    ``filters`` are equalities on the model's columns of the same name; ``where`` anything else.
    The policy's fields must be columns of the model.
    """
    size = page_limit(limit)
    after = decode_cursor(cursor)
    columns = {name: getattr(model, name) for name in policy.fields}
    stmt: Select[Any] = select(model).where(visible(policy, caller, columns), *where)
    for key, value in filters.items():
        stmt = stmt.where(getattr(model, key) == value)
    if after is not None:
        last = after["id"]
        if not isinstance(last, str):
            raise ValidationError.for_field("cursor", "is not a cursor returned by this API")
        stmt = stmt.where(model.id < last)
    rows = list(session.scalars(stmt.order_by(model.id.desc()).limit(size + 1)))
    next_cursor = encode_cursor({"id": rows[size - 1].id}) if len(rows) > size else None
    return rows[:size], next_cursor
