"""Field validators: each returns the cleaned value or records a message naming the field."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from kernel.errors import FieldErrors

_MISSING = object()
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_PHONE_CHARS = re.compile(r"^\+?[0-9 ()\-]+(?:\s*(?:ext|转|x)\s*[0-9]{1,6})?$", re.IGNORECASE)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_LEGACY_TAX_ID = re.compile(r"^[0-9A-Z]{15}$|^[0-9A-Z]{20}$")


def text(errors: FieldErrors, field: str, value: Any, *, max_len: int, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(field, "must not be empty")
        return None
    if not isinstance(value, str):
        errors.add(field, "must be a string")
        return None
    value = value.strip()
    if len(value) > max_len:
        errors.add(field, f"must be at most {max_len} characters")
        return None
    return value


def choice(errors: FieldErrors, field: str, value: Any, allowed: tuple[str, ...], *, required: bool = False):  # type: ignore[no-untyped-def]
    if value is None:
        if required:
            errors.add(field, "is required")
        return None
    if value not in allowed:
        errors.add(field, f"must be one of {', '.join(allowed)}")
        return None
    return value


def boolean(errors: FieldErrors, field: str, value: Any) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        errors.add(field, "must be true or false")
        return None
    return value


def string_list(
    errors: FieldErrors, field: str, value: Any, *, max_items: int, max_len: int
) -> list[str] | None:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.add(field, "must be a list of strings")
        return None
    cleaned: list[str] = []
    for item in value:
        item = item.strip()
        if not item:
            continue
        if len(item) > max_len:
            errors.add(field, f"items must be at most {max_len} characters")
            return None
        if item not in cleaned:
            cleaned.append(item)
    if len(cleaned) > max_items:
        errors.add(field, f"must have at most {max_items} items")
        return None
    return cleaned


def phones(errors: FieldErrors, field: str, value: Any) -> list[str] | None:
    items = string_list(errors, field, value, max_items=10, max_len=40)
    if items is None:
        return None
    for item in items:
        digits = sum(ch.isdigit() for ch in item)
        if not _PHONE_CHARS.match(item) or not 5 <= digits <= 20:
            errors.add(field, f"{item!r} is not a phone number")
            return None
    return items


def emails(errors: FieldErrors, field: str, value: Any) -> list[str] | None:
    items = string_list(errors, field, value, max_items=10, max_len=254)
    if items is None:
        return None
    cleaned = []
    for item in items:
        if not _EMAIL.match(item):
            errors.add(field, f"{item!r} is not an email address")
            return None
        local, _, domain = item.rpartition("@")
        cleaned.append(f"{local}@{domain.lower()}")
    return cleaned


def uscc_is_valid(code: str) -> bool:
    """GB 32100-2015 unified social credit code: 18 chars with a mod-31 check character."""
    if len(code) != 18 or any(ch not in _USCC_ALPHABET for ch in code):
        return False
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    check = (31 - total % 31) % 31
    return _USCC_ALPHABET[check] == code[17]


def tax_id(errors: FieldErrors, field: str, value: Any) -> str | None:
    raw = text(errors, field, value, max_len=32)
    if raw is None:
        return None
    code = raw.replace(" ", "").upper()
    if len(code) == 18:
        if not uscc_is_valid(code):
            errors.add(field, "is not a valid unified social credit code (check character mismatch)")
            return None
        return code
    if _LEGACY_TAX_ID.match(code):
        return code  # pre-2015 tax registration numbers carry no check character
    errors.add(field, "must be an 18-character unified social credit code or a 15/20-character tax id")
    return None


def _parse_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


def timestamp(errors: FieldErrors, field: str, value: Any, *, required: bool = False) -> datetime | None:
    if value is None:
        if required:
            errors.add(field, "is required")
        return None
    moment = _parse_datetime(value)
    if moment is None:
        errors.add(field, "must be an ISO-8601 date-time with a time zone, e.g. 2026-11-23T09:30:00+08:00")
    return moment


def day(errors: FieldErrors, field: str, value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors.add(field, "must be an ISO-8601 date, e.g. 2026-11-30")
    return None


def reject_unknown(errors: FieldErrors, payload: dict[str, Any], allowed: set[str], prefix: str = "") -> None:
    for key in payload:
        if key not in allowed:
            errors.add(f"{prefix}{key}", "is not a known field")


def require_mapping(payload: Any, field: str = "data") -> dict[str, Any]:
    if not isinstance(payload, dict):
        errors = FieldErrors()
        errors.add(field, "must be an object")
        errors.raise_if_any()
    return payload  # type: ignore[no-any-return]
