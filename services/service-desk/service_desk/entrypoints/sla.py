"""The SLA timer and the notifications it leaves (handlers in ``service_desk.handlers.sla_watch``
and ``.notifications``)."""

from __future__ import annotations

from typing import Any

from kernel.clock import utcnow
from kernel.entrypoints import rpc
from kernel.identity import SYSTEM
from nameko.timer import timer

from service_desk.handlers import notifications, sla_watch
from service_desk.settings import service_desk_settings


class SlaEntrypoints:
    units: Any  # the service's Units[ServiceDeskUnit]

    list_notifications = rpc(notifications.list_notifications)
    mark_notification_read = rpc(notifications.mark_notification_read)

    @timer(interval=service_desk_settings().sla_check_seconds)
    def check_sla(self) -> None:
        now, after = utcnow(), None
        while True:  # one transaction per batch: locks are short, and other instances share it
            sweep = self.units.run(SYSTEM, sla_watch.check_sla, now, sla_watch.BATCH, after)
            if sweep.checked < sla_watch.BATCH:
                return
            after = sweep.last_id
