"""Small helpers the handlers share: loading with the right answer, versions, pages."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, TypeVar

from kernel.audit import Changes, diff
from kernel.cursor import decode_cursor, encode_cursor
from kernel.errors import FieldErrors, NotFound, ValidationError
from kernel.repository import check_version as kernel_check_version

from customers.domain import rules
from customers.domain.fields import require_mapping
from customers.ports import CustomersUnit, Namesake, Owner, Position
from customers.storage.models import CustomerRow, DirectoryUserRow

U = TypeVar("U", DirectoryUserRow, Owner)


def ownership(customer: CustomerRow | Namesake) -> rules.Ownership:
    return rules.Ownership(owner_id=customer.owner_id, team_id=customer.team_id)


def require_id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError.for_field(field, "must be a non-empty string")
    return value


def load_customer(unit: CustomersUnit, customer_id: Any, *, lock: bool = False) -> CustomerRow:
    """``lock``: the customer is the first lock a write takes (children come after it, by id)."""
    row = unit.customers.get(require_id(customer_id, "customer_id"), lock=lock)
    if row is None:
        raise NotFound(f"customer {customer_id} does not exist")
    return row


def active_user(unit: CustomersUnit, user_id: str, field: str) -> DirectoryUserRow:
    return require_active(unit.users.get(user_id), user_id, field)


def require_active(user: U | None, user_id: str, field: str) -> U:
    if user is None or not user.active:
        raise ValidationError.for_field(field, f"unknown or inactive user {user_id!r}")
    return user


def check_version(row: Any, expected_version: Any) -> None:
    kernel_check_version(row, expected_version, noun="record")


def changes(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    return diff(before, after, ignore=("version", "updated_at"))


def position(cursor: Any, *, timeline: bool = False) -> Position | None:
    """Where a page continues; a cursor this API did not hand out is a 422 naming ``cursor``."""
    value = decode_cursor(cursor)
    if value is None:
        return None
    entity_id, at = value.get("id"), value.get("t")
    bad = not isinstance(entity_id, str)
    moment = None
    if timeline:
        try:
            moment = datetime.fromisoformat(at.replace("Z", "+00:00")) if isinstance(at, str) else None
        except ValueError:
            moment = None
        bad = bad or moment is None or moment.tzinfo is None
    if bad:
        raise ValidationError.for_field("cursor", "is not a cursor returned by this API")
    return Position(id=entity_id, at=moment)  # type: ignore[arg-type]


def page(items: list[dict[str, Any]], rows: Sequence[Any], size: int) -> dict[str, Any]:
    """``rows`` was fetched with ``size + 1``: one more means there is a next page."""
    next_cursor = encode_cursor({"id": items[-1]["id"]}) if len(rows) > size and items else None
    return {"items": items, "next_cursor": next_cursor}


def list_filters(filters: Any, known: Collection[str]) -> tuple[dict[str, Any], FieldErrors]:
    """A list call's ``filters`` object, and errors naming each key it does not know (the caller
    adds its own checks of the values, then raises)."""
    filters = require_mapping(filters or {}, "filters")
    errors = FieldErrors()
    for key in filters:
        if key not in known:
            errors.add(f"filters.{key}", "is not a known filter")
    return filters, errors
