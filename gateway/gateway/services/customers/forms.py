"""The customer form (new and edit share it) read as the API's field names."""

from __future__ import annotations

from typing import Any

from gateway.web.forms import optional, split_list

CUSTOMER_TEXT_FIELDS = ("name", "short_name", "tax_id", "industry", "region", "address", "source")


def customer_form_fields(values: dict[str, str]) -> dict[str, Any]:
    """Blank text fields are None (cleared); a blank status or tier is left out, so the service's
    default applies on create and an edit keeps the current one."""
    raw: dict[str, Any] = {k: optional(values, k) for k in CUSTOMER_TEXT_FIELDS}
    raw.update(size=optional(values, "size"), tags=split_list(values.get("tags", "")))
    for choice in ("status", "value_tier"):
        if values.get(choice):
            raw[choice] = values[choice]
    return raw
