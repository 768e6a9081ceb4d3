"""The ``finance`` service as the gateway calls it: one stub class per area, joined here."""

from __future__ import annotations

from finance.contracts import SERVICE

from gateway.services.finance.client_collections import CollectionsRpc


class FinanceClient(CollectionsRpc):
    service_name = SERVICE
