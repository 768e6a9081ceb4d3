"""Replicas of the gateway's users and of the customers' names, owners and teams."""

from __future__ import annotations

from kernel.envelope import Envelope
from kernel.event_handlers import idempotent_event_handler
from kernel.identity_events import IDENTITY_SOURCE, USER_UPSERTED

from sales.handlers import replicas
from sales.storage.models import consumer
from sales.storage.unit import SalesUnit


class ReplicaEntrypoints:
    @idempotent_event_handler(IDENTITY_SOURCE, USER_UPSERTED, tables=consumer)
    def on_user_upserted(self, unit: SalesUnit, event: Envelope) -> None:
        replicas.user_upserted(unit, event)

    @idempotent_event_handler("customers", "customer.created", tables=consumer)
    def on_customer_created(self, unit: SalesUnit, event: Envelope) -> None:
        replicas.customer_changed(unit, event)

    @idempotent_event_handler("customers", "customer.updated", tables=consumer)
    def on_customer_updated(self, unit: SalesUnit, event: Envelope) -> None:
        replicas.customer_changed(unit, event)

    @idempotent_event_handler("customers", "customer.transferred", tables=consumer)
    def on_customer_transferred(self, unit: SalesUnit, event: Envelope) -> None:
        replicas.customer_changed(unit, event)

    @idempotent_event_handler("customers", "customer.deleted", tables=consumer)
    def on_customer_deleted(self, unit: SalesUnit, event: Envelope) -> None:
        replicas.customer_changed(unit, event)
