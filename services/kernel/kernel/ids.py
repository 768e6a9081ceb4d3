"""Time-ordered identifiers (UUIDv7): sortable, so they double as cursor keys."""

import uuid6


def new_id() -> str:
    return str(uuid6.uuid7())
