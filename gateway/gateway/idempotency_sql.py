"""Idempotency keys in the gateway's PostgreSQL database: shared by every gateway replica."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kernel.db import transaction
from sqlalchemy import DateTime, Integer, LargeBinary, String, delete, select, tuple_
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from gateway.auth.models import Base
from gateway.idempotency import KeyEntry, Outcome, StoredResponse, decide

# Expired keys are deleted by whoever claims a key, a bounded batch at a time.
PURGE_BATCH = 100


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    headers: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


def _entry(row: IdempotencyKey) -> KeyEntry:
    response = None
    if row.status is not None:
        response = StoredResponse(row.status, dict(row.headers or {}), bytes(row.body or b""))
    return KeyEntry(row.fingerprint, row.expires_at, row.locked_until, response)


class SqlIdempotencyStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def begin(
        self, user_id: str, key: str, fingerprint: str, *, now: datetime, lease: timedelta, ttl: timedelta
    ) -> Outcome:
        with transaction(self.sessions) as session:
            fresh = {
                "fingerprint": fingerprint,
                "created_at": now,
                "expires_at": now + ttl,
                "locked_until": now + lease,
                "status": None,
                "headers": None,
                "body": None,
            }
            # Two replicas racing on one key: exactly one insert wins, the other reads its row.
            inserted = session.execute(
                insert(IdempotencyKey)
                .values(user_id=user_id, key=key, **fresh)
                .on_conflict_do_nothing(index_elements=["user_id", "key"])
                .returning(IdempotencyKey.key)
            ).first()
            if inserted is not None:
                self._purge(session, now)
                return decide(None, fingerprint, now)[0]
            row = session.execute(
                select(IdempotencyKey)
                .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
                .with_for_update()
            ).scalar_one()
            outcome, take = decide(_entry(row), fingerprint, now)
            if take:
                for name, value in fresh.items():
                    setattr(row, name, value)
            return outcome

    def finish(self, user_id: str, key: str, response: StoredResponse) -> None:
        with transaction(self.sessions) as session:
            row = session.get(IdempotencyKey, (user_id, key), with_for_update=True)
            if row is not None:
                row.status = response.status
                row.headers = dict(response.headers)
                row.body = response.body
                row.locked_until = None

    def release(self, user_id: str, key: str) -> None:
        with transaction(self.sessions) as session:
            session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.user_id == user_id,
                    IdempotencyKey.key == key,
                    IdempotencyKey.status.is_(None),
                )
            )

    @staticmethod
    def _purge(session: Session, now: datetime) -> None:
        stale = (
            select(IdempotencyKey.user_id, IdempotencyKey.key)
            .where(IdempotencyKey.expires_at < now)
            .limit(PURGE_BATCH)
            .with_for_update(skip_locked=True)
        )
        session.execute(
            delete(IdempotencyKey).where(tuple_(IdempotencyKey.user_id, IdempotencyKey.key).in_(stale))
        )
