"""Users and teams as the rest of the gateway sees them, and the rules their fields follow."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kernel.errors import FieldErrors
from kernel.identity import Caller

# Roles a person can hold; "system" exists only for service-to-service calls.
USER_ROLES = ("admin", "manager", "sales", "finance", "support")
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"
_USERNAME = re.compile(USERNAME_PATTERN)
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128


@dataclass(frozen=True)
class TeamRecord:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class UserRecord:
    id: str
    username: str
    display_name: str
    roles: tuple[str, ...]
    team_id: str | None
    active: bool
    timezone: str
    created_at: datetime
    updated_at: datetime
    password_changed_at: datetime
    version: int = 1
    password_hash: str = field(default="", repr=False)

    @property
    def caller(self) -> Caller:
        return Caller(user_id=self.id, roles=self.roles, team_id=self.team_id)

    def has_any(self, roles: set[str] | frozenset[str]) -> bool:
        return any(role in roles for role in self.roles)

    def replica(self) -> dict[str, Any]:
        """The directory entry services keep: ``data`` of ``user.upserted``
        (kernel.identity_events.UserState); its version orders changes."""
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "team_id": self.team_id,
            "roles": list(self.roles),
            "active": self.active,
            "version": self.version,
        }


def normalize_username(value: str) -> str:
    return value.strip().lower()


def check_username(errors: FieldErrors, value: str) -> str:
    username = normalize_username(value)
    if not _USERNAME.match(username):
        errors.add("username", "must be 2-64 characters: lower-case letters, digits, '.', '_' or '-'")
    return username


def check_password(errors: FieldErrors, value: str, field_name: str = "password") -> None:
    if not PASSWORD_MIN_LENGTH <= len(value) <= PASSWORD_MAX_LENGTH:
        errors.add(field_name, f"must be {PASSWORD_MIN_LENGTH}-{PASSWORD_MAX_LENGTH} characters")


def check_roles(errors: FieldErrors, roles: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    unknown = [r for r in roles if r not in USER_ROLES]
    if unknown:
        errors.add("roles", f"unknown role(s) {', '.join(unknown)}; allowed: {', '.join(USER_ROLES)}")
    # Keep the canonical order so equal role sets compare and replicate identically.
    return tuple(r for r in USER_ROLES if r in roles)


def check_timezone(errors: FieldErrors, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        errors.add("timezone", "is not a known IANA time zone, e.g. Asia/Shanghai")
    return value
