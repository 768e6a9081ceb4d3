"""The user store on the gateway's PostgreSQL database (SQLAlchemy 2)."""

from __future__ import annotations

from typing import Any

from kernel.clock import utcnow
from kernel.db import transaction
from kernel.identity import SYSTEM
from kernel.identity_events import IDENTITY_SOURCE, user_upserted
from kernel.logs import get_correlation_id
from kernel.outbox import Outbox
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from gateway.auth.models import Team, User, outbox
from gateway.auth.records import TeamRecord, UserRecord
from gateway.auth.store import DuplicateName


def _user(row: User) -> UserRecord:
    return UserRecord(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        roles=tuple(row.roles or ()),
        team_id=row.team_id,
        active=row.active,
        timezone=row.timezone,
        created_at=row.created_at,
        updated_at=row.updated_at,
        password_changed_at=row.password_changed_at,
        version=row.version,
        password_hash=row.password_hash,
    )


def _team(row: Team) -> TeamRecord:
    return TeamRecord(id=row.id, name=row.name, created_at=row.created_at)


class SqlUserStore:
    """Every user change commits a ``user.upserted`` event with it (outbox → identity.events)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.outbox = Outbox(outbox, IDENTITY_SOURCE)

    def _publish(self, session: Session, user: UserRecord, actor_id: str | None) -> None:
        event = user_upserted(
            user.replica(), actor_id=actor_id or SYSTEM.user_id, correlation_id=get_correlation_id()
        )
        self.outbox.add_events(session, [event])

    def ping(self) -> bool:
        with self.sessions() as session:
            session.execute(text("SELECT 1"))
        return True

    def get_user(self, user_id: str) -> UserRecord | None:
        with self.sessions() as session:
            row = session.get(User, user_id)
            return _user(row) if row else None

    def get_user_by_username(self, username: str) -> UserRecord | None:
        with self.sessions() as session:
            row = session.scalars(select(User).where(User.username == username)).one_or_none()
            return _user(row) if row else None

    def list_users(self) -> list[UserRecord]:
        with self.sessions() as session:
            return [_user(r) for r in session.scalars(select(User).order_by(User.username))]

    def insert_user(self, user: UserRecord, actor_id: str | None = None) -> UserRecord:
        row = User(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            password_hash=user.password_hash,
            roles=list(user.roles),
            team_id=user.team_id,
            active=user.active,
            timezone=user.timezone,
            version=1,
            created_at=user.created_at,
            updated_at=user.updated_at,
            password_changed_at=user.password_changed_at,
        )
        try:
            with transaction(self.sessions) as session:
                session.add(row)
                session.flush()
                created = _user(row)
                self._publish(session, created, actor_id)
                return created
        except IntegrityError as exc:
            if "username" in str(exc.orig):
                raise DuplicateName(user.username) from None
            raise

    def update_user(
        self, user_id: str, changes: dict[str, Any], actor_id: str | None = None
    ) -> UserRecord | None:
        with transaction(self.sessions) as session:
            row = session.get(User, user_id, with_for_update=True)
            if row is None:
                return None
            for key, value in changes.items():
                setattr(row, key, list(value) if key == "roles" else value)
            row.version += 1
            row.updated_at = utcnow()
            session.flush()
            updated = _user(row)
            self._publish(session, updated, actor_id)
            return updated

    def republish_users(self, actor_id: str | None = None) -> int:
        """Queue every user's current state again (a new consumer's replica starts complete;
        consumers already at that version skip it)."""
        with transaction(self.sessions) as session:
            users = [_user(r) for r in session.scalars(select(User).order_by(User.username))]
            for user in users:
                self._publish(session, user, actor_id)
            return len(users)

    def get_team(self, team_id: str) -> TeamRecord | None:
        with self.sessions() as session:
            row = session.get(Team, team_id)
            return _team(row) if row else None

    def get_team_by_name(self, name: str) -> TeamRecord | None:
        with self.sessions() as session:
            row = session.scalars(select(Team).where(Team.name == name)).one_or_none()
            return _team(row) if row else None

    def list_teams(self) -> list[TeamRecord]:
        with self.sessions() as session:
            return [_team(r) for r in session.scalars(select(Team).order_by(Team.name))]

    def insert_team(self, team: TeamRecord) -> TeamRecord:
        try:
            with transaction(self.sessions) as session:
                row = Team(id=team.id, name=team.name, created_at=team.created_at)
                session.add(row)
                session.flush()
                return _team(row)
        except IntegrityError as exc:
            if "name" in str(exc.orig):
                raise DuplicateName(team.name) from None
            raise
