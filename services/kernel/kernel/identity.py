"""The caller identity that travels with every RPC call (the gateway owns users and roles)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kernel.errors import PermissionDenied

ROLES = ("admin", "manager", "sales", "finance", "support", "system")


@dataclass(frozen=True)
class Caller:
    user_id: str
    roles: tuple[str, ...]
    team_id: str | None = None

    @classmethod
    def from_payload(cls, payload: Any) -> Caller:
        if isinstance(payload, Caller):
            return payload
        if not isinstance(payload, dict):
            raise PermissionDenied("caller identity is missing", [{"field": "caller", "message": "required"}])
        user_id = payload.get("user_id")
        roles = payload.get("roles")
        team_id = payload.get("team_id")
        if not isinstance(user_id, str) or not user_id:
            raise PermissionDenied(
                "caller.user_id is missing", [{"field": "caller.user_id", "message": "required"}]
            )
        if not isinstance(roles, list | tuple) or not all(isinstance(r, str) and r in ROLES for r in roles):
            raise PermissionDenied(
                "caller.roles is invalid", [{"field": "caller.roles", "message": "unknown role"}]
            )
        if team_id is not None and not isinstance(team_id, str):
            raise PermissionDenied(
                "caller.team_id is invalid", [{"field": "caller.team_id", "message": "string"}]
            )
        return cls(user_id=user_id, roles=tuple(roles), team_id=team_id or None)

    def to_payload(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "roles": list(self.roles), "team_id": self.team_id}

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles or "system" in self.roles

    def search_principals(self) -> list[str]:
        """Principals matched against a search document's ``acl``; admin sees everything."""
        principals = [f"user:{self.user_id}"]
        principals += [f"role:{role}" for role in self.roles]
        if self.team_id and "manager" in self.roles:
            principals.append(f"team:{self.team_id}")
        return principals


SYSTEM = Caller(user_id="system", roles=("system",))
