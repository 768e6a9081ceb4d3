"""Validation of an opportunity's fields (create and update), pure: every problem of one input is
named by its field at once. The stage is not a field here: it moves only through ``stages``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from kernel.errors import FieldErrors, ValidationError

from sales.contracts.common import DEFAULT_CURRENCY
from sales.contracts.opportunities import LOST_REASON_CODE, MAX_LEN

MAX_AMOUNT = 10**15
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_REASON_CODE = re.compile(LOST_REASON_CODE)
ID_MAX = 64

CREATE_FIELDS = frozenset(
    {"customer_id", "title", "amount_minor", "currency", "expected_close_date", "owner_id", "notes"}
)
UPDATE_FIELDS = CREATE_FIELDS - {"customer_id"}


def require_mapping(value: Any, field: str = "data") -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError.for_field(field, "must be an object")
    return dict(value)


def _unknown(errors: FieldErrors, data: Mapping[str, Any], known: frozenset[str]) -> None:
    for key in data:
        if key == "stage":
            errors.add("stage", "is changed only by a stage move (POST /opportunities/{id}/stage)")
        elif key not in known:
            errors.add(str(key), "is not a field of an opportunity")


def _text(errors: FieldErrors, field: str, value: Any, *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(field, "must not be empty")
        return None
    if not isinstance(value, str):
        errors.add(field, "must be a string")
        return None
    value = value.strip()
    if len(value) > MAX_LEN[field]:
        errors.add(field, f"must be at most {MAX_LEN[field]} characters")
        return None
    return value


def _identifier(errors: FieldErrors, field: str, value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value) > ID_MAX:
        errors.add(field, f"must be a non-empty string of at most {ID_MAX} characters")
        return None
    return value.strip()


def amount(errors: FieldErrors, value: Any, field: str = "amount_minor") -> int | None:
    # bool is an int in Python; money is never a float (minor units are whole numbers).
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(field, "must be an integer amount in minor units (分)")
        return None
    if not 0 <= value <= MAX_AMOUNT:
        errors.add(field, f"must be from 0 to {MAX_AMOUNT}")
        return None
    return value


def currency(errors: FieldErrors, value: Any) -> str | None:
    if not isinstance(value, str) or not _CURRENCY.match(value.strip().upper()):
        errors.add("currency", "must be an ISO 4217 code such as CNY")
        return None
    return value.strip().upper()


def day(errors: FieldErrors, field: str, value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors.add(field, "must be a date (YYYY-MM-DD)")
    return None


def clean_create(data: Any) -> dict[str, Any]:
    """The fields of a new opportunity, defaults filled in (owner: left to the use case)."""
    data = require_mapping(data)
    errors = FieldErrors()
    _unknown(errors, data, CREATE_FIELDS)
    values: dict[str, Any] = {
        "customer_id": _identifier(errors, "customer_id", data.get("customer_id")),
        "title": _text(errors, "title", data.get("title"), required=True),
        "amount_minor": 0 if data.get("amount_minor") is None else amount(errors, data["amount_minor"]),
        "currency": DEFAULT_CURRENCY if data.get("currency") is None else currency(errors, data["currency"]),
        "expected_close_date": None,
        "owner_id": None,
        "notes": _text(errors, "notes", data.get("notes")),
    }
    if data.get("expected_close_date") is not None:
        values["expected_close_date"] = day(errors, "expected_close_date", data["expected_close_date"])
    if data.get("owner_id") is not None:
        values["owner_id"] = _identifier(errors, "owner_id", data["owner_id"])
    errors.raise_if_any()
    return values


def clean_update(changes: Any) -> dict[str, Any]:
    """Only the fields given; ``None`` clears the optional ones (close date, notes)."""
    changes = require_mapping(changes, "changes")
    errors = FieldErrors()
    _unknown(errors, changes, UPDATE_FIELDS)
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in UPDATE_FIELDS:
            continue
        if key == "title":
            values[key] = _text(errors, "title", value, required=True)
        elif key == "notes":
            values[key] = _text(errors, "notes", value)
        elif key == "amount_minor":
            values[key] = amount(errors, value)
        elif key == "currency":
            values[key] = currency(errors, value)
        elif key == "expected_close_date":
            values[key] = None if value is None else day(errors, key, value)
        elif key == "owner_id":
            values[key] = _identifier(errors, key, value)
    errors.raise_if_any()
    return values


def clean_lost_note(value: Any) -> str | None:
    errors = FieldErrors()
    note = _text(errors, "lost_note", value)
    errors.raise_if_any()
    return note


def clean_lost_reason_code(value: Any) -> str:
    if not isinstance(value, str) or not _REASON_CODE.match(value):
        raise ValidationError.for_field("code", "must be 2–40 lowercase letters, digits or _ (starting a-z)")
    return value


def clean_reason_label(errors: FieldErrors, value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > 100:
        errors.add("label", "must be a non-empty string of at most 100 characters")
        return None
    return value.strip()


def clean_position(errors: FieldErrors, value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
        errors.add("position", "must be an integer from 0 to 10000")
        return None
    return value


def clean_probabilities(value: Any, open_stages: tuple[str, ...]) -> dict[str, int]:
    """Per open stage, a whole percent 0–100 (won and lost are 100 and 0 by definition)."""
    data = require_mapping(value, "probabilities")
    errors = FieldErrors()
    cleaned: dict[str, int] = {}
    for stage, pct in data.items():
        field = f"probabilities.{stage}"
        if stage not in open_stages:
            errors.add(field, f"is not an open stage ({', '.join(open_stages)}); won and lost are fixed")
        elif isinstance(pct, bool) or not isinstance(pct, int) or not 0 <= pct <= 100:
            errors.add(field, "must be a whole percent from 0 to 100")
        else:
            cleaned[stage] = pct
    if not data:
        errors.add("probabilities", "must name at least one stage")
    errors.raise_if_any()
    return cleaned
