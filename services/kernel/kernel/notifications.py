"""Notifications to users (an instalment overdue, an SLA about to break, a write-off to approve):
written once per kind, subject and user — the table's unique key makes "once" hold across timer
runs, restarts and service copies — listed and marked read by their addressee only.

A service keeps them in its own ``notifications`` table (``notifications_table``) and serves them
through ``Notifications(table)``; the gateway shows each service's list to its user.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Session

from kernel.clock import isoformat, utcnow
from kernel.cursor import decode_cursor, encode_cursor, page_limit
from kernel.errors import NotFound, ValidationError
from kernel.ids import new_id


def notifications_table(metadata: MetaData) -> Table:
    return Table(
        "notifications",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("kind", String(40), nullable=False),
        Column("subject_id", String(36), nullable=False),
        Column("user_id", String(64), nullable=False, index=True),
        Column("customer_id", String(36)),
        Column("message", Text, nullable=False),
        Column("data", JSONB, nullable=False, default=dict),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("read_at", DateTime(timezone=True)),
        UniqueConstraint("kind", "subject_id", "user_id"),
    )


class Notifications:
    def __init__(self, table: Table) -> None:
        self.table = table

    def notify(
        self,
        session: Session,
        users: Iterable[str | None],
        *,
        kind: str,
        subject_id: str,
        message: str,
        customer_id: str | None = None,
        data: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> list[str]:
        """Tell each of ``users`` once; returns those told now (not already told before)."""
        people = list(dict.fromkeys(u for u in users if u))
        if not people:
            return []
        at = now or utcnow()
        rows = [
            {
                "id": new_id(),
                "kind": kind,
                "subject_id": subject_id,
                "user_id": user_id,
                "customer_id": customer_id,
                "message": message,
                "data": data or {},
                "created_at": at,
                "read_at": None,
            }
            for user_id in people
        ]
        told = session.scalars(
            insert(self.table)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["kind", "subject_id", "user_id"])
            .returning(self.table.c.user_id)
        )
        return sorted(told)

    def list_for(
        self, session: Session, user_id: str, unread_only: Any = False, cursor: Any = None, limit: Any = None
    ) -> dict[str, Any]:
        """The user's notifications, newest first (keyset on the time-ordered id)."""
        if not isinstance(unread_only, bool):
            raise ValidationError.for_field("unread_only", "must be true or false")
        size = page_limit(limit)
        after = decode_cursor(cursor)
        c = self.table.c
        stmt = select(self.table).where(c.user_id == user_id)
        if unread_only:
            stmt = stmt.where(c.read_at.is_(None))
        if after is not None:
            last = after["id"]
            if not isinstance(last, str):
                raise ValidationError.for_field("cursor", "is not a cursor returned by this API")
            stmt = stmt.where(c.id < last)
        rows = list(session.execute(stmt.order_by(c.id.desc()).limit(size + 1)).mappings())
        next_cursor = encode_cursor({"id": rows[size - 1]["id"]}) if len(rows) > size else None
        return {"items": [state(r) for r in rows[:size]], "next_cursor": next_cursor}

    def unread_count(self, session: Session, user_id: str) -> int:
        c = self.table.c
        count = session.scalar(
            select(func.count()).select_from(self.table).where(c.user_id == user_id, c.read_at.is_(None))
        )
        return int(count or 0)

    def mark_read(self, session: Session, user_id: str, notification_id: Any) -> dict[str, Any]:
        """Mark one of the user's notifications read (again: harmless); another's is NotFound."""
        if not isinstance(notification_id, str) or not notification_id:
            raise ValidationError.for_field("notification_id", "must be a non-empty string")
        c = self.table.c
        row = (
            session.execute(
                select(self.table).where(c.id == notification_id, c.user_id == user_id).with_for_update()
            )
            .mappings()
            .one_or_none()
        )
        if row is None:
            raise NotFound(f"notification {notification_id} does not exist")
        if row["read_at"] is None:
            now = utcnow()
            session.execute(self.table.update().where(c.id == notification_id).values(read_at=now))
            return state({**row, "read_at": now})
        return state(row)


def state(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "subject_id": row["subject_id"],
        "customer_id": row["customer_id"],
        "message": row["message"],
        "data": row["data"] or {},
        "created_at": isoformat(row["created_at"]),
        "read_at": isoformat(row["read_at"]),
    }
