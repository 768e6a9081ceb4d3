"""The directory replica: the gateway's users, kept here to validate owners and assignees locally."""

from __future__ import annotations

from typing import Any

from kernel.clock import utcnow
from kernel.errors import FieldErrors, PermissionDenied

from customers.domain.fields import require_mapping
from customers.ports import CustomersUnit
from customers.storage import states
from customers.storage.models import DirectoryUserRow


def upsert_user(unit: CustomersUnit, user: Any) -> dict[str, Any]:
    if not unit.caller.is_admin:
        raise PermissionDenied("only the gateway (system) or an admin maintains the directory")
    payload = require_mapping(user, "user")
    errors = FieldErrors()
    for key in ("id", "username"):
        if not isinstance(payload.get(key), str) or not payload.get(key):
            errors.add(f"user.{key}", "must be a non-empty string")
    roles = payload.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        errors.add("user.roles", "must be a list of strings")
    errors.raise_if_any()
    row = unit.users.get(payload["id"], lock=True)
    if row is None:
        row = DirectoryUserRow(id=payload["id"])
        unit.users.add(row)
    row.username = payload["username"]
    row.display_name = payload.get("display_name")
    row.team_id = payload.get("team_id")
    row.roles = roles
    row.active = bool(payload.get("active", True))
    row.updated_at = utcnow()
    return states.user_state(row)
