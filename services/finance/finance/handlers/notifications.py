"""Notifications to users (overdue instalments, customers turning high-risk): written once per
kind, subject and user (the table's unique key makes "once" hold across timer runs, restarts and
service copies), listed and marked read by their addressee only."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kernel.clock import utcnow
from kernel.cursor import decode_cursor, encode_cursor, page_limit
from kernel.errors import NotFound, ValidationError
from kernel.ids import new_id
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from finance.storage.models import NotificationRow
from finance.storage.unit import FinanceUnit


def notify(
    unit: FinanceUnit,
    users: Iterable[str],
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
    told = unit.session.scalars(
        insert(NotificationRow)
        .values(
            [
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
        )
        .on_conflict_do_nothing(index_elements=["kind", "subject_id", "user_id"])
        .returning(NotificationRow.user_id)
    )
    return sorted(told)


def notification_state(row: NotificationRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "subject_id": row.subject_id,
        "customer_id": row.customer_id,
        "message": row.message,
        "data": row.data,
        "created_at": row.created_at.isoformat(),
        "read_at": row.read_at.isoformat() if row.read_at else None,
    }


def list_notifications(
    unit: FinanceUnit, unread_only: Any = False, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    """The caller's notifications, newest first (keyset on the time-ordered id)."""
    if not isinstance(unread_only, bool):
        raise ValidationError.for_field("unread_only", "must be true or false")
    size = page_limit(limit)
    after = decode_cursor(cursor)
    stmt = select(NotificationRow).where(NotificationRow.user_id == unit.caller.user_id)
    if unread_only:
        stmt = stmt.where(NotificationRow.read_at.is_(None))
    if after is not None:
        last = after["id"]
        if not isinstance(last, str):
            raise ValidationError.for_field("cursor", "is not a cursor returned by this API")
        stmt = stmt.where(NotificationRow.id < last)
    rows = list(unit.session.scalars(stmt.order_by(NotificationRow.id.desc()).limit(size + 1)))
    next_cursor = encode_cursor({"id": rows[size - 1].id}) if len(rows) > size else None
    return {"items": [notification_state(r) for r in rows[:size]], "next_cursor": next_cursor}


def unread_count(unit: FinanceUnit) -> int:
    count = unit.session.scalar(
        select(func.count())
        .select_from(NotificationRow)
        .where(NotificationRow.user_id == unit.caller.user_id, NotificationRow.read_at.is_(None))
    )
    return int(count or 0)


def mark_notification_read(unit: FinanceUnit, notification_id: Any) -> dict[str, Any]:
    """Mark one of the caller's notifications read (again: harmless); another's is NotFound."""
    if not isinstance(notification_id, str) or not notification_id:
        raise ValidationError.for_field("notification_id", "must be a non-empty string")
    row = unit.session.scalars(
        select(NotificationRow)
        .where(NotificationRow.id == notification_id, NotificationRow.user_id == unit.caller.user_id)
        .with_for_update()
    ).one_or_none()
    if row is None:
        raise NotFound(f"notification {notification_id} does not exist")
    if row.read_at is None:
        row.read_at = utcnow()
        unit.session.flush()
    return notification_state(row)
