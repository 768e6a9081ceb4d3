"""Entrypoints of the collections area: the overdue timer, credit risk, aging, forecast and the
caller's notifications (handlers in ``finance.handlers.overdue``, ``credit_risk``, ``aging``,
``notifications``)."""

from __future__ import annotations

from typing import Any

from kernel.clock import utcnow
from kernel.entrypoints import rpc
from kernel.identity import SYSTEM
from nameko.timer import timer

from finance.handlers import aging, credit_risk, notifications, overdue
from finance.handlers.receivable_state import business_today
from finance.settings import finance_settings


class CollectionsEntrypoints:
    units: Any  # the service's Units[FinanceUnit]

    get_customer_risk = rpc(credit_risk.get_customer_risk)
    aging_report = rpc(aging.aging_report)
    collections_forecast = rpc(aging.collections_forecast)
    list_notifications = rpc(notifications.list_notifications)
    mark_notification_read = rpc(notifications.mark_notification_read)
    unread_notifications = rpc(notifications.unread_count)

    @timer(interval=finance_settings().overdue_check_seconds)
    def check_overdue(self) -> None:
        # One "today" for the whole sweep: batches after midnight do not see another day.
        now = utcnow()
        today = business_today(now)
        size = finance_settings().overdue_batch_size
        while self.units.run(SYSTEM, overdue.scan_overdue, today, size, now) == size:
            pass
