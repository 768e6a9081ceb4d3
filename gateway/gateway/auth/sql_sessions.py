"""Revoked browser sessions on the gateway's PostgreSQL, shared by every replica."""

from __future__ import annotations

from datetime import datetime

from kernel.clock import utcnow
from kernel.db import transaction
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from gateway.auth.models import RevokedSession


class SqlRevocationStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def revoke(self, session_id: str, until: datetime) -> None:
        with transaction(self.sessions) as session:
            # Logouts are rare: sweeping expired rows here keeps the table small without a job.
            session.execute(delete(RevokedSession).where(RevokedSession.expires_at <= utcnow()))
            session.execute(
                insert(RevokedSession)
                .values(session_id=session_id, expires_at=until)
                .on_conflict_do_update(index_elements=["session_id"], set_={"expires_at": until})
            )

    def is_revoked(self, session_id: str) -> bool:
        with self.sessions() as session:
            found = session.execute(
                select(RevokedSession.session_id).where(
                    RevokedSession.session_id == session_id, RevokedSession.expires_at > utcnow()
                )
            ).first()
        return found is not None
