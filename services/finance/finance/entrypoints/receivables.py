"""Entrypoints of the receivables area: the sales order events that make and adjust them
(``finance.handlers.receivables``) and the reads (``finance.handlers.receivable_reads``)."""

from __future__ import annotations

from kernel.entrypoints import rpc
from kernel.envelope import Envelope
from kernel.event_handlers import idempotent_event_handler
from sales.contracts.deals import ORDER_CANCELLED, ORDER_PLACED, ORDER_UPDATED

from finance.handlers import receivable_reads, receivables
from finance.storage.models import consumer
from finance.storage.unit import FinanceUnit

SALES = "sales"


class ReceivableEntrypoints:
    get_receivable = rpc(receivable_reads.get_receivable)
    list_receivables = rpc(receivable_reads.list_receivables)
    receivables_summary = rpc(receivable_reads.receivables_summary)

    @idempotent_event_handler(SALES, ORDER_PLACED, tables=consumer)
    def on_order_placed(self, unit: FinanceUnit, event: Envelope) -> None:
        receivables.order_placed(unit, event)

    @idempotent_event_handler(SALES, ORDER_UPDATED, tables=consumer)
    def on_order_updated(self, unit: FinanceUnit, event: Envelope) -> None:
        receivables.order_updated(unit, event)

    @idempotent_event_handler(SALES, ORDER_CANCELLED, tables=consumer)
    def on_order_cancelled(self, unit: FinanceUnit, event: Envelope) -> None:
        receivables.order_cancelled(unit, event)
