"""Notifications (SLA near-breach and breach): told once per kind, subject and person, and the
caller's own list with a read mark."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kernel.clock import isoformat, utcnow
from kernel.cursor import decode_cursor, encode_cursor, page_limit
from kernel.errors import NotFound, ValidationError
from kernel.ids import new_id
from kernel.replicas import team_managers
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from service_desk.storage.models import NotificationRow, directory_users
from service_desk.storage.unit import ServiceDeskUnit


def notification_state(row: NotificationRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "subject_id": row.subject_id,
        "customer_id": row.customer_id,
        "message": row.message,
        "data": row.data or {},
        "created_at": isoformat(row.created_at),
        "read_at": isoformat(row.read_at),
    }


def support_managers(unit: ServiceDeskUnit, team_id: str | None) -> list[str]:
    """The support team's managers; with no team on the ticket, every active support manager."""
    if team_id is not None:
        return team_managers(unit.session, directory_users, team_id)
    users = directory_users.c
    rows = unit.session.execute(
        select(users.id).where(users.active, users.roles.any("manager"), users.roles.any("support"))
    )
    return sorted(row.id for row in rows)


def notify(
    unit: ServiceDeskUnit,
    users: Iterable[str | None],
    *,
    kind: str,
    subject_id: str,
    customer_id: str | None,
    message: str,
    data: dict[str, Any],
    now: datetime,
) -> list[str]:
    """Tell each user once (unique kind + subject + user); returns who was told now."""
    told: list[str] = []
    for user_id in dict.fromkeys(u for u in users if u):
        inserted = unit.session.execute(
            insert(NotificationRow)
            .values(
                id=new_id(),
                kind=kind,
                subject_id=subject_id,
                user_id=user_id,
                customer_id=customer_id,
                message=message,
                data=data,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["kind", "subject_id", "user_id"])
            .returning(NotificationRow.id)
        ).first()
        if inserted is not None:
            told.append(user_id)
    return told


def list_notifications(
    unit: ServiceDeskUnit, unread_only: Any = False, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    """The caller's notifications, newest first."""
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


def mark_notification_read(unit: ServiceDeskUnit, notification_id: Any) -> dict[str, Any]:
    """Mark one of the caller's notifications read (again: no change). Another's is NotFound."""
    row = unit.session.get(NotificationRow, notification_id) if isinstance(notification_id, str) else None
    if row is None or row.user_id != unit.caller.user_id:
        raise NotFound(f"notification {notification_id} does not exist")
    if row.read_at is None:
        row.read_at = utcnow()
    return notification_state(row)
