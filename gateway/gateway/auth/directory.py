"""Use cases on users and teams: log in, create, change, deactivate (rules live here, storage does not)."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

from kernel.clock import utcnow
from kernel.errors import Conflict, FieldErrors, NotFound, ValidationError
from kernel.ids import new_id

from gateway.auth.passwords import hash_password, needs_rehash, verify_password
from gateway.auth.records import (
    TeamRecord,
    UserRecord,
    check_password,
    check_roles,
    check_timezone,
    check_username,
    normalize_username,
)
from gateway.auth.store import DuplicateName, UserStore

_UNSET: Any = object()


class Directory:
    def __init__(
        self, store: UserStore, *, default_timezone: str = "Asia/Shanghai", cache_seconds: float = 3.0
    ):
        self.store = store
        self.default_timezone = default_timezone
        self.cache_seconds = cache_seconds
        # Every authenticated request resolves its user; a few seconds of caching absorbs bursts
        # (search-as-you-type) while deactivation and role changes still apply almost at once.
        self._cache: dict[str, tuple[float, UserRecord | None]] = {}
        self._cache_lock = threading.Lock()
        self._names: tuple[float, dict[str, str]] | None = None

    # -- reading ------------------------------------------------------------------------------
    def get_user(self, user_id: str) -> UserRecord | None:
        return self.store.get_user(user_id)

    def peek_cached(self, user_id: str) -> tuple[bool, UserRecord | None]:
        """(True, user) when a fresh cache entry answers without the database; (False, None) else."""
        with self._cache_lock:
            hit = self._cache.get(user_id)
        if hit is not None and hit[0] > time.monotonic():
            return True, hit[1]
        return False, None

    def get_user_cached(self, user_id: str) -> UserRecord | None:
        now = time.monotonic()
        with self._cache_lock:
            hit = self._cache.get(user_id)
            if hit is not None and hit[0] > now:
                return hit[1]
        user = self.store.get_user(user_id)
        with self._cache_lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[user_id] = (now + self.cache_seconds, user)
        return user

    def _invalidate(self, user_id: str) -> None:
        with self._cache_lock:
            self._cache.pop(user_id, None)
            self._names = None

    def display_names(self) -> dict[str, str]:
        """user id -> display name, for pages that show owners and authors (cached briefly)."""
        now = time.monotonic()
        cached = self._names
        if cached is not None and cached[0] > now:
            return cached[1]
        names = {u.id: u.display_name for u in self.store.list_users()}
        names["system"] = "系统 System"
        self._names = (now + self.cache_seconds * 10, names)
        return names

    def require_user(self, user_id: str) -> UserRecord:
        user = self.store.get_user(user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        return user

    def get_by_username(self, username: str) -> UserRecord | None:
        return self.store.get_user_by_username(normalize_username(username))

    def list_users(self) -> list[UserRecord]:
        return self.store.list_users()

    def list_teams(self) -> list[TeamRecord]:
        return self.store.list_teams()

    def get_team(self, team_id: str) -> TeamRecord | None:
        return self.store.get_team(team_id)

    def get_team_by_name(self, name: str) -> TeamRecord | None:
        return self.store.get_team_by_name(name.strip())

    # -- logging in ---------------------------------------------------------------------------
    def authenticate(self, username: str, password: str) -> UserRecord | None:
        """The active user with these credentials, or None (always spends one hash verification)."""
        user = self.store.get_user_by_username(normalize_username(username))
        stored_hash = user.password_hash if user is not None else None
        if not verify_password(stored_hash, password) or user is None or not user.active:
            return None
        if needs_rehash(user.password_hash):
            self.store.update_user(user.id, {"password_hash": hash_password(password)})
        return user

    # -- changing -----------------------------------------------------------------------------
    def create_team(self, name: str) -> TeamRecord:
        name = name.strip()
        if not name or len(name) > 100:
            raise ValidationError.for_field("name", "must be 1-100 characters")
        try:
            return self.store.insert_team(TeamRecord(id=new_id(), name=name, created_at=utcnow()))
        except DuplicateName:
            raise Conflict(
                f"team {name!r} already exists", [{"field": "name", "message": "already exists"}]
            ) from None

    def create_user(
        self,
        *,
        username: str,
        password: str,
        display_name: str | None = None,
        roles: list[str] | tuple[str, ...] = (),
        team_id: str | None = None,
        timezone: str | None = None,
        acting_user_id: str | None = None,
    ) -> UserRecord:
        errors = FieldErrors()
        username = check_username(errors, username)
        check_password(errors, password)
        canonical_roles = check_roles(errors, roles)
        zone = check_timezone(errors, timezone or self.default_timezone)
        name = (display_name or "").strip() or username
        if len(name) > 100:
            errors.add("display_name", "must be at most 100 characters")
        if team_id is not None and self.store.get_team(team_id) is None:
            errors.add("team_id", "no such team")
        errors.raise_if_any()
        now = utcnow()
        record = UserRecord(
            id=new_id(),
            username=username,
            display_name=name,
            roles=canonical_roles,
            team_id=team_id,
            active=True,
            timezone=zone,
            created_at=now,
            updated_at=now,
            password_changed_at=now,
            password_hash=hash_password(password),
        )
        try:
            created = self.store.insert_user(record, actor_id=acting_user_id)
        except DuplicateName:
            raise Conflict(
                f"username {username!r} is taken", [{"field": "username", "message": "already taken"}]
            ) from None
        self._names = None
        return created

    def update_user(
        self,
        user_id: str,
        *,
        acting_user_id: str | None = None,
        display_name: Any = _UNSET,
        roles: Any = _UNSET,
        team_id: Any = _UNSET,
        active: Any = _UNSET,
        timezone: Any = _UNSET,
        password: Any = _UNSET,
    ) -> UserRecord:
        """Change the given fields; an admin cannot lock themselves out (deactivate, drop admin)."""
        current = self.require_user(user_id)
        errors = FieldErrors()
        changes: dict[str, Any] = {}
        if display_name is not _UNSET:
            name = (display_name or "").strip()
            if not name or len(name) > 100:
                errors.add("display_name", "must be 1-100 characters")
            changes["display_name"] = name
        if roles is not _UNSET:
            changes["roles"] = list(check_roles(errors, roles or []))
        if team_id is not _UNSET:
            if team_id is not None and self.store.get_team(team_id) is None:
                errors.add("team_id", "no such team")
            changes["team_id"] = team_id
        if active is not _UNSET:
            changes["active"] = bool(active)
        if timezone is not _UNSET:
            changes["timezone"] = check_timezone(errors, timezone or "")
        if password is not _UNSET:
            check_password(errors, password or "")
        errors.raise_if_any()
        if password is not _UNSET:
            changes["password_hash"] = hash_password(password)
            changes["password_changed_at"] = utcnow()
        if acting_user_id == user_id:
            if changes.get("active") is False:
                raise Conflict(
                    "you cannot deactivate your own account", [{"field": "active", "message": "self"}]
                )
            if "roles" in changes and "admin" in current.roles and "admin" not in changes["roles"]:
                raise Conflict(
                    "you cannot remove your own admin role", [{"field": "roles", "message": "self"}]
                )
        if not changes:
            return current
        updated = self.store.update_user(user_id, changes, actor_id=acting_user_id)
        self._invalidate(user_id)
        if updated is None:
            raise NotFound(f"user {user_id} not found")
        return updated

    def ensure_user(
        self, *, username: str, password: str, display_name: str, roles: list[str], team_id: str | None
    ) -> tuple[UserRecord, bool]:
        """The user with this username, created if missing (seeding is idempotent)."""
        existing = self.get_by_username(username)
        if existing is not None:
            return existing, False
        return self.create_user(
            username=username, password=password, display_name=display_name, roles=roles, team_id=team_id
        ), True

    def ensure_team(self, name: str) -> tuple[TeamRecord, bool]:
        existing = self.get_team_by_name(name)
        if existing is not None:
            return existing, False
        return self.create_team(name), True


def without_secret(user: UserRecord) -> UserRecord:
    return replace(user, password_hash="")
