"""How each service-desk kind is exported for a reindex: the same state functions its events use."""

from __future__ import annotations

from collections.abc import Sequence

from kernel.clock import utcnow
from kernel.export import Exported, rows

from service_desk.handlers import ticket_state
from service_desk.handlers.export import EXPORTS
from service_desk.storage.models import TicketRow
from service_desk.storage.unit import ServiceDeskUnit


def _tickets(unit: ServiceDeskUnit, found: Sequence[TicketRow]) -> list[Exported]:
    now = utcnow()
    return [Exported(ticket_state.ticket_state(row, now)) for row in found]


EXPORTS.register("ticket", rows(TicketRow, _tickets))
