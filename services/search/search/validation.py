"""Input validation of the query RPCs: every field problem reported at once, named by field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from kernel.errors import FieldErrors

from search.kinds import KNOWN_KINDS

MAX_QUERY_LENGTH = 200
MAX_LIMIT = 100
MAX_SUGGEST_LIMIT = 50
MAX_ID_LENGTH = 100


@dataclass(frozen=True)
class SearchParams:
    q: str
    kinds: tuple[str, ...] | None
    owner_id: str | None
    date_from: str | None
    date_to: str | None
    limit: int
    cursor: str | None
    facets: bool = False  # count hits per kind (an aggregation): only where they are shown


@dataclass(frozen=True)
class SuggestParams:
    q: str
    limit: int


def _query(errors: FieldErrors, q: Any, required: bool = False) -> str:
    if q is None:
        q = ""
    if not isinstance(q, str):
        errors.add("q", "must be a string")
        return ""
    q = q.strip()
    if len(q) > MAX_QUERY_LENGTH:
        errors.add("q", f"must be at most {MAX_QUERY_LENGTH} characters")
    if required and not q:
        errors.add("q", "is required")
    return q


def _limit(errors: FieldErrors, limit: Any, maximum: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= maximum:
        errors.add("limit", f"must be an integer from 1 to {maximum}")
        return 1
    return limit


def _kinds(errors: FieldErrors, kinds: Any) -> tuple[str, ...] | None:
    if kinds is None:
        return None
    if isinstance(kinds, str):
        kinds = [kinds]
    if not isinstance(kinds, list | tuple) or not all(isinstance(k, str) for k in kinds):
        errors.add("kinds", "must be a list of kinds")
        return None
    unknown = [k for k in kinds if k not in KNOWN_KINDS]
    if unknown:
        errors.add("kinds", f"unknown kind(s) {', '.join(unknown)}; known: {', '.join(KNOWN_KINDS)}")
        return None
    return tuple(dict.fromkeys(kinds)) or None


def _date(errors: FieldErrors, field: str, value: Any) -> tuple[str | None, datetime | None]:
    """ISO date or date-time → (value for ES, comparable instant). Dates stay dates so ES rounds
    ``lte`` up to the end of that day."""
    if value is None or value == "":
        return None, None
    if not isinstance(value, str):
        errors.add(field, "must be an ISO-8601 date or date-time")
        return None, None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return day.isoformat(), datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        errors.add(field, "must be an ISO-8601 date or date-time")
        return None, None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.isoformat().replace("+00:00", "Z"), moment


def validate_search(
    q: Any,
    kinds: Any = None,
    owner_id: Any = None,
    date_from: Any = None,
    date_to: Any = None,
    limit: Any = 20,
    cursor: Any = None,
    facets: Any = False,
) -> SearchParams:
    errors = FieldErrors()
    query = _query(errors, q)
    kind_filter = _kinds(errors, kinds)
    if owner_id is not None and (not isinstance(owner_id, str) or not 0 < len(owner_id) <= MAX_ID_LENGTH):
        errors.add("owner_id", "must be a user id")
    start, start_at = _date(errors, "date_from", date_from)
    end, end_at = _date(errors, "date_to", date_to)
    if start_at and end_at and start_at > end_at:
        errors.add("date_to", "must not be before date_from")
    size = _limit(errors, limit, MAX_LIMIT)
    if cursor is not None and (not isinstance(cursor, str) or not cursor or len(cursor) > 2000):
        errors.add("cursor", "is not a cursor returned by this search")
    if facets is None:
        facets = False
    if not isinstance(facets, bool):
        errors.add("facets", "must be true or false")
    errors.raise_if_any()
    return SearchParams(
        query, kind_filter, owner_id or None, start, end, size, cursor or None, facets=facets is True
    )


def validate_suggest(q: Any, limit: Any = 8) -> SuggestParams:
    errors = FieldErrors()
    query = _query(errors, q, required=True)
    size = _limit(errors, limit, MAX_SUGGEST_LIMIT)
    errors.raise_if_any()
    return SuggestParams(query, size)
