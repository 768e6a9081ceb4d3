"""Entrypoints of the tickets area (``service_desk.handlers.tickets``).

The use cases take an injectable ``now`` for tests; the wire signature leaves it out, so no
caller can set the clock.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from kernel.clock import utcnow
from kernel.entrypoints import rpc
from kernel.identity import SYSTEM
from nameko.timer import timer

from service_desk.handlers import ticket_reads, tickets
from service_desk.settings import service_desk_settings

AUTO_CLOSE_INTERVAL = service_desk_settings().auto_close_check_seconds


def without_now(handler: Callable[..., Any]) -> Callable[..., Any]:
    """``handler`` with the keyword-only ``now`` hidden from its signature (the clock is ours)."""
    signature = inspect.signature(handler)

    def use_case(unit: Any, *args: Any, **kwargs: Any) -> Any:
        return handler(unit, *args, **kwargs)

    use_case.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p for p in signature.parameters.values() if p.name != "now"]
    )
    for attribute in ("__name__", "__qualname__", "__doc__", "__module__"):
        setattr(use_case, attribute, getattr(handler, attribute))
    return use_case


class TicketEntrypoints:
    units: Any  # the service's Units[ServiceDeskUnit]

    create_ticket = rpc(without_now(tickets.create_ticket))
    get_ticket = rpc(without_now(ticket_reads.get_ticket))
    list_tickets = rpc(without_now(ticket_reads.list_tickets))
    ticket_queue = rpc(without_now(ticket_reads.ticket_queue))
    update_ticket = rpc(without_now(tickets.update_ticket))
    assign_ticket = rpc(without_now(tickets.assign_ticket))
    add_comment = rpc(without_now(tickets.add_comment))
    change_status = rpc(without_now(tickets.change_status))
    add_attachment = rpc(without_now(tickets.add_attachment))

    @timer(interval=AUTO_CLOSE_INTERVAL)
    def close_resolved_tickets(self) -> None:
        """Resolved tickets past the reopen window close by themselves."""
        now = utcnow()
        while self.units.run(SYSTEM, tickets.close_resolved, now) == tickets.BATCH:
            pass
