"""Entrypoints of the opportunities area (handlers in ``sales.handlers.opportunities`` and
``sales.handlers.renewals``)."""

from __future__ import annotations

from functools import cache

from kernel.entrypoints import rpc
from kernel.envelope import Envelope
from kernel.event_handlers import idempotent_event_handler

from sales.contracts.common import SERVICE
from sales.contracts.deals import ORDER_PLACED
from sales.handlers import opportunities, renewals
from sales.settings import SalesSettings
from sales.storage.models import consumer
from sales.storage.unit import SalesUnit


@cache
def renewal_lead_days() -> int:
    return int(SalesSettings().renewal_lead_days)


class OpportunityEntrypoints:
    create_opportunity = rpc(opportunities.create_opportunity)
    get_opportunity = rpc(opportunities.get_opportunity)
    update_opportunity = rpc(opportunities.update_opportunity)
    change_stage = rpc(opportunities.change_stage)
    delete_opportunity = rpc(opportunities.delete_opportunity)
    list_opportunities = rpc(opportunities.list_opportunities)
    list_lost_reasons = rpc(opportunities.list_lost_reasons)
    add_lost_reason = rpc(opportunities.add_lost_reason)
    update_lost_reason = rpc(opportunities.update_lost_reason)
    get_stage_settings = rpc(opportunities.get_stage_settings)
    set_stage_probabilities = rpc(opportunities.set_stage_probabilities)

    @idempotent_event_handler(SERVICE, ORDER_PLACED, tables=consumer)
    def on_order_placed(self, unit: SalesUnit, event: Envelope) -> None:
        renewals.create_renewal(unit, event, renewal_lead_days())
