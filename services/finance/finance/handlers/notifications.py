"""Notifications to finance's users (overdue instalments, customers turning high-risk, write-offs
to approve): the kernel's, once per kind, subject and user, on this service's table."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kernel.notifications import Notifications

from finance.storage.models import NotificationRow
from finance.storage.unit import FinanceUnit

NOTIFICATIONS = Notifications(NotificationRow.__table__)  # type: ignore[arg-type]


def notify(
    unit: FinanceUnit,
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
    return NOTIFICATIONS.notify(
        unit.session, users, kind=kind, subject_id=subject_id, message=message, customer_id=customer_id,
        data=data, now=now,
    )  # fmt: skip


def list_notifications(
    unit: FinanceUnit, unread_only: Any = False, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    """The caller's notifications, newest first."""
    return NOTIFICATIONS.list_for(unit.session, unit.caller.user_id, unread_only, cursor, limit)


def unread_count(unit: FinanceUnit) -> int:
    return NOTIFICATIONS.unread_count(unit.session, unit.caller.user_id)


def mark_notification_read(unit: FinanceUnit, notification_id: Any) -> dict[str, Any]:
    """Mark one of the caller's notifications read (again: harmless); another's is NotFound."""
    return NOTIFICATIONS.mark_read(unit.session, unit.caller.user_id, notification_id)
