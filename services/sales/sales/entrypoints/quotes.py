"""Entrypoints of the quotes area (handlers in ``sales.handlers.quote*``)."""

from __future__ import annotations

from typing import Any

from kernel.clock import utcnow
from kernel.entrypoints import rpc
from kernel.identity import SYSTEM
from nameko.timer import timer

from sales.handlers import quote_pdfs, quote_reads, quote_reminders, quotes
from sales.settings import SalesSettings

EXPIRY_CHECK_INTERVAL = SalesSettings().quote_expiry_check_seconds


class QuoteEntrypoints:
    units: Any  # the service's Units[SalesUnit]

    create_quote = rpc(quotes.create_quote)
    add_quote_version = rpc(quotes.add_quote_version)
    update_quote_version = rpc(quotes.update_quote_version)
    submit_quote_version = rpc(quotes.submit_quote_version)
    approve_quote_version = rpc(quotes.approve_quote_version)
    reject_quote_version = rpc(quotes.reject_quote_version)
    mark_quote_version_sent = rpc(quotes.mark_quote_version_sent)
    mark_quote_version_final = rpc(quotes.mark_quote_version_final)

    get_quote = rpc(quote_reads.get_quote)
    get_quote_version = rpc(quote_reads.get_quote_version)
    list_quotes = rpc(quote_reads.list_quotes)
    list_pending_approvals = rpc(quote_reads.list_pending_approvals)
    list_my_reminders = rpc(quote_reads.list_my_reminders)
    get_quote_pdf = rpc(quote_pdfs.get_quote_pdf)

    @timer(interval=EXPIRY_CHECK_INTERVAL)
    def remind_expiring_quotes(self) -> None:
        now = utcnow()
        while self.units.run(SYSTEM, quote_reminders.remind_expiring_quotes, now) == quote_reminders.BATCH:
            pass
