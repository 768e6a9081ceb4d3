"""Notifications (SLA near-breach and breach): told once per kind, subject and person, and the
caller's own list with a read mark."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kernel.notifications import Notifications
from kernel.replicas import team_managers
from sqlalchemy import select

from service_desk.storage.models import NotificationRow, directory_users
from service_desk.storage.unit import ServiceDeskUnit


def support_managers(unit: ServiceDeskUnit, team_id: str | None) -> list[str]:
    """The support team's managers; with no team on the ticket, every active support manager."""
    if team_id is not None:
        return team_managers(unit.session, directory_users, team_id)
    users = directory_users.c
    rows = unit.session.execute(
        select(users.id).where(users.active, users.roles.any("manager"), users.roles.any("support"))
    )
    return sorted(row.id for row in rows)


NOTIFICATIONS = Notifications(NotificationRow.__table__)  # type: ignore[arg-type]


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
    return NOTIFICATIONS.notify(
        unit.session, users, kind=kind, subject_id=subject_id, message=message, customer_id=customer_id,
        data=data, now=now,
    )  # fmt: skip


def list_notifications(
    unit: ServiceDeskUnit, unread_only: Any = False, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    """The caller's notifications, newest first."""
    return NOTIFICATIONS.list_for(unit.session, unit.caller.user_id, unread_only, cursor, limit)


def mark_notification_read(unit: ServiceDeskUnit, notification_id: Any) -> dict[str, Any]:
    """Mark one of the caller's notifications read (again: no change). Another's is NotFound."""
    return NOTIFICATIONS.mark_read(unit.session, unit.caller.user_id, notification_id)
