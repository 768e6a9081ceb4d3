"""Where users and teams are kept: the port the directory depends on (SQL in production)."""

from __future__ import annotations

from typing import Any, Protocol

from gateway.auth.records import TeamRecord, UserRecord


class DuplicateName(Exception):
    """A unique name (username, team name) is taken."""


class UserStore(Protocol):
    def ping(self) -> bool: ...

    def get_user(self, user_id: str) -> UserRecord | None: ...

    def get_user_by_username(self, username: str) -> UserRecord | None: ...

    def list_users(self) -> list[UserRecord]: ...

    def insert_user(self, user: UserRecord, actor_id: str | None = None) -> UserRecord:
        """Raises DuplicateName when the username is taken; ``actor_id`` made the change."""
        ...

    def update_user(
        self, user_id: str, changes: dict[str, Any], actor_id: str | None = None
    ) -> UserRecord | None:
        """Apply ``changes`` (column -> value), bump version and updated_at; None if absent.

        A store shared with services publishes the new state (``user.upserted``) atomically."""
        ...

    def get_team(self, team_id: str) -> TeamRecord | None: ...

    def get_team_by_name(self, name: str) -> TeamRecord | None: ...

    def list_teams(self) -> list[TeamRecord]: ...

    def insert_team(self, team: TeamRecord) -> TeamRecord:
        """Raises DuplicateName when the name is taken."""
        ...
