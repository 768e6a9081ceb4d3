"""Validation of create/update payloads: everything wrong is reported at once, by field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kernel.errors import FieldErrors
from kernel.schema import ID_MAX, TAG_MAX

from customers import contracts as c
from customers.domain import fields as f

Cleaner = Callable[[FieldErrors, str, Any], Any]
# Limits are published in the contract (the gateway documents and checks the same numbers).
_C, _P, _F, _T = (c.MAX_LEN[kind] for kind in ("customer", "contact", "follow_up", "task"))

# field -> (cleaner, required on create, default on create)
CUSTOMER_FIELDS: dict[str, tuple[Cleaner, bool, Any]] = {
    "name": (lambda e, k, v: f.text(e, k, v, max_len=_C["name"], required=True), True, None),
    "short_name": (lambda e, k, v: f.text(e, k, v, max_len=_C["short_name"]), False, None),
    "tax_id": (f.tax_id, False, None),
    "industry": (lambda e, k, v: f.text(e, k, v, max_len=_C["industry"]), False, None),
    "size": (lambda e, k, v: f.choice(e, k, v, c.COMPANY_SIZES), False, None),
    "region": (lambda e, k, v: f.text(e, k, v, max_len=_C["region"]), False, None),
    "address": (lambda e, k, v: f.text(e, k, v, max_len=_C["address"]), False, None),
    "source": (lambda e, k, v: f.text(e, k, v, max_len=_C["source"]), False, None),
    "status": (lambda e, k, v: f.choice(e, k, v, c.LIFECYCLE_STATUSES, required=True), False, "prospect"),
    "value_tier": (lambda e, k, v: f.choice(e, k, v, c.VALUE_TIERS, required=True), False, "normal"),
    "tags": (lambda e, k, v: f.string_list(e, k, v, max_items=_C["tags"], max_len=TAG_MAX), False, []),
    "owner_id": (lambda e, k, v: f.text(e, k, v, max_len=ID_MAX, required=True), False, None),
}

CONTACT_FIELDS: dict[str, tuple[Cleaner, bool, Any]] = {
    "name": (lambda e, k, v: f.text(e, k, v, max_len=_P["name"], required=True), True, None),
    "title": (lambda e, k, v: f.text(e, k, v, max_len=_P["title"]), False, None),
    "role": (lambda e, k, v: f.choice(e, k, v, c.CONTACT_ROLES), False, None),
    "phones": (f.phones, False, []),
    "emails": (f.emails, False, []),
    "wechat_id": (lambda e, k, v: f.text(e, k, v, max_len=_P["wechat_id"]), False, None),
    "is_primary": (lambda e, k, v: f.boolean(e, k, v), False, False),
}

FOLLOW_UP_FIELDS: dict[str, tuple[Cleaner, bool, Any]] = {
    "channel": (lambda e, k, v: f.choice(e, k, v, c.FOLLOW_UP_CHANNELS, required=True), True, None),
    "occurred_at": (lambda e, k, v: f.timestamp(e, k, v, required=True), False, None),
    "content": (lambda e, k, v: f.text(e, k, v, max_len=_F["content"], required=True), True, None),
    "contact_id": (lambda e, k, v: f.text(e, k, v, max_len=ID_MAX), False, None),
    "next_follow_up_on": (f.day, False, None),
}

TASK_FIELDS: dict[str, tuple[Cleaner, bool, Any]] = {
    "title": (lambda e, k, v: f.text(e, k, v, max_len=_T["title"], required=True), True, None),
    "due_at": (lambda e, k, v: f.timestamp(e, k, v, required=True), True, None),
    "assignee_id": (lambda e, k, v: f.text(e, k, v, max_len=ID_MAX), False, None),
    "status": (lambda e, k, v: f.choice(e, k, v, c.TASK_STATUSES, required=True), False, "open"),
    "customer_id": (lambda e, k, v: f.text(e, k, v, max_len=ID_MAX, required=True), True, None),
}


def clean(
    spec: dict[str, tuple[Cleaner, bool, Any]],
    payload: Any,
    *,
    partial: bool,
    immutable: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Validate ``payload`` against ``spec``; a create fills defaults, an update keeps only given keys."""
    field_name = "changes" if partial else "data"
    payload = f.require_mapping(payload, field_name)
    errors = FieldErrors()
    f.reject_unknown(errors, payload, set(spec))
    if partial:
        for key in immutable:
            if key in payload:
                errors.add(key, "cannot be changed here")
    cleaned: dict[str, Any] = {}
    for key, (cleaner, required, default) in spec.items():
        if key in payload:
            value = cleaner(errors, key, payload[key])
            cleaned[key] = value
        elif not partial:
            if required:
                errors.add(key, "is required")
            cleaned[key] = list(default) if isinstance(default, list) else default
    errors.raise_if_any()
    if partial and not cleaned:
        errors.add(field_name, "no changes given")
        errors.raise_if_any()
    return cleaned


def clean_customer(payload: Any, *, partial: bool = False) -> dict[str, Any]:
    # Ownership moves only through transfer_customers, so it is audited as a transfer.
    return clean(CUSTOMER_FIELDS, payload, partial=partial, immutable=("owner_id",))


def clean_contact(payload: Any, *, partial: bool = False) -> dict[str, Any]:
    return clean(CONTACT_FIELDS, payload, partial=partial)


def clean_follow_up(payload: Any, *, partial: bool = False) -> dict[str, Any]:
    return clean(FOLLOW_UP_FIELDS, payload, partial=partial)


def clean_task(payload: Any, *, partial: bool = False) -> dict[str, Any]:
    return clean(TASK_FIELDS, payload, partial=partial, immutable=("customer_id",))
